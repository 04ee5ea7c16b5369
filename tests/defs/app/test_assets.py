"""The backend's tables are observed, never materialized: row count and newest row per table."""

from __future__ import annotations

from datetime import UTC, datetime

import dagster as dg
import polars as pl

from socialflow_pipelines.definitions import defs
from socialflow_pipelines.platform.db import schema
from socialflow_pipelines.platform.db.engine import Database
from tests.domains.catalog.world import iid


def test_observation_records_rows_and_a_data_version_that_moves_with_new_rows(any_db: Database) -> None:
    instance = dg.DagsterInstance.ephemeral()
    job = defs.get_job_def("observe_app_tables_job")

    def observe_posts() -> dg.AssetObservation:
        assert job.execute_in_process(instance=instance).success
        [record] = instance.fetch_observations(dg.AssetKey("posts"), limit=1).records
        return record.asset_observation

    empty = observe_posts()
    assert empty.metadata["rows"].value == 0
    created = datetime(2026, 11, 20, tzinfo=UTC)
    posts = pl.DataFrame(
        {
            "id": [iid(1), iid(2)],
            "user_id": [iid(7)] * 2,
            "text": ["hello", "world"],
            "created_at": [created] * 2,
        }
    )
    with any_db.begin() as conn:
        any_db.insert(schema.posts, posts, conn)
    seen = observe_posts()
    assert seen.metadata["rows"].value == 2
    assert seen.metadata["newest"].value == str(created)  # the latest created_at: UUIDs do not grow
    assert seen.data_version != empty.data_version
