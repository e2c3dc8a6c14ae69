"""Alembic environment for the warehouse (DuckDB or PostgreSQL, from WAREHOUSE_URL)."""

from __future__ import annotations

from alembic import context
from alembic.ddl.postgresql import PostgresqlImpl

from warehouse.db import make_engine, resolve_url
from warehouse.schema import metadata


class DuckDBImpl(PostgresqlImpl):
    """DuckDB speaks PostgreSQL's DDL closely enough for Alembic's operations."""

    __dialect__ = "duckdb"
    transactional_ddl = True


def run_migrations_online() -> None:
    url = context.config.get_main_option("sqlalchemy.url") or resolve_url()
    engine = make_engine(url)
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=metadata)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    context.configure(url=context.config.get_main_option("sqlalchemy.url"), target_metadata=metadata)
    with context.begin_transaction():
        context.run_migrations()
else:
    run_migrations_online()
