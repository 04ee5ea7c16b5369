"""GET /trending: the ranked lists the trending_scores asset publishes."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Annotated, Literal

import sqlalchemy as sa
from fastapi import APIRouter, Query
from pydantic import BaseModel

from socialflow_pipelines.platform.cache import read_through, trending_key
from socialflow_pipelines.platform.db import schema
from socialflow_pipelines.serving.deps import CacheDep, DatabaseDep, UserDep

log = logging.getLogger(__name__)
router = APIRouter(tags=["trending"])


class TrendingItem(BaseModel):
    content_id: int
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


@router.get("/trending", response_model=TrendingResponse)
def get_trending(
    _user: UserDep,
    database: DatabaseDep,
    cache: CacheDep,
    content_type: Annotated[Literal["video", "post"], Query()] = "video",
    time_window: Annotated[Literal["1h", "6h", "24h", "7d", "30d"], Query()] = "24h",
    limit: Annotated[int, Query(ge=1, le=50)] = 20,
) -> TrendingResponse:
    """Redis first; the results store when the key is missing or Redis is down."""
    cached = read_through(cache, trending_key(content_type, time_window))
    if cached is not None:
        return TrendingResponse(
            content_type=content_type,
            time_window=time_window,
            items=[TrendingItem(**item) for item in cached[:limit]],
            source="cache",
        )
    ts = schema.trending_scores
    query = (
        sa.select(ts)
        .where(ts.c.content_type == content_type, ts.c.time_window == time_window)
        .order_by(ts.c.rank)
        .limit(limit)
    )
    with database.engine.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(query)]
    return TrendingResponse(
        content_type=content_type,
        time_window=time_window,
        items=[TrendingItem(**row) for row in rows],
        source="store",
        computed_at=rows[0]["computed_at"] if rows else None,
    )
