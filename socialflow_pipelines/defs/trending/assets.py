"""Trending: hourly engagement rollups, and trending scores per content type and window."""

from datetime import datetime, timedelta

import dagster as dg
import polars as pl
import sqlalchemy as sa

from socialflow_pipelines.config import get_settings
from socialflow_pipelines.defs.common import SEED_RETRY_POLICY, hourly_partitions, markdown_table
from socialflow_pipelines.defs.resources import DatabaseResource, RedisResource
from socialflow_pipelines.ml.trending import (
    HOURLY_SCHEMA,
    WINDOW_HOURS,
    aggregate_hourly,
    compute_trending,
    lookback_hours,
    top_per_window,
)
from socialflow_pipelines.platform.cache import trending_key
from socialflow_pipelines.platform.db import schema
from socialflow_pipelines.platform.db.engine import Database
from socialflow_pipelines.platform.time import utc_now

TRENDING_CONTENT_TYPES = ("video", "post")
CACHED_PER_LIST = 100  # the API serves at most 50; 100 leaves room for exclusions

EVENT_SCHEMA = {
    "content_type": pl.String(),
    "content_id": pl.Int64(),
    "event_type": pl.String(),
    "created_at": pl.Datetime("us", "UTC"),
}


def read_events(database: Database, start: datetime, end: datetime) -> pl.DataFrame:
    events = schema.engagement_events
    query = sa.select(
        events.c.content_type, events.c.content_id, events.c.event_type, events.c.created_at
    ).where(events.c.created_at >= start, events.c.created_at < end)
    return database.read_bulk(query, EVENT_SCHEMA)


def read_hourly(database: Database, start: datetime, end: datetime) -> pl.DataFrame:
    hourly = schema.engagement_hourly
    query = sa.select(*[hourly.c[name] for name in HOURLY_SCHEMA]).where(
        hourly.c.hour_start >= start, hourly.c.hour_start < end
    )
    return database.read_bulk(query, HOURLY_SCHEMA)


@dg.asset(
    group_name="trending",
    partitions_def=hourly_partitions,
    backfill_policy=dg.BackfillPolicy.single_run(),
    deps=["engagement_events"],
    retry_policy=SEED_RETRY_POLICY,
    kinds={"polars", "sql"},
)
def engagement_hourly(context: dg.AssetExecutionContext, database: DatabaseResource) -> dg.MaterializeResult:
    """Views, likes, comments and shares per item and hour.

    A run covers one hour or, in a backfill, a whole range in one pass; its rows replace that
    range's rows in one transaction, so a re-run or backfill leaves exactly the same rows.
    """
    window = context.partition_time_window
    db = database.database
    parts, event_counts = [], {}
    day = window.start
    while day < window.end:  # a day at a time, so a long backfill never holds all its events
        events = read_events(db, day, min(day + timedelta(days=1), window.end))
        parts.append(aggregate_hourly(events))
        for event_type, n in events.group_by("event_type").len().iter_rows():
            event_counts[event_type] = event_counts.get(event_type, 0) + n
        day += timedelta(days=1)
    hourly = pl.concat(parts)
    table = schema.engagement_hourly
    db.replace(table, hourly, sa.and_(table.c.hour_start >= window.start, table.c.hour_start < window.end))
    n_events = sum(event_counts.values())
    context.log.info(f"{n_events} events -> {hourly.height} item-hours for {window.start}..{window.end}")
    return dg.MaterializeResult(
        metadata={
            "events": n_events,
            "item_hours": hourly.height,
            "hours": int((window.end - window.start) / timedelta(hours=1)),
            "events_by_type": dg.MetadataValue.json(event_counts),
        }
    )


@dg.asset(
    group_name="trending",
    deps=[engagement_hourly],
    retry_policy=SEED_RETRY_POLICY,
    kinds={"polars", "sql", "redis"},
    check_specs=[
        dg.AssetCheckSpec(
            "scores_finite",
            asset="trending_scores",
            description="Scores, velocities and baselines are finite numbers.",
        ),
        dg.AssetCheckSpec(
            "every_window_present",
            asset="trending_scores",
            description="Each content type with engagement has a list for 1h, 6h, 24h, 7d and 30d.",
        ),
        dg.AssetCheckSpec(
            "row_counts_sane",
            asset="trending_scores",
            description="Rows exist when engagement does, and no list is longer than TRENDING_KEEP_TOP.",
        ),
    ],
)
def trending_scores(
    context: dg.AssetExecutionContext, database: DatabaseResource, redis: RedisResource
) -> dg.MaterializeResult:
    """Per content type and window (1h/6h/24h/7d/30d): velocity, score, rising/falling/stable.

    Closed hours come from `engagement_hourly`; the last two hours are read from the raw events,
    so a refresh every 15 minutes sees engagement that is minutes old.
    """
    settings = get_settings()
    db = database.database
    now = utc_now()
    fresh_from = now.replace(minute=0, second=0, microsecond=0) - timedelta(hours=1)
    history = read_hourly(db, now - timedelta(hours=lookback_hours()), fresh_from)
    recent = aggregate_hourly(read_events(db, fresh_from, now + timedelta(seconds=1)))
    hourly = pl.concat([history, recent])
    scores = compute_trending(hourly, now, settings.engagement_weights)
    kept = top_per_window(scores, settings.trending_keep_top).with_columns(pl.lit(now).alias("computed_at"))
    db.replace(schema.trending_scores, kept, where=None)
    context.log.info(
        f"scored {scores.height} item-windows from {hourly.height} item-hours; kept {kept.height}"
    )

    published = publish_trending(redis, kept, settings.trending_cache_ttl)
    checks = check_trending(kept, hourly, settings.trending_keep_top)
    video_day = kept.filter((pl.col("content_type") == "video") & (pl.col("time_window") == "24h"))
    return dg.MaterializeResult(
        metadata={
            "item_hours_read": hourly.height,
            "items_scored": scores.select("content_type", "content_id").n_unique(),
            "rows_kept": kept.height,
            "redis_keys": published,
            "trend_counts": dg.MetadataValue.json(
                {f"{t}": n for t, n in kept.group_by("trend").len().sort("trend").iter_rows()}
            ),
            "top_videos_24h": markdown_table(
                video_day.select("rank", "content_id", "score", "velocity", "baseline_velocity", "trend")
            ),
        },
        check_results=checks,
    )


def publish_trending(redis: RedisResource, kept: pl.DataFrame, ttl_s: int) -> int | str:
    """One key per (content type, window) holding its top list; returns keys written."""
    items = []
    for (content_type, window), group in kept.group_by("content_type", "time_window"):
        rows = group.sort("rank").head(CACHED_PER_LIST).drop("computed_at").to_dicts()
        items.append((trending_key(str(content_type), str(window)), rows))
    return redis.publish(items, ttl_s, "trending")


def check_trending(kept: pl.DataFrame, hourly: pl.DataFrame, keep_top: int) -> list[dg.AssetCheckResult]:
    numeric = ("score", "velocity", "baseline_velocity", "weighted_engagement")
    non_finite = sum(int((~kept[c].is_finite()).sum()) for c in numeric) if kept.height else 0
    types_with_data = set(hourly["content_type"].unique()) & set(TRENDING_CONTENT_TYPES)
    present = {(t, w) for t, w in kept.select("content_type", "time_window").unique().iter_rows()}
    missing = sorted(f"{t}/{w}" for t in types_with_data for w in WINDOW_HOURS if (t, w) not in present)
    per_list = kept.group_by("content_type", "time_window").len()["len"] if kept.height else pl.Series([0])
    counts_ok = (kept.height > 0) == bool(types_with_data) and int(per_list.max() or 0) <= keep_top
    return [
        dg.AssetCheckResult(
            check_name="scores_finite", passed=non_finite == 0, metadata={"non_finite_values": non_finite}
        ),
        dg.AssetCheckResult(
            check_name="every_window_present",
            passed=not missing,
            metadata={
                "lists_expected": len(types_with_data) * len(WINDOW_HOURS),
                "lists_present": len(present),
                "missing_lists": ", ".join(missing) or "none",
            },
        ),
        dg.AssetCheckResult(
            check_name="row_counts_sane",
            passed=counts_ok,
            metadata={"rows": kept.height, "largest_list": int(per_list.max() or 0), "keep_top": keep_top},
        ),
    ]
