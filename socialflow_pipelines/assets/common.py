"""What every asset module shares: the retry policy of the seed and the partitions."""

from __future__ import annotations

import dagster as dg
import polars as pl

from socialflow_pipelines.config import get_settings

# The seed's policy: 3 retries, 60 s apart, backing off exponentially (both numbers configurable).
SEED_RETRY_POLICY = dg.RetryPolicy(
    max_retries=get_settings().retry_max_retries,
    delay=get_settings().retry_delay_s,
    backoff=dg.Backoff.EXPONENTIAL,
)

PARTITIONS_START = "2026-01-01"

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
