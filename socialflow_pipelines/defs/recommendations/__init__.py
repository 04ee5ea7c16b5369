"""Recommendations: the interaction matrix, the model, the hourly lists, their jobs and schedules."""

import dagster as dg

from socialflow_pipelines.defs.recommendations import assets, schedules

defs = dg.Definitions(assets=list(assets.ASSETS), jobs=schedules.jobs, schedules=schedules.schedules)
