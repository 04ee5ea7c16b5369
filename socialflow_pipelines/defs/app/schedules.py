"""When the app tables are observed."""

from __future__ import annotations

import dagster as dg

from socialflow_pipelines.defs.app.assets import app_tables
from socialflow_pipelines.defs.common import running_schedule

# Every 15 minutes, record each app table's row count and newest row (its data version).
observe_app_tables_job = dg.define_asset_job(
    "observe_app_tables_job", selection=dg.AssetSelection.assets(app_tables)
)
observe_app_tables = running_schedule(
    "observe_app_tables",
    observe_app_tables_job,
    "*/15 * * * *",
    "Every 15 minutes: each app table's row count and newest row (its data version).",
)

jobs = [observe_app_tables_job]
schedules = [observe_app_tables]
