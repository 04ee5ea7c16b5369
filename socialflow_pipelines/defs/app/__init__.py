"""The backend's tables as observable source assets."""

import dagster as dg

from socialflow_pipelines.defs.app import assets, schedules

defs = dg.Definitions(assets=[assets.app_tables], jobs=schedules.jobs, schedules=schedules.schedules)
