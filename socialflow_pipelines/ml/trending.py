"""Trending: weighted engagement velocity per item and window, scored for fresh acceleration.

What we chose, and why:

* **Velocity.** Each event counts with a weight by how much intent it shows (view < like <
  comment < share; weights in config). Velocity is the weighted engagement inside the window
  divided by its length in hours. Input is hourly buckets; a bucket that straddles a window's
  edge counts pro rata for the part of its observed time inside the window, so a refresh at 10:15
  sees a true 60-minute window, not "since 10:00".
* **Own baseline.** Like Twitter's trend detection, an item is compared with *itself*: its
  velocity over the period just before the window (`BASELINE_HOURS`: 6 h before a 1 h window,
  24 h before 6 h, 3 days before 24 h, 14 days before 7 d, 30 days before 30 d). Only the part of
  that period the item was alive counts: ``[max(now - window - baseline, first_seen), now -
  window]``, and the baseline velocity is the engagement there divided by *those* hours, so an item
  two and a half days old still has a fair 24 h baseline of 36 hours.
* **Age.** ``first_seen`` is the start of the item's first hour in the input (or its creation time
  when the caller passes ``born``). The caller hands over `lookback_hours()` of history, so an item
  whose first row is within the first hour of that history is taken to be older than all of it.
* **Peer baseline.** An item with less than ``min(baseline, window)`` hours of life before the
  window has no history of its own to accelerate against: compared with a baseline of zero every
  such item is "rising" with ``baseline_velocity`` 0, which said nothing (in a 14-day demo every
  item at 24 h, 7 d and 30 d). Such an item is instead compared with its *peers*: the median
  weighted engagement in the same window of the items of its content type at a similar age (age in
  half-octave buckets, ``floor(2 * log2(age_hours))``; every item in the bucket counts, whichever
  baseline it uses itself). Its reported baseline velocity is that median over the hours of the
  window it was alive. True age rather than ``min(age, window)`` decides the bucket, so a 30-hour-old
  item at 24 h is held against items of about 30 hours, not against every item older than a day,
  most of them long faded. An item alone in its bucket is its own median: stable. The `baseline`
  column says which comparison was made, ``own`` or ``peers``, so a label reads "accelerating
  against itself" for an established item and "far above (or below) items of its age" for a young
  one.
* **Score** = ``log1p(E) + log((E + a) / (E0 + a))`` where E is the weighted engagement in the
  window, E0 the engagement expected from the baseline (own velocity times the window, or the peer
  median), and ``a`` a pseudo-count prior. The first term is Reddit hot's log magnitude: ten times
  the engagement is worth a fixed step, not ten times the rank. The second is the acceleration
  against the baseline; the prior keeps a handful of events on a new item from looking infinitely
  fast. It also plays the part of Hacker News' gravity: old bulk stops helping once the window's
  velocity falls under the baseline, so a steady giant is overtaken by a smaller item that is
  accelerating now, which is the point of a trending list.
* **Label.** ``rising`` when the item runs at least `TREND_RATIO` times its baseline and the
  excess is beyond Poisson noise (z >= 2 with variance E0 + a); ``falling`` for the mirror case;
  ``stable`` otherwise, including an item with no events in either period (velocity 0).
* **Rank** is by score within content type and window, ties broken by content id, so a refresh
  gives the same ranks whatever order its input rows came in.
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
MIN_ALIVE_HOURS = 1 / 60  # the floor on an age or a covered span, so nothing divides by zero
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
    *,
    born: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """Score every item in `hourly` for every window.

    Returns one row per (content_type, content_id, time_window) with velocity, baseline_velocity,
    baseline ("own" or "peers"), weighted_engagement, score, trend and rank (1 = hottest within its
    content type and window). Items with no events in a window get velocity 0 and a finite score.
    `born` (content_type, content_id, created_at), when given, dates items whose creation is known
    instead of their first hour in `hourly`; items it does not name keep their first hour.
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
        "baseline": pl.String(),
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
    lookback = lookback_hours(windows)
    horizon = now - timedelta(hours=lookback)
    per_item = (
        hourly.lazy()
        .filter(
            (pl.col("hour_start") >= horizon.replace(minute=0, second=0, microsecond=0))
            & (pl.col("hour_start") <= now)
        )
        .with_columns(weighted.alias("_w"))
        .filter(pl.col("_w") > 0)
        # Each item's rows summed in one order whatever order they came in, so the same floats every
        # run. Collected here: inside a larger plan the optimiser drops a sort ahead of a group_by.
        .sort("content_type", "content_id", "hour_start")
        .group_by("content_type", "content_id", maintain_order=True)
        .agg(sums)
        .collect()
        .lazy()
    )

    # Age. An item first seen within the first hour of the history it was handed (a reader asking
    # for `hour_start >= now - lookback` gets the next whole hour) is older than all of it.
    horizon_us = now_us - lookback * hour_us
    first_row = pl.min_horizontal(pl.col("hour_start").min().dt.epoch("us"), pl.lit(now_us))
    known_items = (
        hourly.lazy()
        .group_by("content_type", "content_id")
        .agg(
            pl.when(first_row < horizon_us + hour_us)
            .then(pl.min_horizontal(first_row, pl.lit(horizon_us)))
            .otherwise(first_row)
            .alias("_first_us")
        )
    )
    if born is not None:
        created = (
            born.lazy()
            .group_by("content_type", "content_id")
            .agg(pl.col("created_at").min().dt.epoch("us").alias("_born_us"))
        )
        known_items = (
            known_items.join(created, on=["content_type", "content_id"], how="left")
            # Events cannot precede creation: where they seem to, the rows win.
            .with_columns(pl.min_horizontal("_first_us", "_born_us").alias("_first_us"))
            .drop("_born_us")
        )
    age_hours = ((now_us - pl.col("_first_us")) / hour_us).clip(lower_bound=MIN_ALIVE_HOURS)
    per_item = (
        known_items.join(per_item, on=["content_type", "content_id"], how="left")
        .with_columns(pl.exclude("content_type", "content_id", "_first_us").fill_null(0.0))
        .with_columns(
            age_hours.alias("_age_h"),
            (2.0 * age_hours.log(2)).floor().cast(pl.Int64).alias("_age_bucket"),
        )
    )

    frames = []
    for window in windows:
        hours = float(WINDOW_HOURS[window])
        w_us = WINDOW_HOURS[window] * hour_us
        b_us = BASELINE_HOURS[window] * hour_us
        # The part of the baseline period the item was alive for, and whether it is long enough.
        covered_us = (
            pl.lit(now_us - w_us) - pl.max_horizontal(pl.lit(now_us - w_us - b_us), pl.col("_first_us"))
        ).clip(lower_bound=0)
        own = covered_us >= min(b_us, w_us)
        own_velocity = pl.col(f"base_{window}") / (covered_us / hour_us).clip(lower_bound=MIN_ALIVE_HOURS)
        engagement = pl.col(f"in_{window}")
        peer_expected = engagement.median().over("content_type", "_age_bucket")
        alive_hours = pl.min_horizontal(pl.col("_age_h"), pl.lit(hours)).clip(lower_bound=MIN_ALIVE_HOURS)
        expected = pl.when(own).then(own_velocity * hours).otherwise(peer_expected)
        acceleration = ((engagement + PRIOR_EVENTS) / (expected + PRIOR_EVENTS)).log()
        z = (engagement - expected) / (expected + PRIOR_EVENTS).sqrt()
        frames.append(
            per_item.select(
                "content_type",
                "content_id",
                pl.lit(window).alias("time_window"),
                (engagement / hours).alias("velocity"),
                pl.when(own)
                .then(own_velocity)
                .otherwise(peer_expected / alive_hours)
                .alias("baseline_velocity"),
                engagement.alias("weighted_engagement"),
                (engagement.log1p() + acceleration).alias("score"),
                pl.when((acceleration >= math.log(TREND_RATIO)) & (z >= TREND_Z))
                .then(pl.lit("rising"))
                .when((acceleration <= -math.log(TREND_RATIO)) & (z <= -TREND_Z))
                .then(pl.lit("falling"))
                .otherwise(pl.lit("stable"))
                .alias("trend"),
                pl.when(own).then(pl.lit("own")).otherwise(pl.lit("peers")).alias("baseline"),
            )
        )
    scored = (
        pl.concat(frames)
        .sort("content_type", "time_window", "score", "content_id", descending=[False, False, True, False])
        .with_columns(
            (pl.int_range(1, pl.len() + 1).over("content_type", "time_window")).cast(pl.Int64).alias("rank")
        )
    )
    return scored.collect().select(list(out_schema)).sort("content_type", "time_window", "rank")


def top_per_window(scores: pl.DataFrame, keep: int) -> pl.DataFrame:
    """The `keep` best items per content type and window: what is stored and served."""
    return scores.filter(pl.col("rank") <= keep)
