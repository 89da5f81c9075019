"""The Config Service: applications and their configurations, kept in PostgreSQL."""
