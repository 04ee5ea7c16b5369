"""Viral prediction: the daily model, the hourly predictions, their jobs and schedules."""

import dagster as dg

from socialflow_pipelines.defs.virality import assets, schedules

defs = dg.Definitions(assets=list(assets.ASSETS), jobs=schedules.jobs, schedules=schedules.schedules)
