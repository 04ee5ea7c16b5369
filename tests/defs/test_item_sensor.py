"""The one sensor mechanism: new items past a cursor of (creation time, id), batched per day,
keyed deterministically, waiting for their upstream result."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import dagster as dg
import polars as pl

from socialflow_pipelines.defs.item_sensor import ItemBatchSensor, decode_cursor
from socialflow_pipelines.platform.db import schema
from socialflow_pipelines.platform.db.engine import Database
from tests.domains.catalog.world import DAY_ONE, DAY_TWO, done_marks, iid, mark, ready_marks, seed_items

SENSOR = ItemBatchSensor(name="test_sensor", asset="an_asset", run_key_prefix="an", done=done_marks)
NOW = DAY_TWO + timedelta(hours=3)


def listed(request: dg.RunRequest) -> dict[str, list[str]]:
    """The run's listed ids per scope field, the empty ones left out."""
    return {field: ids for field, ids in request.run_config["ops"]["an_asset"]["config"].items() if ids}


def cursor_ids(cursor: dict) -> dict[str, str]:
    return {content_type: last_id for content_type, (_at, last_id) in cursor.items()}


def test_new_items_become_one_run_per_day_with_their_ids(sqlite_db: Database) -> None:
    seed_items(sqlite_db)
    plan = SENSOR.plan(sqlite_db, {}, now=NOW)
    assert [r.partition_key for r in plan.requests] == ["2026-11-30", "2026-12-01"]
    assert listed(plan.requests[0]) == {"videos": [iid(9)], "posts": [iid(1), iid(2), iid(3)]}
    assert listed(plan.requests[1]) == {"posts": [iid(4), iid(5)], "comments": [iid(7)]}
    assert plan.requests[0].run_key.startswith("an-2026-11-30-video1-post3-")
    assert plan.requests[0].tags == {"socialflow/trigger": "test_sensor", "socialflow/items": "4"}
    assert cursor_ids(plan.cursor) == {"video": iid(9), "post": iid(5), "comment": iid(7)}
    # Same world, same cursor: the same keys (a lost cursor never runs a batch twice).
    assert [r.run_key for r in SENSOR.plan(sqlite_db, {}, now=NOW).requests] == [
        r.run_key for r in plan.requests
    ]
    assert SENSOR.plan(sqlite_db, plan.cursor, now=NOW).requests == []


def test_done_items_are_passed_over_and_batches_are_cut(sqlite_db: Database) -> None:
    seed_items(sqlite_db)
    mark(sqlite_db, done_marks, ("post", iid(2)), ("video", iid(9)))
    plan = replace(SENSOR, batch=1).plan(sqlite_db, {}, now=NOW)
    assert [listed(r) for r in plan.requests] == [
        {"posts": [iid(1)]},
        {"posts": [iid(3)]},
        {"posts": [iid(4)]},
        {"posts": [iid(5)]},
        {"comments": [iid(7)]},
    ]
    assert len({r.run_key for r in plan.requests}) == 5


def test_the_cursor_follows_creation_time_not_id_order(any_db: Database) -> None:
    """UUIDs do not grow: a post created later with a smaller id is still found."""
    seed_items(any_db)
    plan = SENSOR.plan(any_db, {}, now=NOW)
    smaller = iid(0)  # below every id the cursor passed
    later = pl.DataFrame(
        {
            "id": [smaller],
            "user_id": [iid(10)],
            "text": ["late"],
            "created_at": [DAY_TWO + timedelta(hours=1)],
        }
    )
    with any_db.begin() as conn:
        any_db.insert(schema.posts, later, conn)
    after = SENSOR.plan(any_db, plan.cursor, now=NOW)
    assert [listed(r) for r in after.requests] == [{"posts": [smaller]}]


def test_the_cursor_waits_at_the_first_item_whose_upstream_result_is_missing(sqlite_db: Database) -> None:
    seed_items(sqlite_db)
    waiting = replace(SENSOR, ready=ready_marks)
    mark(sqlite_db, ready_marks, ("post", iid(1)), ("post", iid(2)), ("post", iid(4)))
    plan = waiting.plan(sqlite_db, {}, now=NOW)
    assert [listed(r) for r in plan.requests] == [{"posts": [iid(1), iid(2)]}]
    assert cursor_ids(plan.cursor) == {"post": iid(2)}  # post 3 is not ready: 3 and 4 wait
    mark(sqlite_db, ready_marks, ("post", iid(3)))
    later = waiting.plan(sqlite_db, plan.cursor, now=NOW)
    assert [listed(r) for r in later.requests] == [{"posts": [iid(3)]}, {"posts": [iid(4)]}]
    assert cursor_ids(later.cursor) == {"post": iid(4)}


def test_items_past_the_last_partition_are_reported_not_planned(sqlite_db: Database) -> None:
    seed_items(sqlite_db)
    # Partitions end at 2026-11-30 on the 29th.
    plan = SENSOR.plan(sqlite_db, {}, now=datetime(2026, 11, 29, 12, tzinfo=UTC))
    assert [r.partition_key for r in plan.requests] == ["2026-11-30"]
    assert plan.skipped == [
        f"post:{iid(4)} (2026-12-01)",
        f"post:{iid(5)} (2026-12-01)",
        f"comment:{iid(7)} (2026-12-01)",
    ]
    assert cursor_ids(plan.cursor) == {"video": iid(9), "post": iid(5), "comment": iid(7)}


def test_a_tick_keeps_its_cursor_and_says_why_it_skipped(sqlite_db: Database) -> None:
    seed_items(sqlite_db)
    context = dg.build_sensor_context()
    first = SENSOR.evaluate(context, sqlite_db, now=NOW)
    assert len(first.run_requests) == 2
    context.update_cursor(first.cursor)
    second = SENSOR.evaluate(context, sqlite_db, now=NOW)
    assert second.run_requests == [] and second.skip_reason.skip_message == "no new items"
    assert json.loads(second.cursor)["post"] == [DAY_TWO.isoformat(), iid(5)]
    assert cursor_ids(decode_cursor(second.cursor)) == {"comment": iid(7), "post": iid(5), "video": iid(9)}


def test_a_cursor_of_the_old_format_restarts_the_scan_without_rerunning_done_items(
    sqlite_db: Database,
) -> None:
    seed_items(sqlite_db)
    mark(sqlite_db, done_marks, *[("post", iid(n)) for n in (1, 2, 3, 4, 5)], ("video", iid(9)))
    context = dg.build_sensor_context(cursor=json.dumps({"post": 5, "video": 9}))
    result = SENSOR.evaluate(context, sqlite_db, now=NOW)
    assert [listed(r) for r in result.run_requests] == [{"comments": [iid(7)]}]
    assert DAY_ONE.date().isoformat() in result.cursor


def test_young_items_of_some_types_into_unpartitioned_runs(sqlite_db: Database) -> None:
    """What the viral sensor asks: posts and videos only, a day old at most, no partition."""
    seed_items(sqlite_db)
    young = replace(SENSOR, content_types=("post", "video"), partitioned=False, max_age=timedelta(days=1))
    plan = young.plan(sqlite_db, {}, now=NOW)
    # Day one's posts 1-3 and video 9 are 27 hours old: passed over, the cursor past them.
    assert [listed(r) for r in plan.requests] == [{"posts": [iid(4), iid(5)]}]
    assert [r.partition_key for r in plan.requests] == [None]
    assert cursor_ids(plan.cursor) == {"post": iid(5), "video": iid(9)}
    assert young.plan(sqlite_db, plan.cursor, now=NOW).requests == []
