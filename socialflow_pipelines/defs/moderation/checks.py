"""moderation_results' checks, built from what the store holds after the run (pure: the tests
hand them a broken store's data to see them fail)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import dagster as dg

from socialflow_pipelines.ml.moderation import LABELS

RESULT_CHECKS = [
    dg.AssetCheckSpec(
        "scores_in_unit_interval",
        asset="moderation_results",
        description="Every stored score is a probability in [0, 1].",
    ),
    dg.AssetCheckSpec(
        "every_item_moderated",
        asset="moderation_results",
        description="Every item in the run's scope has a moderation_results row.",
    ),
]


def moderation_checks(
    stored_scores: Mapping[tuple[str, str], Mapping[str, Any]], unmoderated: int, scope: str
) -> list[dg.AssetCheckResult]:
    """The run's checks, on what the store holds: the scores stored for the run's items (as read
    back by `read_results`) and the scope's items without a result row (`count_missing`).

    A score counts as out of range when it is not a number in [0, 1] (NaN included); null means the
    label had no model and is fine.
    """
    out_of_range = [
        f"{content_type}:{content_id}"
        for (content_type, content_id), scores in stored_scores.items()
        for label, value in scores.items()
        if value is not None and not _is_probability(value)
        if label in LABELS
    ]
    return [
        dg.AssetCheckResult(
            check_name="scores_in_unit_interval",
            passed=not out_of_range,
            metadata={
                "scores_checked": sum(v is not None for s in stored_scores.values() for v in s.values()),
                "out_of_range": len(out_of_range),
                "out_of_range_items": ", ".join(out_of_range[:20]) or "none",
            },
        ),
        dg.AssetCheckResult(
            check_name="every_item_moderated",
            passed=unmoderated == 0,
            metadata={"unmoderated": unmoderated, "scope": scope},
        ),
    ]


def _is_probability(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and 0.0 <= value <= 1.0
