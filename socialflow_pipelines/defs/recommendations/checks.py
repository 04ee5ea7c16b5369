"""The hourly recommendations' checks: no list holds an item it must not, and every list's ranks
run 1..n. Pure functions of what the run scored, so a test can hand them a broken run."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import dagster as dg

from socialflow_pipelines.domains.recommendations.records import RecommendationList

RECOMMENDATION_CHECK_SPECS = [
    dg.AssetCheckSpec(
        "no_excluded_items",
        asset="recommendations",
        description="No list holds the user's own, consumed or rejected items.",
    ),
    dg.AssetCheckSpec(
        "ranks_contiguous", asset="recommendations", description="Ranks run 1..n without gaps in every list."
    ),
]


def recommendation_checks(
    lists_by_type: Mapping[str, Sequence[RecommendationList]], excluded_hits: int
) -> list[dg.AssetCheckResult]:
    """`excluded_hits` own, consumed or rejected items recommended (as the scorer counted them over
    the content types), and ranks 1..n in every list of every content type."""
    broken = [
        f"{content_type}:{found.user_id}"
        for content_type, lists in lists_by_type.items()
        for found in lists
        if not ranks_contiguous(found)
    ]
    return [
        dg.AssetCheckResult(
            check_name="no_excluded_items",
            passed=excluded_hits == 0,
            metadata={"own_consumed_or_rejected_recommended": excluded_hits},
        ),
        dg.AssetCheckResult(
            check_name="ranks_contiguous",
            passed=not broken,
            metadata={"lists_with_gaps": len(broken), "lists": ", ".join(sorted(broken)[:20]) or "none"},
        ),
    ]


def ranks_contiguous(found: RecommendationList) -> bool:
    """Ranks exactly 1..n: no gap, no duplicate, starting at 1."""
    return sorted(item.rank for item in found.items) == list(range(1, len(found.items) + 1))
