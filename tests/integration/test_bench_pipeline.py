"""`socialflow bench pipeline` at a smoke size, on the real Postgres: the real command seeds a new
database on the server, materializes every asset through the Definitions, runs an hour's tick,
reports every asset and the rows written, and drops its database."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from socialflow_pipelines.definitions import defs
from tests.conftest import PG_ADMIN_URL


def bench_databases() -> set[str]:
    with psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=3) as conn:
        rows = conn.execute("SELECT datname FROM pg_database WHERE datname LIKE 'socialflow_bench_%'")
        return {row[0] for row in rows}


@pytest.mark.services
def test_bench_pipeline_times_every_asset_then_an_hourly_tick(
    tmp_path: Path, postgres_db, redis_url: str
) -> None:
    before = bench_databases()
    env = {**os.environ, "REDIS_URL": redis_url, "DAGSTER_HOME": str(tmp_path / "dagster_home")}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "socialflow_pipelines.cli.main",
            "bench",
            "pipeline",
            "--users",
            "150",
            "--days",
            "3",
        ],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["database"] == "postgresql" and report["users"] == 150
    materializable = {key.to_user_string() for key in defs.resolve_asset_graph().materializable_asset_keys}
    timed = set(report["full"]["assets"])
    # Every asset ran as a step (a multi-asset's step is named after its op).
    assert len(timed) >= len(materializable) - 2 and "moderation_results" in timed
    assert all(
        figures["seconds"] >= 0 and figures["peak_rss_mb"] > 0
        for figures in report["full"]["assets"].values()
    )
    rows = report["full"]["rows_written"]
    assert rows["ml.moderation_results"] == sum(report["seeded"][t] for t in ("videos", "posts", "comments"))
    assert rows["ml.recommendations"] > 0 and rows["ml.viral_predictions"] > 0
    tick = report["hourly_tick"]
    added = sum(tick["added"].get(t, 0) for t in ("videos", "posts", "comments"))
    assert added > 0
    # The tick moderates exactly the new items, and runs every hourly schedule.
    assert tick["rows_written"]["ml.moderation_results"] == added
    jobs = {run["job"] for run in tick["runs"]}
    assert {"moderation_job", "recommendations_job", "viral_predictions_job"} <= jobs
    assert bench_databases() == before, "the bench drops its database"
