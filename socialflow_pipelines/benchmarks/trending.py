"""`socialflow bench trending`: hourly aggregation throughput and one 15-minute trending refresh
over 10 million engagement events and 1 million items (socialflow_demo's `engagement_events`), on the
same code the assets run, with the settings of the environment (weights, rows kept)."""

from __future__ import annotations

import resource
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import polars as pl

from socialflow_demo.samples import engagement_events
from socialflow_pipelines.config import Settings
from socialflow_pipelines.ml.trending import aggregate_hourly, compute_trending, top_per_window
from socialflow_pipelines.platform.db import schema
from socialflow_pipelines.platform.db.engine import Database
from socialflow_pipelines.platform.db.migrate import upgrade


def run_benchmark(
    *,
    progress: Callable[[str], None] | None = None,
    n_events: int = 10_000_000,
    n_items: int = 1_000_000,
) -> dict[str, Any]:
    say = progress or (lambda _message: None)
    settings = Settings()
    now = datetime.now(UTC)
    say(f"generating {n_events:,} events over {n_items:,} items")
    events = engagement_events(n_events, n_items, now)

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
