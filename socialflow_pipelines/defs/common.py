"""What every domain's definitions share: the partitions and retry policy, the item scope of a
run, the result of training a gated model, and the UI's table preview.

The partitions, the retry policy and the schedules' crons shape the graph itself, so they are read
from the environment once, when the code location loads (`Settings()` here and in the schedule
modules); everything an asset computes with reaches it through the `settings` resource.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import dagster as dg
import polars as pl
from pydantic import Field

from socialflow_pipelines.config import Settings
from socialflow_pipelines.domains.catalog.scope import ItemScope
from socialflow_pipelines.platform.model_store import Publication

if TYPE_CHECKING:  # what define_asset_job returns; Dagster does not export the name
    from dagster._core.definitions.unresolved_asset_job_definition import UnresolvedAssetJobDefinition

LOCATION_SETTINGS = Settings()

# The seed's policy: 3 retries, 60 s apart, backing off exponentially (both numbers configurable).
SEED_RETRY_POLICY = dg.RetryPolicy(
    max_retries=LOCATION_SETTINGS.retry_max_retries,
    delay=LOCATION_SETTINGS.retry_delay_s,
    backoff=dg.Backoff.EXPONENTIAL,
)

PARTITIONS_START = LOCATION_SETTINGS.partitions_start

# end_offset=1 makes the hour (or day) in progress a partition too, so a refresh can include it.
hourly_partitions = dg.HourlyPartitionsDefinition(start_date=f"{PARTITIONS_START}-00:00", end_offset=1)
daily_partitions = dg.DailyPartitionsDefinition(start_date=PARTITIONS_START, end_offset=1)


# Every schedule ticks in UTC (the partitions' zone) and runs from the daemon's first tick on.
SCHEDULE_DEFAULTS: dict[str, Any] = {
    "execution_timezone": "UTC",
    "default_status": dg.DefaultScheduleStatus.RUNNING,
}


def running_schedule(
    name: str, job: UnresolvedAssetJobDefinition, cron: str, description: str
) -> dg.ScheduleDefinition:
    """A plain cron schedule of `job` with the platform's defaults."""
    return dg.ScheduleDefinition(
        name=name, job=job, cron_schedule=cron, description=description, **SCHEDULE_DEFAULTS
    )


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


class ItemScopeConfig(dg.Config):
    """Ids to process (what a sensor lists). All empty: every item created in the run's
    partition range (backfills)."""

    posts: list[str] = Field(default_factory=list)
    comments: list[str] = Field(default_factory=list)
    videos: list[str] = Field(default_factory=list)

    def scope(self, context: dg.AssetExecutionContext) -> ItemScope:
        ids = {"post": self.posts, "comment": self.comments, "video": self.videos}
        if any(ids.values()):
            return ItemScope.listed(ids)
        window = context.partition_time_window
        return ItemScope.created_in(window.start, window.end)


# --------------------------------------------------------------------------------------------
# Gated models: every trained model's asset reports its publication the same way

GATE_CHECK = "not_worse_than_published"


def gate_check_spec(asset: str, metric: str) -> dg.AssetCheckSpec:
    return dg.AssetCheckSpec(
        GATE_CHECK,
        asset=asset,
        description=f"The new version's held-out {metric} within tolerance of the published version's.",
    )


def published_model_result(publication: Publication, metadata: dict[str, Any]) -> dg.MaterializeResult:
    """The asset's metadata (status, versions, the asset's own facts) and the gate's check result,
    which warns (the published version stays in use) when the candidate was refused."""
    dg.get_dagster_logger().info(
        f"{publication.candidate.name} {publication.candidate.version}: {publication.status}"
    )
    return dg.MaterializeResult(
        metadata={
            "status": publication.status,
            "version": publication.candidate.version,
            "published_version": publication.published_version,
            **metadata,
        },
        check_results=[
            dg.AssetCheckResult(
                check_name=GATE_CHECK,
                passed=publication.published,
                severity=dg.AssetCheckSeverity.WARN,
                metadata=publication.gate_facts(),
            )
        ],
    )


def skipped_model_result(
    reason: str, published: str | None, metadata: dict[str, Any]
) -> dg.MaterializeResult:
    """No candidate this time (too little data, nothing new): the published version stays."""
    dg.get_dagster_logger().info(f"not retrained: {reason}")
    return dg.MaterializeResult(
        metadata={
            "status": "skipped",
            "reason": reason,
            **metadata,
            "published_version": published or "none",
        },
        check_results=[
            dg.AssetCheckResult(
                check_name=GATE_CHECK, passed=True, metadata={"candidate": "none", "reason": reason}
            )
        ],
    )
