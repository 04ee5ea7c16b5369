"""POST /analyze (admin, or the content's owner): the content analysis of a stored item, or of raw
text (admin only).

A stored item's features come from `ml.content_features` when the pipeline has analysed it;
otherwise the same models the pipeline uses (`content_runtime`) analyse it live, and the result is
cached in Redis (`ml_prediction:content_analysis:{type}:{id}`) for ML_MODEL_CACHE_TTL. The API
never writes the results store: the next content run stores the item's features.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Literal

from fastapi import APIRouter, HTTPException, status
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, Field

from socialflow_pipelines.config import get_settings
from socialflow_pipelines.domains.content.service import (
    ContentRuntime,
    current_runtime,
    item_owner,
    read_features,
)
from socialflow_pipelines.domains.moderation.service import read_items
from socialflow_pipelines.platform.cache import prediction_key, read_through, write_best_effort
from socialflow_pipelines.platform.model_store import ModelStore
from socialflow_pipelines.platform.time import utc_now
from socialflow_pipelines.serving.deps import CacheDep, DatabaseDep, UserDep

log = logging.getLogger(__name__)
router = APIRouter(tags=["content analysis"])

MAX_TEXT_CHARS = 10_000
PREDICTION_MODEL = "content_analysis"


class AnalyzeRequest(BaseModel):
    """Either `content_type` + `content_id` (a stored item), or `text` (admin only)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"content_type": "post", "content_id": 42},
                {"text": "Loving the new #Python release"},
            ]
        },
    )

    content_type: Literal["video", "post", "comment"] | None = None
    content_id: int | None = Field(default=None, ge=1, le=2**63 - 1)
    text: str | None = Field(default=None, min_length=1, max_length=MAX_TEXT_CHARS)


class SentimentOut(BaseModel):
    label: Literal["positive", "neutral", "negative"] | None
    score: float | None = Field(description="VADER compound in [-1, 1]; null with a reason when unsupported.")
    method: str | None
    reason: str | None


class CategoryOut(BaseModel):
    name: str
    score: float


class TopicOut(BaseModel):
    id: int
    label: str
    score: float
    model_version: str | None = Field(description="The topic_model version the id belongs to (ml.topics).")


class EntityOut(BaseModel):
    text: str
    type: str
    start: int
    end: int


class AnalysisResponse(BaseModel):
    content_type: str | None
    content_id: int | None
    language: str = Field(description="ISO 639-1, or 'und' when the text is too short to tell.")
    language_confidence: float | None = Field(description="Null for stored results (not kept).")
    sentiment: SentimentOut
    tags: list[str]
    categories: list[CategoryOut]
    topics: list[TopicOut]
    entities: list[EntityOut]
    embedding_model: str | None
    analyzed_at: datetime | None
    source: Literal["store", "cache", "model"]


def _invalid(field: str, message: str) -> RequestValidationError:
    return RequestValidationError([{"loc": ("body", field), "msg": message, "type": "value_error"}])


@router.post("/analyze", response_model=AnalysisResponse)
def analyze(body: AnalyzeRequest, user: UserDep, database: DatabaseDep, cache: CacheDep) -> AnalysisResponse:
    """Analyse a stored item (its owner or an admin) or raw text (admin), with the pipeline's models."""
    if body.text is not None:
        if body.content_type is not None or body.content_id is not None:
            raise _invalid("text", "give text, or content_type and content_id, not both")
        if not body.text.strip():
            raise _invalid("text", "text is blank")
        if not user.is_admin:
            raise HTTPException(status.HTTP_403_FORBIDDEN, "analysing raw text needs the admin role")
        runtime = _runtime()
        payload = runtime.analyze_text(body.text)
        return AnalysisResponse(
            **payload,
            content_type=None,
            content_id=None,
            embedding_model=runtime.embedding_model,
            analyzed_at=None,
            source="model",
        )
    if body.content_type is None:
        raise _invalid("content_type", "content_type is required (or give text)")
    if body.content_id is None:
        raise _invalid("content_id", "content_id is required with content_type")

    owner = item_owner(database, body.content_type, body.content_id)
    if owner is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"{body.content_type} {body.content_id} not found")
    if not user.is_admin and owner != user.user_id:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "only the content's owner or an admin may analyse it")
    item = {"content_type": body.content_type, "content_id": body.content_id}
    stored = read_features(database, body.content_type, body.content_id)
    if stored is not None:
        return AnalysisResponse(**stored, **item, source="store")
    key = prediction_key(PREDICTION_MODEL, f"{body.content_type}:{body.content_id}")
    cached = read_through(cache, key)
    if cached is not None:
        return AnalysisResponse(**cached, source="cache")
    runtime = _runtime()
    analysed = runtime.analyze_items(read_items(database, ids={body.content_type: [body.content_id]}))[0]
    payload = {
        **analysed.payload(),
        **item,
        "embedding_model": runtime.embedding_model,
        "analyzed_at": utc_now(),
    }
    write_best_effort(cache, key, payload, get_settings().model_cache_ttl)
    return AnalysisResponse(**payload, source="model")


def _runtime() -> ContentRuntime:
    return current_runtime(ModelStore(get_settings().model_dir))
