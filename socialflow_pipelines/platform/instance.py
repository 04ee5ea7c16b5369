"""The Dagster instance the CLI runs against: DAGSTER_HOME with the right dagster.yaml in it."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import dagster as dg

from socialflow_pipelines.config import DEFAULT_HOME

PACKAGE = Path(__file__).parents[1]  # the instance configs ship at the package root


def prepare_dagster_home() -> Path:
    """Point DAGSTER_HOME at a directory holding the instance config: Postgres storage when
    DAGSTER_PG_URL is set, SQLite otherwise. An existing DAGSTER_HOME with its own dagster.yaml
    is left alone (production owns its instance config)."""
    home = Path(os.environ.get("DAGSTER_HOME") or (DEFAULT_HOME / "dagster_home")).resolve()
    home.mkdir(parents=True, exist_ok=True)
    os.environ["DAGSTER_HOME"] = str(home)
    config = home / "dagster.yaml"
    source = PACKAGE / ("dagster.postgres.yaml" if os.environ.get("DAGSTER_PG_URL") else "dagster.yaml")
    if not config.exists() or config.read_text().startswith("# Dagster instance"):
        shutil.copyfile(source, config)
    return home


def get_instance() -> dg.DagsterInstance:
    prepare_dagster_home()
    return dg.DagsterInstance.get()
