"""GET /recommendations: the caller's precomputed list (Redis, then the results store), or a cold-start
answer computed on the fly for a user the hourly job has not scored."""

from __future__ import annotations

import json
import logging
from datetime import datetime
from typing import Annotated, Any, Literal

import sqlalchemy as sa
from fastapi import APIRouter, Query
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel

from socialflow_pipelines.config import get_settings
from socialflow_pipelines.domains.recommendations.store import cold_start_items
from socialflow_pipelines.platform.cache import read_through, recommendations_key
from socialflow_pipelines.platform.db import schema
from socialflow_pipelines.platform.db.engine import Database
from socialflow_pipelines.serving.deps import CacheDep, DatabaseDep, UserDep

log = logging.getLogger(__name__)
router = APIRouter(tags=["recommendations"])
MAX_EXCLUDE_IDS = 200


class RecommendedItem(BaseModel):
    id: int
    score: float
    rank: int
    sources: dict[str, float]


class RecommendationsResponse(BaseModel):
    user_id: int
    content_type: str
    items: list[RecommendedItem]
    source: Literal["cache", "store", "cold_start"]
    generated_at: datetime | None = None


MAX_ID = 2**63 - 1  # BIGINT


def _is_id(part: str) -> bool:
    """ASCII digits only (str.isdigit also accepts '²'), within BIGINT."""
    return part.isascii() and part.isdigit() and len(part) <= 19 and 0 < int(part) <= MAX_ID


def parse_exclude_ids(raw: str | None) -> set[int]:
    """Comma-separated positive ints, at most MAX_EXCLUDE_IDS; anything else is a 422 naming the field."""
    if raw is None or not raw.strip():
        return set()
    parts = [part.strip() for part in raw.split(",")]
    message = None
    if len(parts) > MAX_EXCLUDE_IDS:
        message = f"at most {MAX_EXCLUDE_IDS} ids"
    elif not all(_is_id(part) for part in parts):
        message = "comma-separated positive integer ids expected"
    if message is not None:
        raise RequestValidationError(
            [{"loc": ("query", "exclude_ids"), "msg": message, "type": "value_error", "input": raw}]
        )
    return {int(part) for part in parts}


@router.get("/recommendations", response_model=RecommendationsResponse)
def get_recommendations(
    user: UserDep,
    database: DatabaseDep,
    cache: CacheDep,
    content_type: Annotated[Literal["video", "post", "user"], Query()] = "video",
    limit: Annotated[int, Query(ge=1, le=50)] = 20,
    exclude_ids: Annotated[str | None, Query(description="Comma-separated ids to leave out.")] = None,
) -> RecommendationsResponse:
    """Redis first; the results store when the key is missing or Redis is down; a cold-start list
    (trending items, or popular accounts) when the user has no precomputed one."""
    excluded = parse_exclude_ids(exclude_ids)
    user_id = int(user.user_id)
    answer = _from_cache(cache, user_id, content_type) or _from_store(database, user_id, content_type)
    if answer is not None:
        items, source, generated_at = answer
    else:
        settings = get_settings()
        items = cold_start_items(database, settings, user_id, content_type, limit, excluded)
        source, generated_at = "cold_start", None
    kept = [item for item in items if item["id"] not in excluded][:limit]
    return RecommendationsResponse(
        user_id=user_id,
        content_type=content_type,
        items=[RecommendedItem(**{**item, "rank": rank}) for rank, item in enumerate(kept, start=1)],
        source=source,
        generated_at=generated_at,
    )


def _from_cache(cache: Any, user_id: int, content_type: str) -> tuple[list[dict], str, Any] | None:
    cached = read_through(cache, recommendations_key(user_id, content_type))
    if cached is None:
        return None
    return cached["items"], "cache", cached.get("generated_at")


def _from_store(database: Database, user_id: int, content_type: str) -> tuple[list[dict], str, Any] | None:
    table = schema.recommendations
    query = (
        sa.select(table.c.item_id, table.c.score, table.c.rank, table.c.sources, table.c.generated_at)
        .where(table.c.user_id == user_id, table.c.content_type == content_type)
        .order_by(table.c.rank)
    )
    with database.engine.connect() as conn:
        rows = conn.execute(query).fetchall()
    if not rows:
        return None
    items = [
        {
            "id": int(row.item_id),
            "score": float(row.score),
            "rank": int(row.rank),
            "sources": json.loads(row.sources) if isinstance(row.sources, str) else row.sources,
        }
        for row in rows
    ]
    return items, "store", rows[0].generated_at
