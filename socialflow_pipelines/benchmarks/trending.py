"""`socialflow bench trending`: hourly aggregation throughput and one 15-minute trending refresh
over 10 million engagement events and 1 million items, on the same code the assets run."""

from __future__ import annotations

import resource
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from socialflow_pipelines.config import get_settings
from socialflow_pipelines.ml.trending import aggregate_hourly, compute_trending, top_per_window
from socialflow_pipelines.platform.db import schema
from socialflow_pipelines.platform.db.engine import Database
from socialflow_pipelines.platform.db.migrate import upgrade

EVENT_MIX = {"view": 0.85, "like": 0.09, "comment": 0.035, "share": 0.025}


def synthetic_events(
    n_events: int, n_items: int, now: datetime, days: int = 30, seed: int = 0
) -> pl.DataFrame:
    """Zipf-popular items, events spread over `days`, a slice of items accelerating in the last hours."""
    rng = np.random.default_rng(seed)
    popularity = 1.0 / np.arange(1, n_items + 1) ** 0.9
    item = rng.choice(n_items, size=n_events, p=popularity / popularity.sum())
    age_s = rng.uniform(0, days * 86_400, size=n_events)
    hot = item % 997 == 0  # ~0.1% of items accelerate: their events crowd into the last 6 hours
    age_s[hot] = rng.exponential(6 * 3600, size=int(hot.sum())).clip(0, days * 86_400)
    created = np.datetime64(now.replace(tzinfo=None), "us") - (age_s * 1e6).astype("timedelta64[us]")
    return pl.DataFrame(
        {
            "content_type": pl.Series(np.where(item % 2 == 0, "video", "post"), dtype=pl.Categorical),
            "content_id": item.astype(np.int64),
            "event_type": pl.Series(
                rng.choice(list(EVENT_MIX), size=n_events, p=list(EVENT_MIX.values())), dtype=pl.Categorical
            ),
            "created_at": pl.Series(created).dt.replace_time_zone("UTC"),
        }
    )


def run_benchmark(
    *,
    progress: Callable[[str], None] | None = None,
    n_events: int = 10_000_000,
    n_items: int = 1_000_000,
) -> dict[str, Any]:
    say = progress or (lambda _message: None)
    settings = get_settings()
    now = datetime.now(UTC)
    say(f"generating {n_events:,} events over {n_items:,} items")
    events = synthetic_events(n_events, n_items, now)

    say("aggregating events to hourly rows")
    started = time.perf_counter()
    hourly = aggregate_hourly(events).with_columns(pl.col("content_type").cast(pl.String))
    aggregate_s = time.perf_counter() - started
    del events

    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        upgrade(url)
        database = Database(url)
        say(f"one trending refresh over {hourly.height:,} item-hours")
        started = time.perf_counter()
        scores = compute_trending(hourly, now + timedelta(seconds=1), settings.engagement_weights)
        score_s = time.perf_counter() - started
        kept = top_per_window(scores, settings.trending_keep_top).with_columns(
            pl.lit(now).alias("computed_at")
        )
        database.replace(schema.trending_scores, kept, where=None)
        refresh_s = time.perf_counter() - started
        database.dispose()

    return {
        "events": n_events,
        "items": n_items,
        "item_hours": hourly.height,
        "aggregate_seconds": round(aggregate_s, 2),
        "events_aggregated_per_s": round(n_events / aggregate_s),
        "item_windows_scored": scores.height,
        "scoring_seconds": round(score_s, 2),
        "refresh_seconds": round(refresh_s, 2),
        "refresh_target_seconds": 60,
        "rows_published": kept.height,
        "peak_memory_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }
