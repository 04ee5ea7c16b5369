"""Moderation's jobs and the nightly retraining of its text models."""

import dagster as dg

from socialflow_pipelines.defs.common import daily_partitions, running_schedule
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
retrain_moderation_models_daily = running_schedule(
    "retrain_moderation_models_daily",
    moderation_models_job,
    "0 3 * * *",
    "Daily at 03:00: retrain the text models from human reviews; publish if not worse.",
)

jobs = [moderation_job, moderation_models_job]
schedules = [retrain_moderation_models_daily]
