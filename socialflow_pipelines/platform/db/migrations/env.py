"""Alembic environment: migrates the database `DATABASE_URL` (or the URL the caller passes)."""

from __future__ import annotations

from alembic import context

from socialflow_pipelines.config import Settings
from socialflow_pipelines.platform.db.engine import make_engine
from socialflow_pipelines.platform.db.schema import ML_SCHEMA, metadata

config = context.config


def run_migrations_online() -> None:
    url = config.attributes.get("url") or Settings().database_url
    engine = make_engine(url)
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.exec_driver_sql(f"CREATE SCHEMA IF NOT EXISTS {ML_SCHEMA}")
        context.configure(
            connection=connection,
            target_metadata=metadata,
            include_schemas=connection.dialect.name == "postgresql",
            version_table_schema=None,
            render_as_batch=connection.dialect.name == "sqlite",
        )
        context.run_migrations()
    engine.dispose()


run_migrations_online()
