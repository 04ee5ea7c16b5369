"""Trending: hourly engagement counts and the windowed trending scores, their jobs and schedules."""

import dagster as dg

from socialflow_pipelines.defs.trending import assets, schedules

defs = dg.Definitions(
    assets=[assets.engagement_hourly, assets.trending_scores],
    jobs=schedules.jobs,
    schedules=schedules.schedules,
)
