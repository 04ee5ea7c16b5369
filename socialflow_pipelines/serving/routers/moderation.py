"""POST /moderate (admin): the decision on an existing item, or on raw content sent in the body.

Existing items are cache-aside: Redis `moderation:{type}:{id}` first, then the pipeline's stored
result, and only for an item not judged yet a live call of the same models the pipeline uses
(`moderation_runtime`); what is found or computed goes back to Redis for ML_MODEL_CACHE_TTL.
A human reviewer's decision always wins, as in the pipeline. Raw content is judged live and not
cached (it has no id).
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Literal, Self

from fastapi import APIRouter, HTTPException, status
from pydantic import BaseModel, ConfigDict, Field, model_validator

from socialflow_pipelines.config import get_settings
from socialflow_pipelines.domains.moderation.service import (
    ModerationRecord,
    current_runtime,
    read_items,
    read_results,
    read_reviews,
)
from socialflow_pipelines.ml.moderation import FRAME_LABELS, VideoItem, video_text
from socialflow_pipelines.platform.cache import moderation_key, read_through, write_best_effort
from socialflow_pipelines.platform.time import utc_now
from socialflow_pipelines.serving.deps import AdminDep, CacheDep, DatabaseDep

log = logging.getLogger(__name__)
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
            "examples": [{"content_type": "post", "content_id": 42}, {"text": "free money!!"}]
        },
    )

    content_type: Literal["video", "post", "comment"] | None = None
    content_id: int | None = Field(default=None, ge=1, le=2**63 - 1)
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
    content_id: int | None
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


@router.post("/moderate", response_model=ModerationResponse)
def moderate(
    body: ModerateRequest, _admin: AdminDep, database: DatabaseDep, cache: CacheDep
) -> ModerationResponse:
    """Moderate an existing item by id, or raw content, with the pipeline's models."""
    settings = get_settings()
    if body.content_type is None or body.content_id is None:
        return _moderate_raw(body)
    key = moderation_key(body.content_type, body.content_id)
    cached = read_through(cache, key)
    if cached is not None:
        return ModerationResponse(**cached, source="cache")
    item_key = (body.content_type, body.content_id)
    stored = read_results(database, [item_key]).get(item_key)
    source: Literal["store", "model"] = "store"
    if stored is None:
        items = read_items(database, ids={body.content_type: [body.content_id]})
        if not items:
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"{body.content_type} {body.content_id} not found")
        runtime = current_runtime(settings)
        stored = runtime.moderate(items, read_reviews(database, [item_key]), utc_now())[0]
        source = "model"
    payload = stored.payload()
    write_best_effort(cache, key, payload, settings.model_cache_ttl)
    return ModerationResponse(**payload, source=source)


def _moderate_raw(body: ModerateRequest) -> ModerationResponse:
    runtime = current_runtime(get_settings())
    if body.text is not None:
        result = runtime.text_moderator().moderate_texts([body.text])[0]
    else:
        text = video_text(body.title, body.description)
        result = runtime.video_moderator(with_frames=False).moderate_videos([VideoItem(text)])[0]
        for label in FRAME_LABELS:
            if result.missing.get(label) == "no frames":
                result.missing[label] = "raw content has no frames; judged on its text"
    record = ModerationRecord.build(None, result, None, utc_now())
    return ModerationResponse(**record.payload(), source="model")
