"""The web app: the app factory, the read API, sign-in, request parsing and guards."""
