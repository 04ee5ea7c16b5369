"""The item scope of a run: a creation window or listed ids, read, described and counted alike."""

from __future__ import annotations

from datetime import timedelta

import pytest

from socialflow_pipelines.domains.catalog import store
from socialflow_pipelines.domains.catalog.scope import ItemScope
from socialflow_pipelines.platform.db.engine import Database
from tests.domains.catalog.world import DAY_ONE, DAY_TWO, done_marks, iid, mark, ready_marks, seed_items


def day_of(moment):
    start = moment.replace(hour=0)
    return ItemScope.created_in(start, start + timedelta(days=1))


def test_a_window_reads_every_item_created_in_it(any_db: Database) -> None:
    seed_items(any_db)
    items = day_of(DAY_ONE).read_items(any_db)
    assert [item.key for item in items] == [
        ("video", iid(9)),
        ("post", iid(1)),
        ("post", iid(2)),
        ("post", iid(3)),
    ]
    video = items[0]
    assert video.text.endswith("boil the water") and "pasta at home" in video.text
    assert day_of(DAY_ONE).days == (DAY_ONE.date(), DAY_TWO.date())
    assert day_of(DAY_ONE).describe() == "every item created in [2026-11-30 00:00, 2026-12-01 00:00)"


def test_listed_ids_read_only_those_items(any_db: Database) -> None:
    seed_items(any_db)
    scope = ItemScope.listed({"post": [iid(5), iid(4), iid(4)], "comment": [iid(7)], "video": []})
    assert [item.key for item in scope.read_items(any_db)] == [
        ("post", iid(4)),
        ("post", iid(5)),
        ("comment", iid(7)),
    ]
    assert scope.describe() == "3 listed items"
    assert scope.days is None


def test_count_missing_counts_items_in_scope_without_a_result(any_db: Database) -> None:
    seed_items(any_db)
    mark(any_db, done_marks, ("post", iid(1)), ("video", iid(9)), ("post", iid(4)))
    assert day_of(DAY_ONE).count_missing(any_db, done_marks) == 2  # posts 2 and 3
    assert (
        ItemScope.listed({"post": [iid(1), iid(4), iid(5)], "comment": [iid(7)]}).count_missing(
            any_db, done_marks
        )
        == 2
    )


def test_an_unknown_content_type_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown content types \\['reel'\\]"):
        ItemScope.listed({"reel": [iid(1)]})


def test_items_after_tells_done_and_ready(any_db: Database) -> None:
    seed_items(any_db)
    mark(any_db, done_marks, ("post", iid(2)))
    mark(any_db, ready_marks, ("post", iid(2)), ("post", iid(3)))
    rows = store.items_after(any_db, "post", (DAY_ONE, iid(1)), 3, done=done_marks, ready=ready_marks)
    assert [(r.content_id, r.done, r.ready) for r in rows] == [
        (iid(2), True, True),
        (iid(3), False, True),
        (iid(4), False, False),
    ]
    assert [r.ready for r in store.items_after(any_db, "post", None, 10, done=done_marks)] == [True] * 5
