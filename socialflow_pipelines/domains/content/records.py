"""What content analysis stores per item and per topic model: `ContentFeatures` (one
`ml.content_features` row, the API's and Redis' payload), `ContentEmbedding` (one
`ml.content_embeddings` row) and `TopicRecord` (one `ml.topics` row)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import numpy as np

from socialflow_pipelines.domains.catalog.records import ContentItem
from socialflow_pipelines.ml.content import ContentAnalysis, TopicModel, vector_from_bytes, vector_to_bytes
from socialflow_pipelines.ml.content.sentiment import VADER_METHOD, unsupported_reason
from socialflow_pipelines.ml.content.topics import TopicAssignment
from socialflow_pipelines.platform.db.engine import decoded_json
from socialflow_pipelines.platform.time import utc

JSON_COLUMNS = ("tags", "categories", "topics", "entities")


def topics_payload(
    topics: Sequence[TopicAssignment], topic_model_version: str | None
) -> list[dict[str, Any]]:
    """Topic assignments as stored and served: each names the `ml.topics` version its id belongs to."""
    return [{**topic.to_dict(), "model_version": topic_model_version} for topic in topics]


@dataclass(frozen=True)
class ContentFeatures:
    """One item's analysis (or raw text's: no content type, id or date). Stored rows keep the
    sentiment's label, score and method and no language confidence: `from_row` derives the
    reason from the language by the analyzer's rule, and leaves the confidence None."""

    content_type: str | None
    content_id: str | None
    created_date: date | None
    language: str
    language_confidence: float | None
    sentiment: dict[str, Any]  # label, score, method, reason
    tags: list[str]
    categories: list[dict[str, Any]]
    topics: list[dict[str, Any]]
    entities: list[dict[str, Any]]
    embedding_model: str | None
    analyzed_at: datetime | None
    entity_method: str | None = None  # the model that found the entities (None: not recorded)

    @classmethod
    def build(
        cls,
        item: ContentItem | None,
        analysis: ContentAnalysis,
        *,
        topic_model_version: str | None,
        embedding_model: str,
        entity_method: str | None,
        analyzed_at: datetime | None,
    ) -> ContentFeatures:
        payload = analysis.to_dict()
        return cls(
            content_type=None if item is None else item.content_type,
            content_id=None if item is None else item.content_id,
            created_date=None if item is None else item.created_at.date(),
            language=analysis.language,
            language_confidence=float(payload["language_confidence"]),
            sentiment=analysis.sentiment.to_dict(),
            tags=list(analysis.tags),
            categories=[category.to_dict() for category in analysis.categories],
            topics=topics_payload(analysis.topics, topic_model_version),
            entities=[entity.to_dict() for entity in analysis.entities],
            embedding_model=embedding_model,
            analyzed_at=analyzed_at,
            entity_method=entity_method,
        )

    @property
    def key(self) -> tuple[str | None, str | None]:
        return self.content_type, self.content_id

    @property
    def top_category(self) -> str:
        return self.categories[0]["name"] if self.categories else "none"

    def row(self) -> dict[str, Any]:
        """The `ml.content_features` row (JSON columns as text)."""
        return {
            "content_type": self.content_type,
            "content_id": self.content_id,
            "created_date": self.created_date,
            "language": self.language,
            "sentiment": self.sentiment["label"],
            "sentiment_score": self.sentiment["score"],
            "sentiment_method": self.sentiment["method"],
            **{name: json.dumps(getattr(self, name)) for name in JSON_COLUMNS},
            "entity_method": self.entity_method,
            "analyzed_at": self.analyzed_at,
        }

    def payload(self) -> dict[str, Any]:
        """The API's answer (less its `source`), as cached in Redis."""
        return {
            "content_type": self.content_type,
            "content_id": self.content_id,
            "language": self.language,
            "language_confidence": self.language_confidence,
            "sentiment": self.sentiment,
            **{name: getattr(self, name) for name in JSON_COLUMNS},
            "embedding_model": self.embedding_model,
            "entity_model": self.entity_method,
            "analyzed_at": self.analyzed_at,
        }

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> ContentFeatures:
        """A stored features row, with its embedding's `model` joined in (None when it has none)."""
        reason = unsupported_reason(row["language"])
        score = row["sentiment_score"]
        return cls(
            content_type=str(row["content_type"]),
            content_id=str(row["content_id"]),
            created_date=row["created_date"],
            language=row["language"],
            language_confidence=None,
            sentiment={
                "label": row["sentiment"],
                "score": score,
                # Rows written before the method was stored were VADER's.
                "method": row.get("sentiment_method") or (VADER_METHOD if score is not None else None),
                "reason": reason,
            },
            **{name: decoded_json(row[name]) for name in JSON_COLUMNS},
            embedding_model=row["model"],
            analyzed_at=utc(row["analyzed_at"]),
            entity_method=row.get("entity_method"),
        )


@dataclass(frozen=True)
class ContentEmbedding:
    """One item's sentence embedding: L2-normalised float32, stored as little-endian bytes."""

    content_type: str
    content_id: str
    created_date: date
    model: str
    vector: np.ndarray

    @classmethod
    def build(cls, item: ContentItem, analysis: ContentAnalysis, model: str) -> ContentEmbedding:
        return cls(item.content_type, item.content_id, item.created_at.date(), model, analysis.embedding)

    @property
    def key(self) -> tuple[str, str]:
        return self.content_type, self.content_id

    @property
    def dim(self) -> int:
        return int(self.vector.shape[0])

    def row(self) -> dict[str, Any]:
        return {
            "content_type": self.content_type,
            "content_id": self.content_id,
            "created_date": self.created_date,
            "model": self.model,
            "dim": self.dim,
            "vector": vector_to_bytes(self.vector),
        }

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> ContentEmbedding:
        """Raises ValueError when the bytes are not `dim` float32s."""
        return cls(
            str(row["content_type"]),
            str(row["content_id"]),
            row["created_date"],
            str(row["model"]),
            vector_from_bytes(bytes(row["vector"]), int(row["dim"])),
        )


@dataclass(frozen=True)
class TopicRecord:
    """One topic of a topic model version, as `ml.topics` holds it for the UI and the API."""

    model_version: str
    topic_id: int
    label: str
    top_terms: list[str]
    size: int

    @classmethod
    def of_model(cls, model: TopicModel, version: str) -> list[TopicRecord]:
        return [cls(version, t.id, t.label, list(t.top_terms), t.size) for t in model.topics]

    def row(self) -> dict[str, Any]:
        return {
            "model_version": self.model_version,
            "topic_id": self.topic_id,
            "label": self.label,
            "top_terms": json.dumps(self.top_terms),
            "size": self.size,
        }
