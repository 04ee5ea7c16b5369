"""GET /trending: the ranked lists the trending_scores asset publishes."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel

from socialflow_pipelines.domains.trending.service import trending_list
from socialflow_pipelines.serving.deps import (
    ERROR_RESPONSES,
    CacheDep,
    DatabaseDep,
    SettingsDep,
    UserDep,
    feed_response,
)

router = APIRouter(tags=["trending"])


class TrendingItem(BaseModel):
    content_id: str
    rank: int
    score: float
    velocity: float
    baseline_velocity: float
    weighted_engagement: float
    trend: Literal["rising", "falling", "stable"]
    # What the trend is measured against: the item's own earlier velocity, or the trajectory of
    # items of its age (for an item younger than its baseline period). Null for rows stored before.
    baseline: Literal["own", "trajectory"] | None = None


class TrendingResponse(BaseModel):
    content_type: str
    time_window: str
    items: list[TrendingItem]
    source: Literal["cache", "store"]
    computed_at: datetime | None = None


@router.get("/trending", response_model=TrendingResponse, responses=ERROR_RESPONSES)
async def get_trending(
    _user: UserDep,
    settings: SettingsDep,
    database: DatabaseDep,
    cache: CacheDep,
    content_type: Annotated[Literal["video", "post"], Query()] = "video",
    time_window: Annotated[Literal["1h", "6h", "24h", "7d", "30d"], Query()] = "24h",
    limit: Annotated[int, Query(ge=1, le=50)] = 20,
) -> Response:
    """Redis first; the results store when the key is missing or Redis is down."""
    found, source = await trending_list(settings, database, cache, content_type, time_window, limit)
    return feed_response(
        {
            "content_type": content_type,
            "time_window": time_window,
            "items": [item.payload() for item in found.items],
            "source": source,
            "computed_at": found.computed_at,
        },
        cache,
    )
