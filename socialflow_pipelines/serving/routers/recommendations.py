"""GET /recommendations: the caller's precomputed list (Redis, then the results store), or a cold-start
answer computed on the fly for a user the hourly job has not scored."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel

from socialflow_pipelines.domains.recommendations.service import recommendations_for
from socialflow_pipelines.serving.deps import CacheDep, DatabaseDep, SettingsDep, UserDep

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
    settings: SettingsDep,
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
    found, source = recommendations_for(
        settings, database, cache, user_id, content_type, limit=limit, excluded=excluded
    )
    return RecommendationsResponse(
        user_id=user_id,
        content_type=content_type,
        items=[RecommendedItem(**item.payload()) for item in found.items],
        source=source,
        generated_at=found.generated_at,
    )
