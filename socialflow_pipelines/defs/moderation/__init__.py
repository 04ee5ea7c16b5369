"""Moderation: its assets, checks, jobs, schedules and sensors."""

import dagster as dg

from socialflow_pipelines.defs.moderation import assets

defs = dg.Definitions(
    assets=dg.load_assets_from_modules([assets]),
    jobs=assets.jobs,
    schedules=assets.schedules,
    sensors=getattr(assets, "sensors", []),
)
