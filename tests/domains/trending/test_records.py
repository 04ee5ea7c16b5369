"""One trending list, encoded once: the stored rows and the Redis value decode to the same items."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from socialflow_pipelines.domains.trending.records import TrendingList
from tests.domains.catalog.world import iid

COMPUTED = datetime(2026, 12, 1, 5, 15, tzinfo=UTC)


def row(content_id: str, rank: int, trend: str) -> dict:
    return {
        "content_type": "video",
        "content_id": content_id,
        "time_window": "6h",
        "velocity": 2.0 / rank,
        "baseline_velocity": 1.0,
        "weighted_engagement": 12.0 / rank,
        "score": 1.0 / rank,
        "trend": trend,
        "rank": rank,
        "baseline": "own",
        "computed_at": COMPUTED.replace(tzinfo=None),
    }


def test_rows_and_payload_decode_to_the_same_items() -> None:
    stored = TrendingList.from_rows("video", "6h", [row(iid(1), 2, "stable"), row(iid(2), 1, "rising")])
    assert [item.content_id for item in stored.items] == [iid(2), iid(1)]
    assert stored.computed_at == COMPUTED
    cached = json.loads(json.dumps(stored.payload()))
    assert {k for k in cached[0]} == set(row(iid(2), 1, "rising")) - {"computed_at"}
    from_cache = TrendingList.from_payload("video", "6h", cached)
    assert from_cache.items == stored.items and from_cache.computed_at is None
    assert [item.content_id for item in from_cache.head(1).items] == [iid(2)]


def test_a_row_stored_before_baselines_has_none() -> None:
    old = {k: v for k, v in row(iid(3), 1, "stable").items() if k != "baseline"}
    assert TrendingList.from_rows("video", "6h", [old]).items[0].baseline is None
    assert TrendingList.from_rows("video", "6h", []).computed_at is None
