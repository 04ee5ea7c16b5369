"""Moderation's jobs and the nightly retraining of its text models."""

import dagster as dg

from socialflow_pipelines.defs.common import daily_partitions
from socialflow_pipelines.defs.moderation.assets import MODEL_ASSETS, moderation_results

moderation_job = dg.define_asset_job(
    "moderation_job",
    selection=dg.AssetSelection.assets(moderation_results),
    partitions_def=daily_partitions,
    # One step: the multiprocess executor would only add a second Python start per run, which
    # under load costs most of the minute a new item may wait for its decision.
    executor_def=dg.in_process_executor,
    description="Moderate the listed new items (sensor runs) or every item of a day range (backfills).",
)
moderation_models_job = dg.define_asset_job(
    "moderation_models_job",
    selection=dg.AssetSelection.assets(*MODEL_ASSETS),
    description="Retrain the moderation text models from the human reviews.",
)
retrain_moderation_models_daily = dg.ScheduleDefinition(
    name="retrain_moderation_models_daily",
    job=moderation_models_job,
    cron_schedule="0 3 * * *",
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Daily at 03:00: retrain the text models from human reviews; publish if not worse.",
)

jobs = [moderation_job, moderation_models_job]
schedules = [retrain_moderation_models_daily]
