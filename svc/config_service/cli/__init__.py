"""The command lines: serve, migrate, tokens."""
