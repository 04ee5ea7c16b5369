"""The trending math on hand-built hourly series whose answer is known."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import polars as pl
import pytest

from socialflow_pipelines.ml.trending import (
    HOURLY_SCHEMA,
    WINDOW_HOURS,
    aggregate_hourly,
    compute_trending,
    top_per_window,
)

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
WEIGHTS = {"view": 1.0, "like": 4.0, "comment": 8.0, "share": 12.0}


def series(content_id: int, views_per_hour: list[int], content_type: str = "video") -> list[dict]:
    """Hourly rows ending with the hour just before NOW (last element = most recent hour)."""
    n = len(views_per_hour)
    return [
        {
            "hour_start": NOW - timedelta(hours=n - i),
            "content_type": content_type,
            "content_id": content_id,
            "views": v,
            "likes": 0,
            "comments": 0,
            "shares": 0,
        }
        for i, v in enumerate(views_per_hour)
    ]


def frame(*rows: list[dict]) -> pl.DataFrame:
    return pl.DataFrame([r for rs in rows for r in rs], schema=HOURLY_SCHEMA)


def row(scores: pl.DataFrame, content_id: int, window: str) -> dict:
    return scores.filter((pl.col("content_id") == content_id) & (pl.col("time_window") == window)).row(
        0, named=True
    )


def test_accelerating_item_is_rising_and_outranks_a_steady_item_with_more_views() -> None:
    steady = series(1, [100] * 48)
    accelerating = series(2, [5] * 44 + [50] * 4)
    scores = compute_trending(frame(steady, accelerating), NOW, WEIGHTS)
    fast, slow = row(scores, 2, "6h"), row(scores, 1, "6h")
    assert sum(r["views"] for r in steady) > sum(r["views"] for r in accelerating)
    assert fast["trend"] == "rising"
    assert slow["trend"] == "stable"
    assert fast["score"] > slow["score"]
    assert fast["rank"] == 1


def test_decaying_item_is_falling() -> None:
    decaying = series(3, [100] * 24 + [60, 40, 20, 10, 5, 2])
    scores = compute_trending(frame(decaying), NOW, WEIGHTS)
    assert row(scores, 3, "6h")["trend"] == "falling"
    assert row(scores, 3, "1h")["trend"] == "falling"


def test_item_without_events_in_a_window_has_zero_velocity_and_finite_score() -> None:
    old = series(4, [30] * 10 + [0] * 30)  # activity ended 30 hours ago
    scores = compute_trending(frame(old), NOW, WEIGHTS)
    one_hour = row(scores, 4, "1h")
    assert one_hour["velocity"] == 0.0
    assert one_hour["trend"] == "stable"
    assert all(math.isfinite(s) for s in scores["score"])
    assert set(scores["time_window"]) == set(WINDOW_HOURS)


def test_weights_order_event_types() -> None:
    rows = []
    for content_id, column in enumerate(["views", "likes", "comments", "shares"], start=10):
        rows.append(
            {
                "hour_start": NOW - timedelta(hours=1),
                "content_type": "post",
                "content_id": content_id,
                "views": 0,
                "likes": 0,
                "comments": 0,
                "shares": 0,
            }
            | {column: 10}
        )
    scores = compute_trending(pl.DataFrame(rows, schema=HOURLY_SCHEMA), NOW, WEIGHTS)
    ranked = scores.filter(pl.col("time_window") == "1h").sort("rank")["content_id"].to_list()
    assert ranked == [13, 12, 11, 10]  # shares > comments > likes > views


def test_partial_current_hour_counts_pro_rata() -> None:
    """At 12:15, the 1h window covers 11:15-12:15: 3/4 of the 11:00 bucket plus the 12:00 bucket."""
    now = NOW + timedelta(minutes=15)
    current = {"hour_start": NOW, "content_type": "video", "content_id": 5, "views": 10}
    rows = [*series(5, [40]), current | {"likes": 0, "comments": 0, "shares": 0}]
    scores = compute_trending(frame(rows), now, {"view": 1.0})
    assert row(scores, 5, "1h")["weighted_engagement"] == pytest.approx(0.75 * 40 + 10)


def test_ranks_are_per_content_type_and_window_and_top_keeps_k() -> None:
    rows = [series(i, [i] * 5, "video") for i in range(1, 6)] + [
        series(i, [i] * 5, "post") for i in range(1, 4)
    ]
    scores = compute_trending(frame(*rows), NOW, WEIGHTS)
    for (_ctype, _window), group in scores.group_by("content_type", "time_window"):
        assert sorted(group["rank"]) == list(range(1, group.height + 1))
    top = top_per_window(scores, 2)
    assert top.height == 2 * 2 * len(WINDOW_HOURS)


def test_aggregate_hourly_counts_each_event_type() -> None:
    t = NOW - timedelta(minutes=30)
    events = pl.DataFrame(
        {
            "content_type": ["video"] * 4 + ["post"],
            "content_id": [1, 1, 1, 1, 1],
            "event_type": ["view", "view", "like", "share", "comment"],
            "created_at": [t, t + timedelta(minutes=5), t, t, t],
        }
    )
    hourly = aggregate_hourly(events)
    video = hourly.filter(pl.col("content_type") == "video").row(0, named=True)
    assert (video["views"], video["likes"], video["comments"], video["shares"]) == (2, 1, 0, 1)
    assert video["hour_start"] == NOW - timedelta(hours=1)


def test_naive_now_and_unknown_window_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone"):
        compute_trending(frame(series(1, [1])), NOW.replace(tzinfo=None), WEIGHTS)
    with pytest.raises(ValueError, match="unknown time windows"):
        compute_trending(frame(series(1, [1])), NOW, WEIGHTS, windows=["2h"])
