"""The real Definitions, loaded as the daemon and the webserver load them, against a committed
snapshot of its shape: asset keys (with group and partitioning), asset checks, jobs, schedules
(cron and default status) and sensors. An accidental change to the graph shows in review as a diff
of tests/snapshots/definitions.json; an intended one is recorded with `SNAPSHOT_UPDATE=1 pytest
tests/test_definitions.py`."""

from __future__ import annotations

import json
import os
from pathlib import Path

import dagster as dg

from socialflow_pipelines.definitions import defs

SNAPSHOT = Path(__file__).parent / "snapshots" / "definitions.json"


def shape(definitions: dg.Definitions) -> dict:
    repository = definitions.get_repository_def()
    graph = repository.asset_graph
    assets = {}
    for key in sorted(graph.get_all_asset_keys(), key=lambda k: k.to_user_string()):
        node = graph.get(key)
        partitions = node.partitions_def
        assets[key.to_user_string()] = {
            "group": node.group_name,
            "partitions": type(partitions).__name__ if partitions else None,
            "materializable": node.is_materializable,
        }
    checks = sorted(f"{k.asset_key.to_user_string()}:{k.name}" for k in graph.asset_check_keys)
    schedules = {
        s.name: {"cron": s.cron_schedule, "timezone": s.execution_timezone, "status": s.default_status.value}
        for s in sorted(repository.schedule_defs, key=lambda s: s.name)
    }
    sensors = {
        s.name: {"status": s.default_status.value, "interval_s": s.minimum_interval_seconds}
        for s in sorted(repository.sensor_defs, key=lambda s: s.name)
    }
    jobs = sorted(j.name for j in repository.get_all_jobs() if not j.name.startswith("__"))
    return {"assets": assets, "checks": checks, "jobs": jobs, "schedules": schedules, "sensors": sensors}


def test_the_definitions_load_as_the_daemon_loads_them() -> None:
    dg.Definitions.validate_loadable(defs)


def test_the_definitions_match_the_committed_snapshot() -> None:
    current = shape(defs)
    if os.environ.get("SNAPSHOT_UPDATE"):
        SNAPSHOT.write_text(json.dumps(current, indent=2, sort_keys=True) + "\n")
    assert current == json.loads(SNAPSHOT.read_text()), (
        "the Definitions changed: review the diff, then record it with SNAPSHOT_UPDATE=1"
    )
