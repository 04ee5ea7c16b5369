"""When viral prediction runs: the model daily at 04:00, every young item's prediction hourly."""

from __future__ import annotations

import dagster as dg

from socialflow_pipelines.defs.common import running_schedule
from socialflow_pipelines.defs.virality.assets import viral_model, viral_predictions

viral_model_job = dg.define_asset_job(
    "viral_model_job",
    selection=dg.AssetSelection.assets(viral_model),
    description="Retrain the viral model on matured items; publish it if not worse.",
)
viral_predictions_job = dg.define_asset_job(
    "viral_predictions_job",
    selection=dg.AssetSelection.assets(viral_predictions),
    description="Predict every young item's virality, to the results store and Redis.",
)
viral_model_daily = running_schedule(
    "viral_model_daily",
    viral_model_job,
    "0 4 * * *",
    "Daily at 04:00: retrain the viral model on matured items; publish if not worse.",
)
viral_predictions_hourly = running_schedule(
    "viral_predictions_hourly",
    viral_predictions_job,
    "25 * * * *",
    "Hourly at :25: the viral score of every item younger than the horizon, to the store and Redis.",
)

jobs = [viral_model_job, viral_predictions_job]
schedules = [viral_model_daily, viral_predictions_hourly]
