"""When trending is refreshed: the hour in progress every 15 minutes, the hour just closed at :05."""

from __future__ import annotations

from datetime import datetime, timedelta

import dagster as dg

from socialflow_pipelines.defs.common import LOCATION_SETTINGS, PARTITIONS_START, SCHEDULE_DEFAULTS
from socialflow_pipelines.defs.trending.assets import engagement_hourly, trending_scores

# Every 15 minutes: fold the hour in progress into engagement_hourly, then rescore trending.
trending_refresh_job = dg.define_asset_job(
    "trending_refresh_job",
    selection=dg.AssetSelection.assets(engagement_hourly, trending_scores),
    partitions_def=engagement_hourly.partitions_def,
)


@dg.schedule(
    job=trending_refresh_job,
    cron_schedule=LOCATION_SETTINGS.trending_refresh_cron,
    **SCHEDULE_DEFAULTS,
    description="Every 15 minutes: fold the hour in progress into engagement_hourly, then rescore trending.",
)
def trending_every_15_minutes(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
    """Targets the hour in progress; the run_key makes a tick that fires twice launch one run."""
    tick = context.scheduled_execution_time
    return dg.RunRequest(run_key=f"trending-{tick:%Y-%m-%dT%H:%M}", partition_key=hour_partition(tick))


def hour_partition(at: datetime) -> str:
    """The `engagement_hourly` partition holding the instant `at` (an aware datetime)."""
    partitions = engagement_hourly.partitions_def
    assert isinstance(partitions, dg.TimeWindowPartitionsDefinition)
    return partitions.get_partition_key_for_timestamp(at.timestamp())


# At five past the hour, close the hour that just ended for good (its late events included).
engagement_hourly_job = dg.define_asset_job(
    "engagement_hourly_job",
    selection=dg.AssetSelection.assets(engagement_hourly),
    partitions_def=engagement_hourly.partitions_def,
)


@dg.schedule(
    job=engagement_hourly_job,
    cron_schedule="5 * * * *",
    **SCHEDULE_DEFAULTS,
    description="At :05, recount the hour that just closed (05:05 closes 04:00-05:00).",
)
def close_previous_hour(context: dg.ScheduleEvaluationContext) -> dg.RunRequest | dg.SkipReason:
    closed_at = context.scheduled_execution_time - timedelta(hours=1)
    if closed_at.date().isoformat() < PARTITIONS_START:
        return dg.SkipReason(f"the hour before {PARTITIONS_START}, where partitions start, has none")
    closed = hour_partition(closed_at)
    return dg.RunRequest(run_key=f"close-hour-{closed}", partition_key=closed)


jobs = [trending_refresh_job, engagement_hourly_job]
schedules = [trending_every_15_minutes, close_previous_hour]
