"""What every asset module shares: the retry policy of the seed and the partitions."""

from __future__ import annotations

import json

import dagster as dg
import polars as pl
from pydantic import Field

from socialflow_pipelines.config import get_settings
from socialflow_pipelines.db import schema
from socialflow_pipelines.db.engine import Database, utc_now
from socialflow_pipelines.model_registry import ModelVersion

# The seed's policy: 3 retries, 60 s apart, backing off exponentially (both numbers configurable).
SEED_RETRY_POLICY = dg.RetryPolicy(
    max_retries=get_settings().retry_max_retries,
    delay=get_settings().retry_delay_s,
    backoff=dg.Backoff.EXPONENTIAL,
)

PARTITIONS_START = get_settings().partitions_start

# end_offset=1 makes the hour (or day) in progress a partition too, so a refresh can include it.
hourly_partitions = dg.HourlyPartitionsDefinition(start_date=f"{PARTITIONS_START}-00:00", end_offset=1)
daily_partitions = dg.DailyPartitionsDefinition(start_date=PARTITIONS_START, end_offset=1)


def markdown_table(frame: pl.DataFrame, limit: int = 10) -> dg.MetadataValue:
    """A preview a person can read in the UI."""
    head = frame.head(limit)
    if head.is_empty():
        return dg.MetadataValue.md("_no rows_")
    lines = ["| " + " | ".join(head.columns) + " |", "|" + "---|" * len(head.columns)]
    for row in head.iter_rows():
        cells = [f"{v:.4g}" if isinstance(v, float) else str(v) for v in row]
        lines.append("| " + " | ".join(cells) + " |")
    return dg.MetadataValue.md("\n".join(lines))


def mirror_model_versions(db: Database, version: ModelVersion, status: str, *, replaced: str | None) -> None:
    """Record a version (and the one it replaces, now retired) in `ml.model_versions` for the UI."""
    now = utc_now()
    row = {
        "name": version.name,
        "version": version.version,
        "status": status,
        "artifact_path": str(version.path),
        "metrics": json.dumps(version.metrics, default=str),
        "params": json.dumps(version.params, default=str),
        "created_at": version.created_at,
        "published_at": now if status == "published" else None,
    }
    table = schema.model_versions
    with db.begin() as conn:
        db.upsert(table, pl.DataFrame([row]), keys=["name", "version"], connection=conn)
        if replaced is not None and replaced != version.version:
            conn.execute(
                table.update()
                .where(table.c.name == version.name, table.c.version == replaced)
                .values(status="retired")
            )


class ItemSelectionConfig(dg.Config):
    """Ids to process (sensor runs of moderation, then content analysis). All empty: every item
    created in the partition range (backfills)."""

    posts: list[int] = Field(default_factory=list)
    comments: list[int] = Field(default_factory=list)
    videos: list[int] = Field(default_factory=list)

    def ids(self) -> dict[str, list[int]]:
        return {"post": self.posts, "comment": self.comments, "video": self.videos}

    def is_empty(self) -> bool:
        return not (self.posts or self.comments or self.videos)
