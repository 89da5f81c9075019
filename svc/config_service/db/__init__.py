"""The database: pool, executor, unit of work, migrations; run_once for the command lines."""
