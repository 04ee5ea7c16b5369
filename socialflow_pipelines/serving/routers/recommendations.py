"""GET /recommendations: the caller's precomputed list (Redis, then the results store), or a cold-start
answer computed on the fly for a user the hourly job has not scored."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel

from socialflow_pipelines.domains.recommendations.service import recommendations_for
from socialflow_pipelines.platform.db.engine import Database
from socialflow_pipelines.serving.deps import (
    ERROR_RESPONSES,
    CacheDep,
    DatabaseDep,
    SettingsDep,
    UserDep,
    backend_id,
    feed_response,
)

router = APIRouter(tags=["recommendations"])
MAX_EXCLUDE_IDS = 200


class RecommendedItem(BaseModel):
    id: str
    score: float
    rank: int
    sources: dict[str, float]


class RecommendationsResponse(BaseModel):
    """The seed's fields (user_id, content_type, recommendations: ids best first, count), and each
    item's score and sources."""

    user_id: str
    content_type: str
    recommendations: list[str]
    count: int
    items: list[RecommendedItem]
    source: Literal["cache", "store", "cold_start"]
    generated_at: datetime | None = None


def parse_exclude_ids(database: Database, raw: str | None) -> set[str]:
    """Comma-separated ids of the deployment's kind, at most MAX_EXCLUDE_IDS; anything else is a
    422 naming the field."""
    if raw is None or not raw.strip():
        return set()
    parts = [part.strip() for part in raw.split(",")]
    if len(parts) > MAX_EXCLUDE_IDS:
        raise RequestValidationError(
            [
                {
                    "loc": ("query", "exclude_ids"),
                    "msg": f"at most {MAX_EXCLUDE_IDS} ids",
                    "type": "value_error",
                }
            ]
        )
    return {backend_id(database, part, ("query", "exclude_ids")) for part in parts}


@router.get("/recommendations", response_model=RecommendationsResponse, responses=ERROR_RESPONSES)
async def get_recommendations(
    user: UserDep,
    settings: SettingsDep,
    database: DatabaseDep,
    cache: CacheDep,
    content_type: Annotated[Literal["video", "post", "user"], Query()] = "video",
    limit: Annotated[int, Query(ge=1, le=50)] = 20,
    exclude_ids: Annotated[str | None, Query(description="Comma-separated ids to leave out.")] = None,
) -> Response:
    """Redis first; the results store when the key is missing or Redis is down; a cold-start list
    (trending items, or popular accounts) when the user has no precomputed one."""
    excluded = parse_exclude_ids(database, exclude_ids)
    found, source = await recommendations_for(
        settings, database, cache, user.user_id, content_type, limit=limit, excluded=excluded
    )
    return feed_response(
        {
            "user_id": user.user_id,
            "content_type": content_type,
            "recommendations": [item.id for item in found.items],
            "count": len(found.items),
            "items": [item.payload() for item in found.items],
            "source": source,
            "generated_at": found.generated_at,
        },
        cache,
    )
