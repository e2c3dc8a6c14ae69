"""Pipeline steps as plain functions: DAGs wire them, tests and the CLI call them directly."""
