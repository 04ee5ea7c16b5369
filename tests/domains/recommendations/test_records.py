"""One recommendation list, encoded once: the stored rows, the Redis value and the API's items
decode to the same list."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from socialflow_demo.ids import demo_id
from socialflow_pipelines.domains.recommendations.records import (
    ROW_SCHEMA,
    RecommendationList,
    RecommendedItem,
    rows_frame,
)

GENERATED = datetime(2026, 12, 1, 3, 20, tzinfo=UTC)
USER = demo_id("user", 7)
POST_41, POST_42, POST_43 = (demo_id("post", n) for n in (41, 42, 43))
LIST = RecommendationList(
    user_id=USER,
    content_type="post",
    items=(
        RecommendedItem(POST_41, 0.9, 1, {"collaborative": 0.5, "trending": 0.4}),
        RecommendedItem(POST_42, 0.6, 2, {"content": 0.6}),
        RecommendedItem(POST_43, 0.3, 3, {"trending": 0.3}),
    ),
    model_version="20261201T030000-abc",
    generated_at=GENERATED,
)


def test_rows_and_payload_decode_to_the_same_list() -> None:
    rows = LIST.rows()
    assert [row["rank"] for row in rows] == [1, 2, 3]
    assert json.loads(rows[0]["sources"]) == {"collaborative": 0.5, "trending": 0.4}
    assert set(rows[0]) == set(ROW_SCHEMA)
    # Stored rows come back in any order, and SQLite hands back naive UTC times.
    naive = [{**row, "generated_at": GENERATED.replace(tzinfo=None)} for row in reversed(rows)]
    assert RecommendationList.from_rows(naive) == LIST
    cached = json.loads(json.dumps(LIST.payload()))
    assert cached["generated_at"] == GENERATED.isoformat()
    assert RecommendationList.from_payload(USER, "post", cached) == LIST
    assert RecommendationList.from_rows([]) is None


def test_served_leaves_out_excluded_ids_and_ranks_again_from_one() -> None:
    served = LIST.served({POST_41}, limit=1)
    assert [(item.id, item.rank) for item in served.items] == [(POST_42, 1)]
    assert served.items[0].payload() == {"id": POST_42, "score": 0.6, "rank": 1, "sources": {"content": 0.6}}


def test_rows_frame_is_typed_even_without_lists() -> None:
    assert rows_frame([]).schema == ROW_SCHEMA
    assert rows_frame([LIST])["item_id"].to_list() == [POST_41, POST_42, POST_43]
