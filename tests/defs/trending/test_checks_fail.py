"""trending_scores' checks shown failing: scores_finite, every_window_present, row_counts_sane."""

from __future__ import annotations

from datetime import timedelta

import polars as pl

from socialflow_pipelines.config import Settings
from socialflow_pipelines.defs.trending.checks import check_trending
from socialflow_pipelines.ml.trending import WINDOW_HOURS, aggregate_hourly, compute_trending, top_per_window
from tests.defs.check_results import by_name, meta
from tests.defs.trending.world import NOW
from tests.domains.catalog.world import iid

# --------------------------------------------------------------------------------------------
# trending_scores: scores_finite, every_window_present, row_counts_sane (check_trending)


def scored_world(keep_top: int = 10) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(kept, hourly) as `trending_scores` computes them: three videos and two posts engaged over
    the last two days, so both content types have a list in every window."""
    rows = [
        (content_type, iid(n), "view", NOW - timedelta(hours=h, minutes=n))
        for content_type, numbers in (("video", (1, 2, 3)), ("post", (7, 8)))
        for n in numbers
        for h in range(0, 48, n)
    ]
    events = pl.DataFrame(
        rows,
        schema={
            "content_type": pl.String(),
            "content_id": pl.String(),
            "event_type": pl.String(),
            "created_at": pl.Datetime("us", "UTC"),
        },
        orient="row",
    )
    hourly = aggregate_hourly(events)
    scores = compute_trending(hourly, NOW, Settings().engagement_weights)
    return top_per_window(scores, keep_top), hourly


def test_trending_checks_pass_on_what_the_asset_computes() -> None:
    kept, hourly = scored_world()
    checks = by_name(check_trending(kept, hourly, keep_top=10))
    assert {name: c.passed for name, c in checks.items()} == {
        "scores_finite": True,
        "every_window_present": True,
        "row_counts_sane": True,
    }
    assert meta(checks["every_window_present"])["missing_lists"] == "none"
    assert meta(checks["every_window_present"])["lists_present"] == 2 * len(WINDOW_HOURS)


def test_scores_finite_fails_on_a_nan_score() -> None:
    kept, hourly = scored_world()
    bad = kept.with_columns(
        pl.when((pl.col("content_id") == iid(2)) & (pl.col("time_window") == "6h"))
        .then(float("nan"))
        .otherwise(pl.col("score"))
        .alias("score")
    )
    check = by_name(check_trending(bad, hourly, keep_top=10))["scores_finite"]
    assert check.passed is False
    assert meta(check) == {"non_finite_values": 1}


def test_every_window_present_fails_on_a_missing_window() -> None:
    kept, hourly = scored_world()
    bad = kept.filter(~((pl.col("content_type") == "post") & (pl.col("time_window") == "7d")))
    check = by_name(check_trending(bad, hourly, keep_top=10))["every_window_present"]
    assert check.passed is False
    assert meta(check) == {
        "lists_expected": 2 * len(WINDOW_HOURS),
        "lists_present": 2 * len(WINDOW_HOURS) - 1,
        "missing_lists": "post/7d",
    }


def test_row_counts_sane_fails_on_a_list_longer_than_keep_top_and_on_no_rows_despite_engagement() -> None:
    kept, hourly = scored_world(keep_top=10)  # three videos per list: more than a keep_top of 2
    check = by_name(check_trending(kept, hourly, keep_top=2))["row_counts_sane"]
    assert check.passed is False
    assert meta(check) == {"rows": kept.height, "largest_list": 3, "keep_top": 2}

    empty = by_name(check_trending(kept.clear(), hourly, keep_top=10))["row_counts_sane"]
    assert empty.passed is False and meta(empty)["rows"] == 0
