"""The use cases: sync functions that take the unit of work, check access in it, never commit."""
