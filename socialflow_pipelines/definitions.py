"""The one Definitions object: assets, checks, jobs, schedules, sensors and resources."""

from __future__ import annotations

import dagster as dg

from socialflow_pipelines import automation
from socialflow_pipelines.assets import content, moderation, recommendations, trending
from socialflow_pipelines.assets.app_tables import app_tables
from socialflow_pipelines.resources import DatabaseResource, ModelStoreResource, RedisResource

defs = dg.Definitions(
    assets=[app_tables, *dg.load_assets_from_modules([trending, moderation, content, recommendations])],
    jobs=automation.jobs,
    schedules=automation.schedules,
    sensors=automation.sensors,
    resources={
        "database": DatabaseResource(),
        "redis": RedisResource(),
        "model_store": ModelStoreResource(),
    },
)
