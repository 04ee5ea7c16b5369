"""When the app tables are observed."""

from __future__ import annotations

import dagster as dg

from socialflow_pipelines.defs.app.assets import app_tables

# Every 15 minutes, record each app table's row count and newest row (its data version).
observe_app_tables_job = dg.define_asset_job(
    "observe_app_tables_job", selection=dg.AssetSelection.assets(app_tables)
)
observe_app_tables = dg.ScheduleDefinition(
    name="observe_app_tables",
    job=observe_app_tables_job,
    cron_schedule="*/15 * * * *",
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Every 15 minutes: each app table's row count and newest row (its data version).",
)

jobs = [observe_app_tables_job]
schedules = [observe_app_tables]
