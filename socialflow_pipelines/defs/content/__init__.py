"""Content: its assets, checks, jobs, schedules and sensors."""

import dagster as dg

from socialflow_pipelines.defs.content import assets, schedules, sensors

defs = dg.Definitions(
    assets=[assets.content_analysis, assets.topic_model, assets.content_topics],
    jobs=schedules.jobs,
    schedules=schedules.schedules,
    sensors=sensors.sensors,
)
