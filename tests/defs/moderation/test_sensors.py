"""The new-content sensor over a seeded world: the expected run keys, one run per batch, nothing on
a tick without new content, and nothing for items a run has already moderated."""

from __future__ import annotations

import json
import uuid
from collections import defaultdict
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import dagster as dg
import polars as pl
import pytest

from socialflow_demo import WorldConfig, generate_world
from socialflow_demo.load import append_batch, write_world
from socialflow_pipelines.definitions import defs
from socialflow_pipelines.defs.moderation.schedules import moderation_job
from socialflow_pipelines.defs.moderation.sensors import NEW_CONTENT
from socialflow_pipelines.platform.db.engine import Database

NOW = datetime.now(UTC)
TABLES = {"post": "posts", "comment": "comments", "video": "videos"}


@pytest.fixture
def world(sqlite_db: Database) -> dict[str, pl.DataFrame]:
    world = generate_world(WorldConfig(users=200, days=3), now=NOW)
    write_world(sqlite_db, world)
    return world


def tick(cursor: str | None) -> dg.SensorResult:
    sensor = defs.resolve_sensor_def("new_content_sensor")
    with dg.build_sensor_context(
        instance=dg.DagsterInstance.ephemeral(), cursor=cursor, resources=defs.resources
    ) as context:
        return sensor(context)


def creation_days(world: dict[str, pl.DataFrame]) -> set[str]:
    return {
        row["created_at"].strftime("%Y-%m-%d")
        for table in TABLES.values()
        for row in world[table].select("created_at").iter_rows(named=True)
    }


def test_a_tick_launches_one_run_per_batch_and_a_second_tick_none(world: dict[str, pl.DataFrame]) -> None:
    first = tick(None)
    requests = first.run_requests or []
    # One run per creation day (each under 500 items here), its key the same on every planning
    # (a lost cursor or a tick evaluated twice launches nothing new).
    assert {r.partition_key for r in requests} == creation_days(world)
    assert len(requests) == len(creation_days(world))
    assert [r.run_key for r in tick(None).run_requests or []] == [r.run_key for r in requests]
    assert len({r.run_key for r in requests}) == len(requests)
    listed = defaultdict(list)
    for request in requests:
        config = request.run_config["ops"]["moderation_results"]["config"]
        for content_type, table in TABLES.items():
            listed[content_type] += config[table]
        assert request.partition_key in request.run_key
    for content_type, table in TABLES.items():
        assert sorted(listed[content_type]) == sorted(world[table]["id"].to_list())  # each item once

    second = tick(first.cursor)
    assert not second.run_requests
    assert json.loads(second.cursor) == json.loads(first.cursor)


def test_new_items_get_one_run_and_moderated_items_are_never_requested_again(
    sqlite_db: Database, world: dict[str, pl.DataFrame]
) -> None:
    first = tick(None)
    # Run every requested batch as the daemon would: the job, its partition, its config.
    for request in first.run_requests or []:
        result = moderation_job.resolve(asset_graph=defs.resolve_asset_graph()).execute_in_process(
            run_config=request.run_config,
            partition_key=request.partition_key,
            resources=defs.resources,
        )
        assert result.success

    post_id = str(uuid.uuid4())  # as the backend makes them: not above the others
    new_post = (
        world["posts"]
        .head(1)
        .with_columns(pl.lit(post_id).alias("id"), pl.lit(NOW + timedelta(seconds=1)).alias("created_at"))
    )
    append_batch(sqlite_db, {"posts": new_post})
    after = tick(first.cursor)
    (request,) = after.run_requests or []
    day = (NOW + timedelta(seconds=1)).strftime("%Y-%m-%d")
    assert request.run_key.startswith(f"moderation-{day}-post1-")
    assert request.run_config["ops"]["moderation_results"]["config"]["posts"] == [post_id]

    # A lost cursor rescans everything, but only the one unmoderated post is requested again,
    # under the same run key, so the daemon's run-key dedup keeps it to one run.
    lost = tick(None)
    assert [r.run_key for r in lost.run_requests or []] == [request.run_key]


def test_big_bursts_are_split_into_bounded_batches(
    sqlite_db: Database, world: dict[str, pl.DataFrame]
) -> None:
    plan = replace(NEW_CONTENT, batch=50).plan(sqlite_db, {}, now=NOW)
    requests, cursor, skipped = plan.requests, plan.cursor, plan.skipped
    sizes = [int(r.tags["socialflow/items"]) for r in requests]
    assert max(sizes) <= 50
    assert sum(sizes) == sum(world[t].height for t in TABLES.values())
    assert len({r.run_key for r in requests}) == len(requests)
    newest = {ct: world[t].sort("created_at", "id")["id"][-1] for ct, t in TABLES.items()}
    assert {ct: last_id for ct, (_at, last_id) in cursor.items()} == newest
    assert skipped == []
