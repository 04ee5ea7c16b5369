"""Jobs and schedules: when each asset is refreshed."""

from __future__ import annotations

import dagster as dg

from socialflow_pipelines.assets.trending import engagement_hourly, trending_scores

# Every 15 minutes: fold the hour in progress into engagement_hourly, then rescore trending.
trending_refresh_job = dg.define_asset_job(
    "trending_refresh_job",
    selection=dg.AssetSelection.assets(engagement_hourly, trending_scores),
    partitions_def=engagement_hourly.partitions_def,
)


@dg.schedule(job=trending_refresh_job, cron_schedule="*/15 * * * *", execution_timezone="UTC")
def trending_every_15_minutes(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
    """Targets the hour in progress; the run_key makes a tick that fires twice launch one run."""
    partitions = engagement_hourly.partitions_def
    assert partitions is not None
    hour = partitions.get_last_partition_key(current_time=context.scheduled_execution_time)
    tick = context.scheduled_execution_time.strftime("%Y-%m-%dT%H:%M")
    return dg.RunRequest(run_key=f"trending-{tick}", partition_key=hour)


# At five past the hour, close the previous hour for good (late events included).
engagement_hourly_job = dg.define_asset_job(
    "engagement_hourly_job",
    selection=dg.AssetSelection.assets(engagement_hourly),
    partitions_def=engagement_hourly.partitions_def,
)
close_previous_hour = dg.build_schedule_from_partitioned_job(engagement_hourly_job, minute_of_hour=5)

jobs = [trending_refresh_job, engagement_hourly_job]
schedules = [trending_every_15_minutes, close_previous_hour]
