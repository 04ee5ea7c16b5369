"""Trending: hourly engagement counts and the windowed trending scores."""

import dagster as dg

from socialflow_pipelines.defs.trending import assets, schedules

defs = dg.Definitions(
    assets=dg.load_assets_from_modules([assets]), jobs=schedules.jobs, schedules=schedules.schedules
)
