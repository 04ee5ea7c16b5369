"""trending_scores' checks: finite numbers, a list for every window of every content type with
engagement, and no list longer than `TRENDING_KEEP_TOP`. Pure functions of what the refresh kept
and read, so a test can hand them a broken refresh."""

from __future__ import annotations

import dagster as dg
import polars as pl

from socialflow_pipelines.domains.trending.records import TRENDING_CONTENT_TYPES
from socialflow_pipelines.ml.trending import WINDOW_HOURS

TRENDING_CHECK_SPECS = [
    dg.AssetCheckSpec(
        "scores_finite",
        asset="trending_scores",
        description="Scores, velocities and baselines are finite numbers.",
    ),
    dg.AssetCheckSpec(
        "every_window_present",
        asset="trending_scores",
        description="Each content type with engagement has a list for 1h, 6h, 24h, 7d and 30d.",
    ),
    dg.AssetCheckSpec(
        "row_counts_sane",
        asset="trending_scores",
        description="Rows exist when engagement does, and no list is longer than TRENDING_KEEP_TOP.",
    ),
]


def check_trending(kept: pl.DataFrame, hourly: pl.DataFrame, keep_top: int) -> list[dg.AssetCheckResult]:
    numeric = ("score", "velocity", "baseline_velocity", "weighted_engagement")
    non_finite = sum(int((~kept[c].is_finite()).sum()) for c in numeric) if kept.height else 0
    types_with_data = set(hourly["content_type"].unique()) & set(TRENDING_CONTENT_TYPES)
    present = {(t, w) for t, w in kept.select("content_type", "time_window").unique().iter_rows()}
    missing = sorted(f"{t}/{w}" for t in types_with_data for w in WINDOW_HOURS if (t, w) not in present)
    per_list = kept.group_by("content_type", "time_window").len()["len"] if kept.height else pl.Series([0])
    counts_ok = (kept.height > 0) == bool(types_with_data) and int(per_list.max() or 0) <= keep_top
    return [
        dg.AssetCheckResult(
            check_name="scores_finite", passed=non_finite == 0, metadata={"non_finite_values": non_finite}
        ),
        dg.AssetCheckResult(
            check_name="every_window_present",
            passed=not missing,
            metadata={
                "lists_expected": len(types_with_data) * len(WINDOW_HOURS),
                "lists_present": len(present),
                "missing_lists": ", ".join(missing) or "none",
            },
        ),
        dg.AssetCheckResult(
            check_name="row_counts_sane",
            passed=counts_ok,
            metadata={"rows": kept.height, "largest_list": int(per_list.max() or 0), "keep_top": keep_top},
        ),
    ]
