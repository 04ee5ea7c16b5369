"""Content's checks: stored sentiment scores in range, every item analysed and embedded, one
embedding variant per range, and items carrying the published topic model's topics. Pure
functions of what the run read back, so a test can hand them a broken store's counts."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

import dagster as dg

CONTENT_ANALYSIS_CHECK_SPECS = [
    dg.AssetCheckSpec(
        "sentiment_score_in_range",
        asset="content_features",
        description="Stored sentiment scores lie in [-1, 1] (null: no model for the language).",
    ),
    dg.AssetCheckSpec(
        "every_item_analysed",
        asset="content_features",
        description="Every item in the run's scope has a content_features row.",
    ),
    dg.AssetCheckSpec(
        "every_item_embedded",
        asset="content_embeddings",
        description="Every item in the run's scope has an embedding row.",
    ),
    dg.AssetCheckSpec(
        "embedding_dims_consistent",
        asset="content_embeddings",
        description="One embedding model and dimension per range, each vector exactly dim float32s.",
    ),
]
TOPICS_CHECK = "topics_from_published_model"
CONTENT_TOPICS_CHECK_SPECS = [
    dg.AssetCheckSpec(
        TOPICS_CHECK,
        asset="content_topics",
        description="Every analysed item of the range carries topic ids of the published topic model.",
    )
]


def _days(days: tuple[date, date]) -> str:
    return f"{days[0]} .. {days[1]}"


def content_feature_checks(
    out_of_range: int, unanalysed: int, days: tuple[date, date], scope: str
) -> list[dg.AssetCheckResult]:
    """`content_features`' checks from what was read back: stored sentiment scores outside [-1, 1]
    in the run's creation dates and the scope's items without a features row."""
    return [
        dg.AssetCheckResult(
            asset_key="content_features",
            check_name="sentiment_score_in_range",
            passed=out_of_range == 0,
            metadata={"out_of_range": out_of_range, "days": _days(days)},
        ),
        dg.AssetCheckResult(
            asset_key="content_features",
            check_name="every_item_analysed",
            passed=unanalysed == 0,
            metadata={"unanalysed": unanalysed, "scope": scope},
        ),
    ]


def content_embedding_checks(
    variants: Sequence[dict[str, Any]], unembedded: int, days: tuple[date, date], scope: str
) -> list[dg.AssetCheckResult]:
    """`content_embeddings`' checks from what was read back: the (model, dim) variants stored for
    the run's creation dates (one at most, no vector of the wrong length) and the scope's items
    without an embedding row."""
    dims_ok = len(variants) <= 1 and all(v["bad_length"] == 0 for v in variants)
    return [
        dg.AssetCheckResult(
            asset_key="content_embeddings",
            check_name="every_item_embedded",
            passed=unembedded == 0,
            metadata={"unembedded": unembedded, "scope": scope},
        ),
        dg.AssetCheckResult(
            asset_key="content_embeddings",
            check_name="embedding_dims_consistent",
            passed=dims_ok,
            metadata={"variants": dg.MetadataValue.json(list(variants)), "days": _days(days)},
        ),
    ]


def content_topics_check(stale: int, version: str) -> dg.AssetCheckResult:
    """Fails when an analysed item of the range still carries another version's topics (its
    embedding is gone, so it could not be re-labelled)."""
    return dg.AssetCheckResult(
        check_name=TOPICS_CHECK,
        passed=stale == 0,
        metadata={"items_with_other_topics": stale, "topic_model_version": version},
    )


def no_topic_model_check(reason: str) -> dg.AssetCheckResult:
    """Nothing to compare with before the first topic model is published: passes, saying why."""
    return dg.AssetCheckResult(check_name=TOPICS_CHECK, passed=True, metadata={"reason": reason})
