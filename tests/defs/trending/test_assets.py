"""Materialize the trending assets with Dagster on SQLite and on the real Postgres (+ Redis)."""

from __future__ import annotations

import json
from datetime import timedelta

import dagster as dg
import polars as pl
import pytest
import redis
import sqlalchemy as sa

from socialflow_pipelines.definitions import defs
from socialflow_pipelines.defs.trending import schedules as automation
from socialflow_pipelines.defs.trending.assets import engagement_hourly, trending_scores
from socialflow_pipelines.platform.db import schema
from socialflow_pipelines.platform.db.engine import Database
from tests.defs.trending.world import NOW, hand_built_events, insert_events, materialize_range, table_rows
from tests.domains.catalog.world import iid


@pytest.mark.parametrize("with_redis", [False, True])
def test_backfill_then_trending_on_every_store(any_db: Database, with_redis: bool, request) -> None:
    if with_redis:
        request.getfixturevalue("redis_url")
    insert_events(any_db, hand_built_events())
    result = materialize_range(NOW - timedelta(hours=50), NOW)
    assert result.success
    hourly = table_rows(any_db, schema.engagement_hourly)
    assert sum(r[3] for r in hourly) == len([e for e in hand_built_events() if e[2] == "view"])

    result = dg.materialize([trending_scores], resources=defs.resources)
    assert result.success
    assert all(check.passed for check in result.get_asset_check_evaluations())
    with any_db.engine.connect() as conn:
        ts = schema.trending_scores
        top = conn.execute(
            sa.select(ts.c.content_id, ts.c.trend)
            .where(ts.c.content_type == "video", ts.c.time_window == "6h")
            .order_by(ts.c.rank)
        ).fetchall()
        windows = {r[0] for r in conn.execute(sa.select(ts.c.time_window).distinct())}
    assert [tuple(r) for r in top] == [(iid(2), "rising"), (iid(1), "stable")]
    assert windows == {"1h", "6h", "24h", "7d", "30d"}

    if with_redis:
        client = redis.Redis.from_url(request.getfixturevalue("redis_url"))
        cached = json.loads(client.get("trending:video:6h"))
        assert [item["content_id"] for item in cached] == [iid(2), iid(1)]
        assert 0 < client.ttl("trending:video:6h") <= 1200
        assert json.loads(client.get("trending:post:1h"))[0]["content_id"] == iid(7)


def test_rerunning_a_partition_or_a_backfill_leaves_the_same_rows(sqlite_db: Database) -> None:
    insert_events(sqlite_db, hand_built_events())
    start, end = NOW - timedelta(hours=30), NOW - timedelta(hours=2)
    assert materialize_range(start, end).success
    first = table_rows(sqlite_db, schema.engagement_hourly)
    assert materialize_range(start, end).success
    assert table_rows(sqlite_db, schema.engagement_hourly) == first

    one_hour = (NOW - timedelta(hours=5)).strftime("%Y-%m-%d-%H:00")
    assert dg.materialize([engagement_hourly], resources=defs.resources, partition_key=one_hour).success
    assert table_rows(sqlite_db, schema.engagement_hourly) == first

    assert dg.materialize([trending_scores], resources=defs.resources).success
    scored = [r[:9] for r in table_rows(sqlite_db, schema.trending_scores)]
    assert dg.materialize([trending_scores], resources=defs.resources).success
    again = [r[:9] for r in table_rows(sqlite_db, schema.trending_scores)]
    assert [r[:4] for r in again] == [r[:4] for r in scored]


def test_definitions_load_with_schedules_and_jobs() -> None:
    dg.Definitions.validate_loadable(defs)
    assert defs.get_schedule_def("trending_every_15_minutes").cron_schedule == "*/15 * * * *"
    # The 15-minute job refreshes the hour in progress and then the scores.
    selected = automation.trending_refresh_job.selection.resolve(defs.resolve_asset_graph())
    assert selected == {engagement_hourly.key, trending_scores.key}


def test_a_seeded_world_mixes_rising_stable_and_falling_in_the_long_windows(sqlite_db: Database) -> None:
    """The demo's history is shorter than the long windows' baselines (and a young item's life is
    shorter than its own): the labels must still say something there."""
    from socialflow_demo import WorldConfig, generate_world
    from socialflow_demo.load import write_world

    write_world(sqlite_db, generate_world(WorldConfig(users=300, days=14), now=NOW))
    assert materialize_range(NOW - timedelta(days=14), NOW).success
    assert dg.materialize([trending_scores], resources=defs.resources).success
    table = schema.trending_scores
    with sqlite_db.engine.connect() as conn:
        stored = pl.DataFrame([dict(r._mapping) for r in conn.execute(sa.select(table))])
    # Every stored row says what its trend was measured against.
    assert stored["baseline"].null_count() == 0 and set(stored["baseline"]) == {"own", "trajectory"}
    for window in ("24h", "7d", "30d"):
        assert set(stored.filter(pl.col("time_window") == window)["trend"]) == {"rising", "stable", "falling"}
        listed = stored.filter(pl.col("time_window") == window, pl.col("content_type") == "video")
        if window != "24h":
            # Not asked of the videos alone at 24h: the demo's ~80 videos all decay with one shape, and
            # only the few under two days old are judged on their trajectory, so a rising one is chance.
            assert set(listed["trend"]) == {"rising", "stable", "falling"}, window
        top = listed.sort("rank").head(20)
        # Before, all 20 were "rising" against a baseline of 0 that lay before the history began;
        # a zero now means the item really had no engagement in its own baseline period.
        assert (top["baseline_velocity"] == 0).sum() <= 5, (
            window,
            top.select("rank", "trend", "baseline_velocity"),
        )
        if window in ("7d", "30d"):
            # Against the median of items of their age the biggest items were all "rising": the top 20
            # said "popular". Judged on how they hold up against items of their age, they are not all alike.
            for content_type in ("video", "post"):
                ranked = stored.filter(
                    pl.col("time_window") == window, pl.col("content_type") == content_type
                )
                top = ranked.sort("rank").head(20)
                assert top["trend"].n_unique() >= 2, (window, content_type, top.select("rank", "trend"))
