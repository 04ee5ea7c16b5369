"""Trending: hourly engagement rollups, and trending scores per content type and window.

The work is `domains.trending.service`; each asset asks it once and reports what it did.
"""

import dagster as dg
import polars as pl

from socialflow_pipelines.defs.common import SEED_RETRY_POLICY, hourly_partitions, markdown_table
from socialflow_pipelines.defs.resources import DatabaseResource, RedisResource, SettingsResource
from socialflow_pipelines.defs.trending.checks import TRENDING_CHECK_SPECS, check_trending
from socialflow_pipelines.domains.trending import service
from socialflow_pipelines.platform.time import utc_now


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
    rollup = service.roll_up_hours(database.database, window.start, window.end)
    context.log.info(
        f"{rollup.events} events -> {rollup.item_hours} item-hours for {window.start}..{window.end}"
    )
    return dg.MaterializeResult(
        metadata={
            "events": rollup.events,
            "item_hours": rollup.item_hours,
            "hours": rollup.hours,
            "events_by_type": dg.MetadataValue.json(rollup.events_by_type),
        }
    )


@dg.asset(
    group_name="trending",
    deps=[engagement_hourly],
    retry_policy=SEED_RETRY_POLICY,
    kinds={"polars", "sql", "redis"},
    check_specs=TRENDING_CHECK_SPECS,
)
def trending_scores(
    context: dg.AssetExecutionContext,
    settings: SettingsResource,
    database: DatabaseResource,
    redis: RedisResource,
) -> dg.MaterializeResult:
    """Per content type and window (1h/6h/24h/7d/30d): velocity, score, rising/falling/stable.

    Closed hours come from `engagement_hourly`; the last two hours are read from the raw events,
    so a refresh every 15 minutes sees engagement that is minutes old.
    """
    tunables = settings.get()
    refresh = service.refresh_trending(tunables, database.database, utc_now())
    kept = refresh.kept
    context.log.info(
        f"scored {refresh.scores.height} item-windows from {refresh.hourly.height} item-hours;"
        f" kept {kept.height}"
    )
    published = redis.publish(refresh.cache_items(), tunables.trending_cache_ttl, "trending")
    video_day = kept.filter((pl.col("content_type") == "video") & (pl.col("time_window") == "24h"))
    return dg.MaterializeResult(
        metadata={
            "item_hours_read": refresh.hourly.height,
            "items_scored": refresh.scores.select("content_type", "content_id").n_unique(),
            "rows_kept": kept.height,
            "redis_keys": published,
            "trend_counts": dg.MetadataValue.json(
                {f"{t}": n for t, n in kept.group_by("trend").len().sort("trend").iter_rows()}
            ),
            "top_videos_24h": markdown_table(
                video_day.select("rank", "content_id", "score", "velocity", "baseline_velocity", "trend")
            ),
        },
        check_results=check_trending(kept, refresh.hourly, tunables.trending_keep_top),
    )
