"""What the viral predictions must satisfy before readers get them."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import dagster as dg

from socialflow_pipelines.domains.virality.records import ViralPrediction

ASSET = "viral_predictions"
VIRAL_CHECK_SPECS = [
    dg.AssetCheckSpec(
        "scores_are_probabilities",
        asset=ASSET,
        description="Every viral_score and confidence in [0, 1], every factor finite.",
    )
]


def viral_checks(records: Mapping[str, Sequence[ViralPrediction]]) -> list[dg.AssetCheckResult]:
    bad = [
        f"{record.content_type}:{record.content_id}"
        for found in records.values()
        for record in found
        if not (0 <= record.viral_score <= 1 and 0 <= record.confidence <= 1)
        or not all(math.isfinite(value) for value in record.factors.values())
    ]
    return [
        dg.AssetCheckResult(
            check_name="scores_are_probabilities",
            asset_key=ASSET,
            passed=not bad,
            metadata={"invalid": len(bad), "examples": dg.MetadataValue.json(bad[:10])},
        )
    ]
