"""POST /viral-prediction (admin, or the content's creator): the chance an item ends in the top
decile of its content type at the horizon, with the model's per-feature factors.

A stored item is predicted from its own engagement history at its age now; a body for an item the
platform does not store is predicted from the counts it gives (`engagement_data`) at
`age_minutes` (60 when not given: the response says the age was assumed). `basis` says which.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from fastapi import APIRouter, HTTPException, status
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field

from socialflow_pipelines.domains.catalog.store import item_owner
from socialflow_pipelines.domains.virality import service
from socialflow_pipelines.domains.virality.store import content_type_of
from socialflow_pipelines.platform.model_store import ModelStore
from socialflow_pipelines.platform.time import utc_now
from socialflow_pipelines.serving.deps import ERROR_RESPONSES, DatabaseDep, SettingsDep, UserDep, backend_id

router = APIRouter(tags=["virality"])
ASSUMED_AGE_MINUTES = 60.0
MAX_COUNT = 1_000_000


class ContentData(BaseModel):
    """What the backend knows of the content (the seed sends a title and a duration)."""

    model_config = ConfigDict(extra="allow")
    title: str | None = Field(default=None, max_length=500)
    duration: float | None = Field(default=None, ge=0)


class EngagementData(BaseModel):
    model_config = ConfigDict(extra="forbid")
    views: int = Field(default=0, ge=0, le=MAX_COUNT)
    likes: int = Field(default=0, ge=0, le=MAX_COUNT)
    comments: int = Field(default=0, ge=0, le=MAX_COUNT)
    shares: int = Field(default=0, ge=0, le=MAX_COUNT)


class ViralPredictionRequest(BaseModel):
    """The seed's request; `content_type` and `age_minutes` are optional additions."""

    model_config = ConfigDict(extra="forbid")
    content_id: str = Field(max_length=64)
    content_type: Literal["video", "post"] | None = None
    content_data: ContentData | None = None
    engagement_data: EngagementData | None = None
    age_minutes: float | None = Field(default=None, gt=0, le=60 * 24 * 30)


class ViralPredictionResponse(BaseModel):
    """The seed's fields (content_id, viral_score, is_likely_viral, factors, confidence) first."""

    content_id: str
    viral_score: float
    is_likely_viral: bool
    factors: dict[str, float] = Field(description="Each feature's contribution to the log-odds (TreeSHAP).")
    confidence: float = Field(description="The model's held-out discrimination at this age, 0..1.")
    content_type: str
    predicted_engagement: float = Field(description="Engagement events expected at the horizon.")
    age_minutes: float
    observations: int
    basis: Literal["stored history", "given counts"]
    age_assumed: bool = False
    model_version: str
    predicted_at: datetime


NO_MODEL = "no viral model is published yet (viral_model trains one daily from matured items)"


@router.post("/viral-prediction", response_model=ViralPredictionResponse, responses=ERROR_RESPONSES)
async def predict_virality(
    body: ViralPredictionRequest, user: UserDep, settings: SettingsDep, database: DatabaseDep
) -> ViralPredictionResponse:
    """Predict an item's virality: from its stored history, or from the counts the body gives."""
    content_id = backend_id(database, body.content_id, ("body", "content_id"))
    models = ModelStore(settings.model_dir)
    now = utc_now()
    content_type = body.content_type or await run_in_threadpool(content_type_of, database, content_id)
    owner = None
    if content_type is not None:
        owner = await run_in_threadpool(item_owner, database, content_type, content_id)
    if owner is not None:
        if not user.is_admin and owner != user.user_id:
            raise HTTPException(status.HTTP_403_FORBIDDEN, "only the content's creator or an admin may ask")
        found = await run_in_threadpool(
            service.predict_item, settings, database, models, content_type, content_id, now
        )
        assumed = False
    else:
        if body.engagement_data is None:
            raise HTTPException(
                status.HTTP_404_NOT_FOUND, f"content {content_id} not found (and no engagement_data)"
            )
        if not user.is_admin:
            raise HTTPException(
                status.HTTP_403_FORBIDDEN, "predicting from given counts needs the admin role"
            )
        kind = content_type or ("video" if body.content_data and body.content_data.duration else "post")
        assumed = body.age_minutes is None
        age = ASSUMED_AGE_MINUTES if assumed else float(body.age_minutes)
        found = await run_in_threadpool(
            service.predict_counts,
            settings,
            models,
            kind,
            body.engagement_data.model_dump(),
            age,
            now,
            content_id,
        )
    if found is None:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, NO_MODEL, headers={"Retry-After": "3600"})
    return ViralPredictionResponse(**found.payload(), age_assumed=assumed)
