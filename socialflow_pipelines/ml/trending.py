"""Trending: weighted engagement velocity per item and window, scored for fresh acceleration.

What we chose, and why:

* **Velocity.** Each event counts with a weight by how much intent it shows (view < like <
  comment < share; weights in config). Velocity is the weighted engagement inside the window
  divided by its length in hours. Input is hourly buckets; a bucket that straddles a window's
  edge counts pro rata for the part of its observed time inside the window, so a refresh at 10:15
  sees a true 60-minute window, not "since 10:00".
* **Baseline.** Like Twitter's trend detection, every item is compared with *itself*: its
  velocity over the period just before the window (`BASELINE_HOURS`: 6 h before a 1 h window,
  24 h before 6 h, 3 days before 24 h, 14 days before 7 d, 30 days before 30 d).
* **Score** = ``log1p(E) + log((E + a) / (E0 + a))`` where E is the weighted engagement in the
  window, E0 the engagement the baseline velocity predicts for a window of that length, and
  ``a`` a pseudo-count prior. The first term is Reddit hot's log magnitude: ten times the
  engagement is worth a fixed step, not ten times the rank. The second is the acceleration
  against the item's own baseline; the prior keeps a handful of events on a new item from
  looking infinitely fast. It also plays the part of Hacker News' gravity: old bulk stops
  helping once the window's velocity falls under the baseline, so a steady giant is overtaken
  by a smaller item that is accelerating now, which is the point of a trending list.
* **Label.** ``rising`` when the item runs at least `TREND_RATIO` times its baseline and the
  excess is beyond Poisson noise (z >= 2 with variance E0 + a); ``falling`` for the mirror case;
  ``stable`` otherwise, including an item with no events in either period (velocity 0).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

import polars as pl

WINDOW_HOURS: dict[str, int] = {"1h": 1, "6h": 6, "24h": 24, "7d": 24 * 7, "30d": 24 * 30}
BASELINE_HOURS: dict[str, int] = {"1h": 6, "6h": 24, "24h": 72, "7d": 24 * 14, "30d": 24 * 30}
PRIOR_EVENTS = 5.0
TREND_RATIO = 1.5
TREND_Z = 2.0
COUNT_COLUMNS = {"view": "views", "like": "likes", "comment": "comments", "share": "shares"}

HOURLY_SCHEMA: dict[str, pl.DataType] = {
    "hour_start": pl.Datetime("us", "UTC"),
    "content_type": pl.String(),
    "content_id": pl.Int64(),
    "views": pl.Int64(),
    "likes": pl.Int64(),
    "comments": pl.Int64(),
    "shares": pl.Int64(),
}


def lookback_hours(windows: Sequence[str] = tuple(WINDOW_HOURS)) -> int:
    """How much hourly history a refresh needs: the longest window plus its baseline."""
    return max(WINDOW_HOURS[w] + BASELINE_HOURS[w] for w in windows)


def aggregate_hourly(events: pl.DataFrame | pl.LazyFrame) -> pl.DataFrame:
    """Raw engagement events (content_type, content_id, event_type, created_at) to hourly counts."""
    lazy = events.lazy()
    counts = [
        (pl.col("event_type") == event).sum().cast(pl.Int64).alias(column)
        for event, column in COUNT_COLUMNS.items()
    ]
    return (
        lazy.with_columns(pl.col("created_at").dt.truncate("1h").alias("hour_start"))
        .group_by("hour_start", "content_type", "content_id")
        .agg(counts)
        .select(list(HOURLY_SCHEMA))
        .sort("hour_start", "content_type", "content_id")
        .collect()
    )


def compute_trending(
    hourly: pl.DataFrame,
    now: datetime,
    weights: Mapping[str, float],
    windows: Sequence[str] = tuple(WINDOW_HOURS),
) -> pl.DataFrame:
    """Score every item in `hourly` for every window.

    Returns one row per (content_type, content_id, time_window) with velocity, baseline_velocity,
    weighted_engagement, score, trend and rank (1 = hottest within its content type and window).
    Items with no events in a window get velocity 0 and a finite score.
    """
    unknown = [w for w in windows if w not in WINDOW_HOURS]
    if unknown:
        raise ValueError(f"unknown time windows {unknown}; known: {list(WINDOW_HOURS)}")
    if now.tzinfo is None:
        raise ValueError("`now` must be timezone-aware")
    out_schema = {
        "content_type": pl.String(),
        "content_id": pl.Int64(),
        "time_window": pl.String(),
        "velocity": pl.Float64(),
        "baseline_velocity": pl.Float64(),
        "weighted_engagement": pl.Float64(),
        "score": pl.Float64(),
        "trend": pl.String(),
        "rank": pl.Int64(),
    }
    if hourly.is_empty():
        return pl.DataFrame(schema=out_schema)

    now_us = int(now.timestamp() * 1_000_000)
    hour_us = 3_600_000_000
    start = pl.col("hour_start").dt.epoch("us")
    observed_end = pl.min_horizontal(start + hour_us, pl.lit(now_us))
    observed = (observed_end - start).cast(pl.Float64)
    weighted = sum(
        pl.col(column).cast(pl.Float64) * float(weights.get(event, 0.0))
        for event, column in COUNT_COLUMNS.items()
    )

    def share_between(lo_us: int, hi_us: int) -> pl.Expr:
        overlap = pl.min_horizontal(observed_end, pl.lit(hi_us)) - pl.max_horizontal(start, pl.lit(lo_us))
        return (overlap.clip(lower_bound=0).cast(pl.Float64) / observed).fill_nan(0.0)

    sums = []
    for window in windows:
        w_us = WINDOW_HOURS[window] * hour_us
        b_us = BASELINE_HOURS[window] * hour_us
        sums += [
            (pl.col("_w") * share_between(now_us - w_us, now_us)).sum().alias(f"in_{window}"),
            (pl.col("_w") * share_between(now_us - w_us - b_us, now_us - w_us)).sum().alias(f"base_{window}"),
        ]
    horizon = now - timedelta(hours=lookback_hours(windows))
    per_item = (
        hourly.lazy()
        .filter(
            (pl.col("hour_start") >= horizon.replace(minute=0, second=0, microsecond=0))
            & (pl.col("hour_start") <= now)
        )
        .with_columns(weighted.alias("_w"))
        .filter(pl.col("_w") > 0)
        .group_by("content_type", "content_id")
        .agg(sums)
    )
    known_items = hourly.lazy().select("content_type", "content_id").unique()
    per_item = known_items.join(per_item, on=["content_type", "content_id"], how="left").with_columns(
        pl.exclude("content_type", "content_id").fill_null(0.0)
    )

    frames = []
    for window in windows:
        hours = float(WINDOW_HOURS[window])
        ratio = hours / BASELINE_HOURS[window]
        engagement = pl.col(f"in_{window}")
        expected = pl.col(f"base_{window}") * ratio
        acceleration = ((engagement + PRIOR_EVENTS) / (expected + PRIOR_EVENTS)).log()
        z = (engagement - expected) / (expected + PRIOR_EVENTS).sqrt()
        frames.append(
            per_item.select(
                "content_type",
                "content_id",
                pl.lit(window).alias("time_window"),
                (engagement / hours).alias("velocity"),
                (pl.col(f"base_{window}") / BASELINE_HOURS[window]).alias("baseline_velocity"),
                engagement.alias("weighted_engagement"),
                (engagement.log1p() + acceleration).alias("score"),
                pl.when((acceleration >= math.log(TREND_RATIO)) & (z >= TREND_Z))
                .then(pl.lit("rising"))
                .when((acceleration <= -math.log(TREND_RATIO)) & (z <= -TREND_Z))
                .then(pl.lit("falling"))
                .otherwise(pl.lit("stable"))
                .alias("trend"),
            )
        )
    scored = pl.concat(frames).with_columns(
        pl.col("score")
        .rank("ordinal", descending=True)
        .over("content_type", "time_window")
        .cast(pl.Int64)
        .alias("rank")
    )
    return scored.collect().select(list(out_schema)).sort("content_type", "time_window", "rank")


def top_per_window(scores: pl.DataFrame, keep: int) -> pl.DataFrame:
    """The `keep` best items per content type and window: what is stored and served."""
    return scores.filter(pl.col("rank") <= keep)
