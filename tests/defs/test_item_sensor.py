"""The one sensor mechanism: new items past a cursor, batched per day, keyed deterministically,
waiting for their upstream result."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date

import dagster as dg

from socialflow_pipelines.defs.item_sensor import ItemBatchSensor
from socialflow_pipelines.platform.db.engine import Database
from tests.domains.catalog.world import DAY_TWO, done_marks, mark, ready_marks, seed_items

SENSOR = ItemBatchSensor(name="test_sensor", asset="an_asset", run_key_prefix="an", done=done_marks)
TODAY = DAY_TWO.date()


def test_new_items_become_one_run_per_day_with_their_ids(sqlite_db: Database) -> None:
    seed_items(sqlite_db)
    plan = SENSOR.plan(sqlite_db, {}, today=TODAY)
    assert [(r.partition_key, r.run_key) for r in plan.requests] == [
        ("2026-11-30", "an-2026-11-30-video9_9-post1_3"),
        ("2026-12-01", "an-2026-12-01-post4_5-comment7_7"),
    ]
    assert plan.requests[1].run_config == {
        "ops": {"an_asset": {"config": {"videos": [], "posts": [4, 5], "comments": [7]}}}
    }
    assert plan.requests[0].tags == {"socialflow/trigger": "test_sensor", "socialflow/items": "4"}
    assert plan.cursor == {"video": 9, "post": 5, "comment": 7}
    # Same world, same cursor: the same keys (a lost cursor never runs a batch twice).
    assert [r.run_key for r in SENSOR.plan(sqlite_db, {}, today=TODAY).requests] == [
        r.run_key for r in plan.requests
    ]
    assert SENSOR.plan(sqlite_db, plan.cursor, today=TODAY).requests == []


def test_done_items_are_passed_over_and_batches_are_cut(sqlite_db: Database) -> None:
    seed_items(sqlite_db)
    mark(sqlite_db, done_marks, ("post", 2), ("video", 9))
    plan = replace(SENSOR, batch=1).plan(sqlite_db, {}, today=TODAY)
    assert [r.run_key for r in plan.requests] == [
        "an-2026-11-30-post1_1",
        "an-2026-11-30-post3_3",
        "an-2026-12-01-post4_4",
        "an-2026-12-01-post5_5",
        "an-2026-12-01-comment7_7",
    ]


def test_the_cursor_waits_at_the_first_item_whose_upstream_result_is_missing(sqlite_db: Database) -> None:
    seed_items(sqlite_db)
    waiting = replace(SENSOR, ready=ready_marks)
    mark(sqlite_db, ready_marks, ("post", 1), ("post", 2), ("post", 4))
    plan = waiting.plan(sqlite_db, {}, today=TODAY)
    assert [r.run_key for r in plan.requests] == ["an-2026-11-30-post1_2"]
    assert plan.cursor == {"post": 2}  # post 3 is not ready: 3 and 4 wait
    mark(sqlite_db, ready_marks, ("post", 3))
    later = waiting.plan(sqlite_db, plan.cursor, today=TODAY)
    assert [r.run_key for r in later.requests] == ["an-2026-11-30-post3_3", "an-2026-12-01-post4_4"]
    assert later.cursor == {"post": 4}


def test_items_past_the_last_partition_are_reported_not_planned(sqlite_db: Database) -> None:
    seed_items(sqlite_db)
    plan = SENSOR.plan(sqlite_db, {}, today=date(2026, 11, 29))  # partitions end at 2026-11-30
    assert [r.partition_key for r in plan.requests] == ["2026-11-30"]
    assert plan.skipped == ["post:4 (2026-12-01)", "post:5 (2026-12-01)", "comment:7 (2026-12-01)"]
    assert plan.cursor == {"video": 9, "post": 5, "comment": 7}


def test_a_tick_keeps_its_cursor_and_says_why_it_skipped(sqlite_db: Database) -> None:
    seed_items(sqlite_db)
    context = dg.build_sensor_context()
    first = SENSOR.evaluate(context, sqlite_db, today=TODAY)
    assert len(first.run_requests) == 2
    context.update_cursor(first.cursor)
    second = SENSOR.evaluate(context, sqlite_db, today=TODAY)
    assert second.run_requests == [] and second.skip_reason.skip_message == "no new items"
    assert json.loads(second.cursor) == {"comment": 7, "post": 5, "video": 9}
