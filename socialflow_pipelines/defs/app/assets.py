"""The Social Flow backend's tables, declared as external assets that Dagster observes but never
materializes (the backend owns their rows). An observation records each table's row count and
latest created_at as its data version, so the UI shows when the backend last wrote to it."""

from collections.abc import Iterator

import dagster as dg

from socialflow_pipelines.defs.resources import DatabaseResource
from socialflow_pipelines.domains.catalog import store

APP_TABLES = {
    "users": "Accounts (id, username, language, is_admin).",
    "follows": "Who follows whom.",
    "videos": "Videos with title, description and the moderation columns this platform writes.",
    "posts": "Text posts with the moderation columns this platform writes.",
    "comments": "Comments on videos and posts, with moderation columns.",
    "engagement_events": "One row per view, like, comment or share.",
    "moderation_reviews": "Human reviewers' decisions: the labels the moderation models retrain on.",
}

app_table_specs = [
    dg.AssetSpec(name, description=description, group_name="app", kinds={"sql"})
    for name, description in APP_TABLES.items()
]


@dg.multi_observable_source_asset(specs=app_table_specs, name="app_tables", group_name="app")
def app_tables(database: DatabaseResource) -> Iterator[dg.ObserveResult]:
    """Row count and newest row per table, one cheap query each."""
    for name, (rows, newest) in store.table_versions(database.database, list(APP_TABLES)).items():
        yield dg.ObserveResult(
            asset_key=name,
            data_version=dg.DataVersion(f"{rows}:{newest}"),
            metadata={"rows": rows, "newest": str(newest)},
        )
