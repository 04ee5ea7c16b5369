"""The Dagster instance: SQLite under DAGSTER_HOME by default, Postgres storage when DAGSTER_PG_URL
is set (exercised here against the real server)."""

from __future__ import annotations

import uuid

import dagster as dg
import psycopg
import pytest

from socialflow_pipelines.definitions import defs
from socialflow_pipelines.defs.trending.assets import trending_scores
from socialflow_pipelines.platform.instance import prepare_dagster_home
from tests.conftest import PG_ADMIN_URL, _unreachable


def test_default_instance_is_sqlite(tmp_path, monkeypatch, sqlite_db) -> None:
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("DAGSTER_PG_URL", raising=False)
    home = prepare_dagster_home()
    assert "storage:" not in (home / "dagster.yaml").read_text()
    with dg.DagsterInstance.from_config(str(home)) as instance:
        assert dg.materialize([trending_scores], instance=instance, resources=defs.resources).success
        assert type(instance.run_storage).__name__ == "SqliteRunStorage"
        assert instance.run_retries_enabled


@pytest.fixture
def dagster_pg_url():
    name = f"sf_dagster_{uuid.uuid4().hex[:10]}"
    try:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=3) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as exc:
        _unreachable("Postgres", exc)
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    yield base.replace("postgresql://", "postgresql+psycopg2://") + f"/{name}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_postgres_instance_stores_runs_in_postgres(tmp_path, monkeypatch, sqlite_db, dagster_pg_url) -> None:
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("DAGSTER_PG_URL", dagster_pg_url)
    home = prepare_dagster_home()
    with dg.DagsterInstance.from_config(str(home)) as instance:
        assert type(instance.run_storage).__name__ == "PostgresRunStorage"
        assert instance.run_retries_enabled
        result = dg.materialize([trending_scores], instance=instance, resources=defs.resources)
        assert result.success
        assert instance.get_run_by_id(result.run_id) is not None
    database = dagster_pg_url.rsplit("/", 1)[1]
    with psycopg.connect(PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{database}") as conn:
        runs = conn.execute("SELECT count(*) FROM runs").fetchone()[0]
    assert runs == 1
