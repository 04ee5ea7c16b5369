"""`socialflow bench api` at a tiny scale: the real command, the real server over HTTP, the real
Redis; every scenario answers without an error and from where it says it reads."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

SCENARIOS = {
    "recommendations_cached": "cache",
    "trending": "cache",
    "recommendations_store_miss": "store",
    "moderate_warm": "cache",
}


@pytest.mark.services
def test_bench_api_reports_every_scenario_without_errors(tmp_path: Path, redis_url: str) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "SOCIALFLOW_API_WORKERS")}
    env |= {"REDIS_URL": redis_url, "DAGSTER_HOME": str(tmp_path / "dagster_home")}
    tiny = ["--seconds", "2", "--rate", "40", "--concurrency", "4"]
    done = subprocess.run(
        [sys.executable, "-m", "socialflow_pipelines.cli.main", "bench", "api", *tiny],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["workers"] == min(os.cpu_count() or 1, 4)
    assert report["redis"] == redis_url
    assert set(report["scenarios"]) == set(SCENARIOS)
    for name, source in SCENARIOS.items():
        scenario = report["scenarios"][name]
        assert scenario["errors"] == 0, (name, scenario)
        assert scenario["requests"] >= 40, (name, scenario)
        assert scenario["sources"] == {source: scenario["requests"]}, (name, scenario)
        assert 0 < scenario["p50_ms"] <= scenario["p95_ms"] <= scenario["p99_ms"]
