"""POST /moderate (admin): the decision on an existing item, or on raw content sent in the body.

Existing items are cache-aside: Redis `moderation:{type}:{id}` first, then the pipeline's stored
result, and only for an item not judged yet a live call of the same models the pipeline uses
(`domains.moderation.service.judge_item`); what is found or computed goes back to Redis for
ML_MODEL_CACHE_TTL. A human reviewer's decision always wins, as in the pipeline. Raw content is
judged live and not cached (it has no id).
"""

from __future__ import annotations

import functools
from datetime import datetime
from typing import Literal, Self

from fastapi import APIRouter, HTTPException, status
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field, model_validator

from socialflow_pipelines.domains.moderation import service
from socialflow_pipelines.platform.model_store import ModelStore
from socialflow_pipelines.platform.time import utc_now
from socialflow_pipelines.serving.deps import (
    ERROR_RESPONSES,
    AdminDep,
    CacheDep,
    DatabaseDep,
    SettingsDep,
    backend_id,
)

router = APIRouter(tags=["moderation"])

MAX_TEXT_CHARS = 10_000
MAX_TITLE_CHARS = 500
MAX_DESCRIPTION_CHARS = 5_000


class ModerateRequest(BaseModel):
    """Either `content_type` + `content_id`, or `text` (a post or comment), or `title` with an
    optional `description` (a video)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"content_type": "post", "content_id": "123e4567-e89b-12d3-a456-426614174000"},
                {"text": "free money!!"},
            ]
        },
    )

    content_type: Literal["video", "post", "comment"] | None = None
    content_id: str | None = Field(default=None, max_length=64, description="A backend id (UUID by default).")
    text: str | None = Field(default=None, min_length=1, max_length=MAX_TEXT_CHARS)
    title: str | None = Field(default=None, min_length=1, max_length=MAX_TITLE_CHARS)
    description: str | None = Field(default=None, max_length=MAX_DESCRIPTION_CHARS)

    @model_validator(mode="after")
    def one_kind_of_input(self) -> Self:
        by_id = self.content_type is not None or self.content_id is not None
        raw = self.text is not None or self.title is not None or self.description is not None
        if by_id and raw:
            raise ValueError(
                "give content_type and content_id, or raw content (text, or title/description), not both"
            )
        if by_id and (self.content_type is None or self.content_id is None):
            raise ValueError("content_type and content_id must be given together")
        if not by_id and not raw:
            raise ValueError("give content_type and content_id, or text, or title and description")
        if self.text is not None and (self.title is not None or self.description is not None):
            raise ValueError("text is a post or comment; title and description are a video: send one kind")
        if self.description is not None and self.title is None:
            raise ValueError("description needs a title")
        return self


class ModerationResponse(BaseModel):
    content_type: str | None
    content_id: str | None
    is_safe: bool = Field(description="The seed's flag: the decision is approved.")
    confidence: float | None = Field(description="The seed's confidence: the highest label score.")
    decision: str = Field(description="approved, flagged, review_required or rejected.")
    flags: list[str]
    reason: str
    scores: dict[str, float | None]
    model_versions: dict[str, str | None]
    models: dict[str, str | None]
    signals_used: list[str]
    missing: dict[str, str] = Field(description="Labels without a score, with the reason.")
    model_decision: str | None = Field(description="The models' decision (differs when a human reviewed).")
    human_reviewed: bool
    moderated_at: datetime
    source: Literal["cache", "store", "model"]


@router.post("/moderate", response_model=ModerationResponse, responses=ERROR_RESPONSES)
async def moderate(
    body: ModerateRequest, _admin: AdminDep, settings: SettingsDep, database: DatabaseDep, cache: CacheDep
) -> ModerationResponse:
    """Moderate an existing item by id, or raw content, with the pipeline's models."""
    models = ModelStore(settings.model_dir)
    if body.content_type is None or body.content_id is None:
        judgement = await run_in_threadpool(
            functools.partial(
                service.judge_content,
                settings,
                models,
                text=body.text,
                title=body.title,
                description=body.description,
                now=utc_now(),
            )
        )
    else:
        content_id = backend_id(database, body.content_id, ("body", "content_id"))
        judgement = await service.judge_item(
            settings, database, models, cache, body.content_type, content_id, utc_now()
        )
        if judgement is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"{body.content_type} {content_id} not found")
    payload = judgement.payload
    scores = [score for score in payload["scores"].values() if score is not None]
    return ModerationResponse(
        **payload,
        is_safe=payload["decision"] == "approved",
        confidence=max(scores) if scores else None,
        source=judgement.source,
    )
