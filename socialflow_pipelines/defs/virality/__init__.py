"""Viral prediction: the daily model, the hourly predictions, the sensor for new items, their jobs
and schedules."""

import dagster as dg

from socialflow_pipelines.defs.virality import assets, schedules, sensors

defs = dg.Definitions(
    assets=list(assets.ASSETS),
    jobs=schedules.jobs,
    schedules=schedules.schedules,
    sensors=sensors.sensors,
)
