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
* **Trajectory baseline.** An item with less than ``min(baseline, window)`` hours of life before
  the window has no history of its own to accelerate against (compared with a baseline of zero
  every such item was "rising" with ``baseline_velocity`` 0). Comparing it with the median
  engagement of items of its age did not help either: the biggest items are far above the median
  of any age, so the top of every long-window list (24 h, 7 d, 30 d) was 20 out of 20 "rising",
  which said "popular", not "accelerating". Such an item is instead judged on its *trajectory*:
  its life inside the window, ``[max(first_seen, now - window), now)``, is cut at its midpoint
  (an hourly bucket straddling it counts pro rata, as at the window's edges) into an early half
  with engagement ``E_early`` and a late half with ``E_late``. Its peers are the other items of
  its content type at a similar age (age in half-octave buckets, ``floor(2 * log2(age_hours))``;
  true age, not ``min(age, window)``, so a 30-hour-old item at 24 h is held against items of
  about 30 hours; every item in the bucket counts, whichever baseline it uses itself). Their
  typical carry-over from the first half to the second is ``r = (sum E_late + a) / (sum E_early +
  a)`` over the peers without the item itself: for items that share one decay shape at different
  popularities that pooled ratio is the Poisson maximum-likelihood estimate of the shape, while a
  median of per-item ratios is pulled towards 1 by the many small items (the prior dominates their
  few events) and would make every big item look "falling"; leaving the item out keeps a giant
  from being its own yardstick. An item alone in its bucket gets ``r = 1``: holding level. The
  expectation is ``E0 = E_early * (1 + r)``, what a typical item of its age would have by now
  given the start this one had, and ``baseline_velocity`` is ``E0`` over the hours of the window
  the item was alive. The test (ratio and Poisson z below) is on the part that was predicted,
  ``E_late`` against ``E_early * r``: the early half is common to both sides, and left in it would
  dilute the ratio so much that an item decaying faster than its peers could never be "falling".
  So "rising" means holding up better than typical items of its age given its own start, and
  "falling" fading faster. The `baseline` column says which comparison was made, ``own`` or
  ``trajectory``.
* **Score** = ``log1p(E) + log((X + a) / (X0 + a))`` where E is the weighted engagement in the
  window, X against X0 what is tested against its expectation (for an own baseline the window's E
  against E0, the own velocity times the window; for a trajectory baseline ``E_late`` against
  ``E_early * r``), and ``a`` a pseudo-count prior. The first term is Reddit hot's log magnitude:
  ten times the engagement is worth a fixed step, not ten times the rank. The second is the
  acceleration against the baseline; the prior keeps a handful of events on a new item from
  looking infinitely fast. It also plays the part of Hacker News' gravity: old bulk stops helping
  once the window's velocity falls under the baseline, so a steady giant is overtaken by a smaller
  item that is accelerating now, which is the point of a trending list.
* **Label.** ``rising`` when X is at least `TREND_RATIO` times X0 and the excess is beyond Poisson
  noise (z >= 2 with variance X0 + a); ``falling`` for the mirror case; ``stable`` otherwise,
  including an item with no events in either period (velocity 0).
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
    "content_id": pl.String(),  # ids are text (UUIDs, or an integer deployment's digits)
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
    baseline ("own" or "trajectory"), weighted_engagement, score, trend and rank (1 = hottest within its
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
        "content_id": pl.String(),
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

    def share_between(lo_us: int | pl.Expr, hi_us: int | pl.Expr) -> pl.Expr:
        lo = lo_us if isinstance(lo_us, pl.Expr) else pl.lit(lo_us)
        hi = hi_us if isinstance(hi_us, pl.Expr) else pl.lit(hi_us)
        overlap = pl.min_horizontal(observed_end, hi) - pl.max_horizontal(start, lo)
        return (overlap.clip(lower_bound=0).cast(pl.Float64) / observed).fill_nan(0.0)

    # Age. An item first seen within the first hour of the history it was handed (a reader asking
    # for `hour_start >= now - lookback` gets the next whole hour) is older than all of it.
    lookback = lookback_hours(windows)
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
    # In one order, so the peers' sums below add up the same floats every run.
    known_items = known_items.collect().sort("content_type", "content_id")

    def life_midpoint(w_us: int) -> pl.Expr:
        """The middle of the part of the item's life inside the window (``_first_us`` per item)."""
        return (pl.max_horizontal(pl.col("_first_us"), pl.lit(now_us - w_us)) + now_us) // 2

    sums = []
    for window in windows:
        w_us = WINDOW_HOURS[window] * hour_us
        b_us = BASELINE_HOURS[window] * hour_us
        sums += [
            (pl.col("_w") * share_between(now_us - w_us, now_us)).sum().alias(f"in_{window}"),
            (pl.col("_w") * share_between(now_us - w_us - b_us, now_us - w_us)).sum().alias(f"base_{window}"),
            (pl.col("_w") * share_between(life_midpoint(w_us), now_us)).sum().alias(f"late_{window}"),
        ]
    horizon = now - timedelta(hours=lookback)
    per_item = (
        hourly.lazy()
        .filter(
            (pl.col("hour_start") >= horizon.replace(minute=0, second=0, microsecond=0))
            & (pl.col("hour_start") <= now)
        )
        .with_columns(weighted.alias("_w"))
        .filter(pl.col("_w") > 0)
        .join(known_items.lazy(), on=["content_type", "content_id"], how="left")
        # Each item's rows summed in one order whatever order they came in, so the same floats every
        # run. Collected here: inside a larger plan the optimiser drops a sort ahead of a group_by.
        .sort("content_type", "content_id", "hour_start")
        .group_by("content_type", "content_id", maintain_order=True)
        .agg(sums)
        .collect()
        .lazy()
    )

    age_hours = ((now_us - pl.col("_first_us")) / hour_us).clip(lower_bound=MIN_ALIVE_HOURS)
    per_item = (
        known_items.lazy()
        .join(per_item, on=["content_type", "content_id"], how="left", maintain_order="left")
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
        # Trajectory: the engagement in the first and second half of the item's life inside the
        # window, and how the other items of its type and age carried theirs from one to the other.
        late = pl.col(f"late_{window}")
        early = (engagement - late).clip(lower_bound=0.0)
        peers = ("content_type", "_age_bucket")
        typical_ratio = (late.sum().over(peers) - late + PRIOR_EVENTS) / (
            early.sum().over(peers) - early + PRIOR_EVENTS
        )
        trajectory_expected = early * (1.0 + typical_ratio)
        alive_hours = pl.min_horizontal(pl.col("_age_h"), pl.lit(hours)).clip(lower_bound=MIN_ALIVE_HOURS)
        # What is tested against its expectation: the whole window against the own baseline, the
        # second half against the typical carry-over of the first (which is known, not predicted).
        tested = pl.when(own).then(engagement).otherwise(late)
        expected = pl.when(own).then(own_velocity * hours).otherwise(early * typical_ratio)
        acceleration = ((tested + PRIOR_EVENTS) / (expected + PRIOR_EVENTS)).log()
        z = (tested - expected) / (expected + PRIOR_EVENTS).sqrt()
        frames.append(
            per_item.select(
                "content_type",
                "content_id",
                pl.lit(window).alias("time_window"),
                (engagement / hours).alias("velocity"),
                pl.when(own)
                .then(own_velocity)
                .otherwise(trajectory_expected / alive_hours)
                .alias("baseline_velocity"),
                engagement.alias("weighted_engagement"),
                (engagement.log1p() + acceleration).alias("score"),
                pl.when((acceleration >= math.log(TREND_RATIO)) & (z >= TREND_Z))
                .then(pl.lit("rising"))
                .when((acceleration <= -math.log(TREND_RATIO)) & (z <= -TREND_Z))
                .then(pl.lit("falling"))
                .otherwise(pl.lit("stable"))
                .alias("trend"),
                pl.when(own).then(pl.lit("own")).otherwise(pl.lit("trajectory")).alias("baseline"),
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
