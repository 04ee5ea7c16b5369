"""The Social Flow backend's tables, declared as external assets: lineage starts here, but
Dagster never materializes them (the backend owns their rows)."""

from __future__ import annotations

import dagster as dg

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
