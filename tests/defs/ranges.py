"""The run tags of a single-run backfill, as the UI's backfill and the schedules set them."""

from __future__ import annotations


def partition_range(first: str, last: str) -> dict[str, str]:
    """One run over the partitions `first` .. `last` (inclusive)."""
    return {"dagster/asset_partition_range_start": first, "dagster/asset_partition_range_end": last}
