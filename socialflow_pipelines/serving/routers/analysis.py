"""POST /analyze (admin, or the content's owner): the content analysis of a stored item, or of raw
text (admin only).

A stored item's features come from `ml.content_features` when the pipeline has analysed it;
otherwise the same models the pipeline uses analyse it live (`domains.content.service.analyse_item`),
and the result is cached in Redis (`ml_prediction:content_analysis:{type}:{id}`) for
ML_MODEL_CACHE_TTL. The API never writes the results store: the next content run stores the
item's features.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from fastapi import APIRouter, HTTPException, status
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, Field

from socialflow_pipelines.domains.catalog.store import item_owner
from socialflow_pipelines.domains.content import service
from socialflow_pipelines.platform.model_store import ModelStore
from socialflow_pipelines.serving.deps import CacheDep, DatabaseDep, SettingsDep, UserDep

router = APIRouter(tags=["content analysis"])

MAX_TEXT_CHARS = 10_000


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
def analyze(
    body: AnalyzeRequest, user: UserDep, settings: SettingsDep, database: DatabaseDep, cache: CacheDep
) -> AnalysisResponse:
    """Analyse a stored item (its owner or an admin) or raw text (admin), with the pipeline's models."""
    models = ModelStore(settings.model_dir)
    if body.text is not None:
        if body.content_type is not None or body.content_id is not None:
            raise _invalid("text", "give text, or content_type and content_id, not both")
        if not body.text.strip():
            raise _invalid("text", "text is blank")
        if not user.is_admin:
            raise HTTPException(status.HTTP_403_FORBIDDEN, "analysing raw text needs the admin role")
        return AnalysisResponse(**service.analyse_text(models, body.text), source="model")
    if body.content_type is None:
        raise _invalid("content_type", "content_type is required (or give text)")
    if body.content_id is None:
        raise _invalid("content_id", "content_id is required with content_type")

    not_found = HTTPException(status.HTTP_404_NOT_FOUND, f"{body.content_type} {body.content_id} not found")
    owner = item_owner(database, body.content_type, body.content_id)
    if owner is None:
        raise not_found
    if not user.is_admin and owner != user.user_id:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "only the content's owner or an admin may analyse it")
    found = service.analyse_item(settings, database, models, cache, body.content_type, body.content_id)
    if found is None:
        raise not_found
    return AnalysisResponse(**found.payload, source=found.source)
