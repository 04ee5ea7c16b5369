"""Moderation: its assets, checks, jobs, schedules and sensors."""

import dagster as dg

from socialflow_pipelines.defs.moderation import assets, schedules, sensors

defs = dg.Definitions(
    assets=[*assets.MODEL_ASSETS, assets.moderation_results],
    jobs=schedules.jobs,
    schedules=schedules.schedules,
    sensors=sensors.sensors,
)
