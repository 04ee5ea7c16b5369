"""POST /analyze (admin, or the content's owner): the content analysis of the seed's
`content_data`, of a stored item, or of raw text (admin only).

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
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, Field

from socialflow_pipelines.domains.catalog.store import item_owner
from socialflow_pipelines.domains.content import service
from socialflow_pipelines.platform.model_store import ModelStore
from socialflow_pipelines.serving.deps import (
    ERROR_RESPONSES,
    CacheDep,
    DatabaseDep,
    SettingsDep,
    UserDep,
    backend_id,
)

router = APIRouter(tags=["content analysis"])

MAX_TEXT_CHARS = 10_000


class ContentData(BaseModel):
    """The seed's `content_data`: the item's text, and where its video is."""

    model_config = ConfigDict(extra="forbid")

    text: str | None = Field(default=None, min_length=1, max_length=MAX_TEXT_CHARS)
    video_url: str | None = Field(default=None, max_length=2_048)


class AnalyzeRequest(BaseModel):
    """The seed's body (`content_id`, `content_type`, `content_data`: its text is analysed), or
    `content_type` + `content_id` alone (a stored item), or `text` alone (admin only)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "content_id": "123e4567-e89b-12d3-a456-426614174000",
                    "content_type": "video",
                    "content_data": {
                        "text": "Amazing AI tutorial",
                        "video_url": "https://example.com/video.mp4",
                    },
                },
                {"content_type": "post", "content_id": "123e4567-e89b-12d3-a456-426614174000"},
                {"text": "Loving the new #Python release"},
            ]
        },
    )

    content_type: Literal["video", "post", "comment"] | None = None
    content_id: str | None = Field(default=None, max_length=64, description="A backend id (UUID by default).")
    content_data: ContentData | None = None
    text: str | None = Field(default=None, min_length=1, max_length=MAX_TEXT_CHARS)


class SentimentOut(BaseModel):
    label: Literal["positive", "neutral", "negative"] | None
    score: float | None = Field(description="In [-1, 1]; null with a reason when unsupported.")
    method: str | None
    reason: str | None


class CategoryOut(BaseModel):
    name: str
    score: float


class TopicOut(BaseModel):
    id: int
    label: str
    score: float
    model_version: str | None = Field(
        default=None, description="The topic_model version the id belongs to (ml.topics; null on older rows)."
    )


class EntityOut(BaseModel):
    text: str
    type: str
    start: int
    end: int


class AnalysisResponse(BaseModel):
    """The seed's fields (content_id, content_type, tags, categories, sentiment, sentiment_score,
    language, topics, entities), and the detail behind them."""

    content_id: str | None
    content_type: str | None
    tags: list[str]
    categories: list[str] = Field(description="Category names, best first (scores in category_scores).")
    sentiment: Literal["positive", "neutral", "negative"] | None
    sentiment_score: float | None = Field(description="In [-1, 1]; null when the language is unsupported.")
    language: str = Field(description="ISO 639-1, or 'und' when the text is too short to tell.")
    topics: list[str] = Field(description="Topic labels, best first (ids and scores in topic_details).")
    entities: list[EntityOut]
    language_confidence: float | None = Field(description="Null for stored results (not kept).")
    sentiment_detail: SentimentOut
    category_scores: list[CategoryOut]
    topic_details: list[TopicOut]
    embedding_model: str | None
    entity_model: str | None = Field(
        default=None, description="The model that found the entities (null on rows stored before it was)."
    )
    analyzed_at: datetime | None
    source: Literal["store", "cache", "model"]
    video: str | None = Field(
        default=None,
        description="What happened to `content_data.video_url` (its frames are not analysed yet).",
    )

    @classmethod
    def of(cls, payload: dict, source: str, *, video: str | None = None) -> AnalysisResponse:
        sentiment = payload["sentiment"]
        return cls(
            content_id=payload["content_id"],
            content_type=payload["content_type"],
            tags=payload["tags"],
            categories=[c["name"] for c in payload["categories"]],
            sentiment=sentiment["label"],
            sentiment_score=sentiment["score"],
            language=payload["language"],
            topics=[t["label"] for t in payload["topics"]],
            entities=payload["entities"],
            language_confidence=payload["language_confidence"],
            sentiment_detail=sentiment,
            category_scores=payload["categories"],
            topic_details=payload["topics"],
            embedding_model=payload["embedding_model"],
            entity_model=payload.get("entity_model"),
            analyzed_at=payload["analyzed_at"],
            source=source,
            video=video,
        )


VIDEO_NOT_ANALYSED = (
    "not analysed: video frames and speech are not analysed by this endpoint yet; the text was"
)


def _invalid(field: str, message: str) -> RequestValidationError:
    return RequestValidationError([{"loc": ("body", field), "msg": message, "type": "value_error"}])


@router.post("/analyze", response_model=AnalysisResponse, responses=ERROR_RESPONSES)
async def analyze(
    body: AnalyzeRequest, user: UserDep, settings: SettingsDep, database: DatabaseDep, cache: CacheDep
) -> AnalysisResponse:
    """Analyse given content (the seed's `content_data`; admin, or the item's owner), a stored
    item (its owner or an admin), or raw text (admin), with the pipeline's models."""
    models = ModelStore(settings.model_dir)
    if body.text is not None:
        if body.content_type is not None or body.content_id is not None or body.content_data is not None:
            raise _invalid("text", "give text alone, or content_type and content_id (with content_data)")
        if not body.text.strip():
            raise _invalid("text", "text is blank")
        if not user.is_admin:
            raise HTTPException(status.HTTP_403_FORBIDDEN, "analysing raw text needs the admin role")
        return AnalysisResponse.of(await run_in_threadpool(service.analyse_text, models, body.text), "model")
    if body.content_type is None:
        raise _invalid("content_type", "content_type is required (or give text)")
    if body.content_id is None:
        raise _invalid("content_id", "content_id is required with content_type")
    content_id = backend_id(database, body.content_id, ("body", "content_id"))
    owner = await run_in_threadpool(item_owner, database, body.content_type, content_id)
    if not user.is_admin and owner != user.user_id:
        if owner is None and body.content_data is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"{body.content_type} {content_id} not found")
        raise HTTPException(status.HTTP_403_FORBIDDEN, "only the content's owner or an admin may analyse it")

    data = body.content_data
    if data is not None and data.text is not None:
        payload = await run_in_threadpool(service.analyse_text, models, data.text)
        payload.update(content_type=body.content_type, content_id=content_id)
        return AnalysisResponse.of(payload, "model", video=VIDEO_NOT_ANALYSED if data.video_url else None)
    if owner is None:
        if data is not None:
            raise _invalid("content_data.text", "text is required for an item this platform does not store")
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"{body.content_type} {content_id} not found")
    found = await service.analyse_item(settings, database, models, cache, body.content_type, content_id)
    if found is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"{body.content_type} {content_id} not found")
    video = VIDEO_NOT_ANALYSED if data is not None and data.video_url else None
    return AnalysisResponse.of(found.payload, found.source, video=video)
