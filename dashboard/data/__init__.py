"""Data: the schema, the geography, the synthetic generator, the analytics build and suppression."""
