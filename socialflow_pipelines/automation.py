"""Jobs and schedules: when each asset is refreshed."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import dagster as dg

from socialflow_pipelines.assets import content, moderation, recommendations
from socialflow_pipelines.assets.app_tables import app_tables
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

# Every 15 minutes, record each app table's row count and newest row (its data version).
observe_app_tables_job = dg.define_asset_job(
    "observe_app_tables_job", selection=dg.AssetSelection.assets(app_tables)
)
observe_app_tables = dg.ScheduleDefinition(
    job=observe_app_tables_job, cron_schedule="*/15 * * * *", execution_timezone="UTC"
)

jobs = [
    observe_app_tables_job,
    trending_refresh_job,
    engagement_hourly_job,
    *moderation.jobs,
    *content.jobs,
    *recommendations.jobs,
]
schedules = [
    observe_app_tables,
    trending_every_15_minutes,
    close_previous_hour,
    *moderation.schedules,
    *content.schedules,
    *recommendations.schedules,
]
sensors = [*moderation.sensors, *content.sensors]


@dataclass(frozen=True)
class MaterializeStep:
    """One run of `socialflow materialize` / `demo`: assets that share a partitioning."""

    assets: tuple[dg.AssetsDefinition, ...]
    partitioned: bool


# In dependency order. Partitioned steps run as one single-run backfill over the requested range.
MATERIALIZE_PLAN: list[MaterializeStep] = [
    MaterializeStep((engagement_hourly,), partitioned=True),
    MaterializeStep((trending_scores,), partitioned=False),
    # Models first (they train only when enough human reviews exist), then every item's decision.
    MaterializeStep(moderation.MODEL_ASSETS, partitioned=False),
    MaterializeStep((moderation.moderation_results,), partitioned=True),
    # Features and embeddings, topics over them, then features again so items carry topic ids.
    MaterializeStep((content.content_analysis,), partitioned=True),
    MaterializeStep((content.topic_model,), partitioned=False),
    MaterializeStep((content.content_analysis,), partitioned=True),
    # Interactions, the model (published if not worse), then every active user's recommendations.
    MaterializeStep(recommendations.ASSETS, partitioned=False),
]


def materialize_everything(
    instance: dg.DagsterInstance, start: datetime, end: datetime, echo: Callable[[str], None] = print
) -> None:
    """Run the plan on `instance`, so the runs and their metadata show up in the Dagster UI."""
    from socialflow_pipelines.definitions import defs

    echo("observing the app tables")
    if not defs.get_job_def(observe_app_tables_job.name).execute_in_process(instance=instance).success:
        raise RuntimeError("observing the app tables failed; see the run in the Dagster UI")
    for step in MATERIALIZE_PLAN:
        names = ", ".join(key.to_user_string() for a in step.assets for key in a.keys)
        tags = {}
        if step.partitioned:
            partitions = step.assets[0].partitions_def
            assert isinstance(partitions, dg.TimeWindowPartitionsDefinition)
            # The partitions holding `start` and `end`, the partial first and current ones included.
            keys = [partitions.get_partition_key_for_timestamp(t.timestamp()) for t in (start, end)]
            tags = {
                "dagster/asset_partition_range_start": keys[0],
                "dagster/asset_partition_range_end": keys[-1],
            }
            names += f" [{keys[0]} .. {keys[-1]}]"
        echo(f"materializing {names}")
        result = dg.materialize(list(step.assets), instance=instance, resources=defs.resources, tags=tags)
        if not result.success:
            raise RuntimeError(f"materializing {names} failed; see the run in the Dagster UI")
