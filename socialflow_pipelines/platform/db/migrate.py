"""Run the Alembic migrations programmatically, so `socialflow migrate` works from any directory."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

from socialflow_pipelines.platform.ids import IdType

MIGRATIONS = Path(__file__).with_name("migrations")


def alembic_config(url: str, id_type: IdType = "uuid") -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["url"] = url
    config.attributes["id_type"] = id_type
    return config


def upgrade(url: str, revision: str = "head", *, id_type: IdType = "uuid") -> None:
    """Migrate to `revision`; `id_type` is the kind of backend ids the tables are created with
    (it matters once, when revision 0003 first runs)."""
    command.upgrade(alembic_config(url, id_type), revision)
