"""Access control: users bound to a subtree of the hierarchy, sessions and the audit log."""
