"""When recommendations are refreshed: the model daily at 03:00, every active user's lists hourly."""

from __future__ import annotations

import dagster as dg

from socialflow_pipelines.defs.common import running_schedule
from socialflow_pipelines.defs.recommendations.assets import (
    interaction_matrix,
    recommendation_model,
    recommendations,
)

recommendation_model_job = dg.define_asset_job(
    "recommendation_model_job",
    selection=dg.AssetSelection.assets(interaction_matrix, recommendation_model),
    description="Rebuild the interaction matrix, retrain the model; publish it if not worse.",
)
recommendations_job = dg.define_asset_job(
    "recommendations_job",
    selection=dg.AssetSelection.assets(recommendations),
    description="Score every active user and publish to the results store and Redis.",
)
recommendation_model_daily = running_schedule(
    "recommendation_model_daily",
    recommendation_model_job,
    "0 3 * * *",
    "Daily at 03:00: rebuild the interactions, retrain the model; publish if not worse.",
)
# The seed refreshes recommendations hourly; at :20, after the :15 trending refresh.
recommendations_hourly = running_schedule(
    "recommendations_hourly",
    recommendations_job,
    "20 * * * *",
    "Hourly at :20: top recommendations for every active user, to the store and Redis.",
)

jobs = [recommendation_model_job, recommendations_job]
schedules = [recommendation_model_daily, recommendations_hourly]
