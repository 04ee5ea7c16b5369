"""Content analysis at run time: the one place that builds the `ContentAnalyzer` with the published
topic model, turns its output into `ml.content_features` / `ml.content_embeddings` rows, and reads
them back.

The `content_analysis` assets, the sensor runs after moderation and `POST /api/v1/ml/analyze` all
go through here, so an item gets the same features whichever path analysed it. Items are read with
`moderation_runtime.read_items`, so a video's text (title, description, captions) is the same text
that moderation judged.
"""

from __future__ import annotations

import functools
import json
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import polars as pl
import sqlalchemy as sa

from socialflow_pipelines.domains.moderation.service import ContentItem
from socialflow_pipelines.ml.content import (
    ContentAnalysis,
    ContentAnalyzer,
    SentimentScorer,
    TopicModel,
    vector_to_bytes,
)
from socialflow_pipelines.ml.content.topics import TopicAssignment
from socialflow_pipelines.platform.db import schema
from socialflow_pipelines.platform.db.engine import Database
from socialflow_pipelines.platform.model_store import ModelStore

TOPIC_MODEL = "topic_model"
KEY_COLUMNS = ("content_type", "content_id")
FEATURE_SCHEMA: dict[str, pl.DataType] = {
    "content_type": pl.String(),
    "content_id": pl.Int64(),
    "created_date": pl.Date(),
    "language": pl.String(),
    "sentiment": pl.String(),
    "sentiment_score": pl.Float64(),
    "tags": pl.String(),
    "categories": pl.String(),
    "topics": pl.String(),
    "entities": pl.String(),
    "analyzed_at": pl.Datetime("us", "UTC"),
}
EMBEDDING_SCHEMA: dict[str, pl.DataType] = {
    "content_type": pl.String(),
    "content_id": pl.Int64(),
    "created_date": pl.Date(),
    "model": pl.String(),
    "dim": pl.Int64(),
    "vector": pl.Binary(),
}
_ID_CHUNK = 900  # under SQLite's bound-parameter limit


# One analysis at a time over the shared models: the API calls from a thread pool, and spaCy and
# torch are not documented as safe for concurrent calls on one model (2 cores gain nothing from it).
_analysis_lock = threading.Lock()


@functools.cache
def shared_analyzer() -> ContentAnalyzer:
    """The models without topics, loaded once per process (loading takes seconds)."""
    return ContentAnalyzer()


def topics_payload(
    topics: Sequence[TopicAssignment], topic_model_version: str | None
) -> list[dict[str, Any]]:
    """Topic assignments as stored and served: each names the `ml.topics` version its id belongs to."""
    return [{**topic.to_dict(), "model_version": topic_model_version} for topic in topics]


def analysis_payload(analysis: ContentAnalysis, topic_model_version: str | None) -> dict[str, Any]:
    """The analysis as JSON, its topics as `topics_payload` gives them."""
    return {**analysis.to_dict(), "topics": topics_payload(analysis.topics, topic_model_version)}


@dataclass(frozen=True)
class AnalysedItem:
    item: ContentItem
    analysis: ContentAnalysis
    topic_model_version: str | None

    def payload(self) -> dict[str, Any]:
        return analysis_payload(self.analysis, self.topic_model_version)

    def feature_row(self, analyzed_at: datetime) -> dict[str, Any]:
        payload = self.payload()
        sentiment = self.analysis.sentiment
        return {
            "content_type": self.item.content_type,
            "content_id": self.item.content_id,
            "created_date": self.item.created_at.date(),
            "language": self.analysis.language,
            "sentiment": sentiment.label,
            "sentiment_score": sentiment.score,
            **{name: json.dumps(payload[name]) for name in ("tags", "categories", "topics", "entities")},
            "analyzed_at": analyzed_at,
        }

    def embedding_row(self, model: str) -> dict[str, Any]:
        return {
            "content_type": self.item.content_type,
            "content_id": self.item.content_id,
            "created_date": self.item.created_at.date(),
            "model": model,
            "dim": int(self.analysis.embedding.shape[0]),
            "vector": vector_to_bytes(self.analysis.embedding),
        }


class ContentRuntime:
    """The shared models plus the topic model published now (or none yet)."""

    def __init__(self, topic_model: TopicModel | None, topic_model_version: str | None) -> None:
        base = shared_analyzer()
        self.topic_model_version = topic_model_version
        self.analyzer = ContentAnalyzer(
            base.embedder,
            topic_model=topic_model,
            language_detector=base.language_detector,
            sentiment_scorer=base.sentiment_scorer,
            keyword_extractor=base.keyword_extractor,
            entity_recognizer=base.entity_recognizer,
            category_classifier=base.category_classifier,
        )

    @property
    def embedding_model(self) -> str:
        return self.analyzer.embedding_model

    def analyze_items(self, items: Sequence[ContentItem]) -> list[AnalysedItem]:
        with _analysis_lock:
            analyses = self.analyzer.analyze([item.text for item in items])
        return [
            AnalysedItem(item, analysis, self.topic_model_version)
            for item, analysis in zip(items, analyses, strict=True)
        ]

    def analyze_text(self, text: str) -> dict[str, Any]:
        """Raw text (no stored item): the same analysis, as JSON."""
        with _analysis_lock:
            analysis = self.analyzer.analyze([text])[0]
        return analysis_payload(analysis, self.topic_model_version)


_runtime_lock = threading.Lock()
_runtimes: dict[tuple[str, str | None], ContentRuntime] = {}


def current_runtime(registry: ModelStore) -> ContentRuntime:
    """The runtime for the published topic model, rebuilt only when a new version is published
    (the API must not reload per request, yet must pick up the daily topic refresh)."""
    version = registry.published_version(TOPIC_MODEL)
    key = (str(registry.root), version)
    with _runtime_lock:
        runtime = _runtimes.get(key)
        if runtime is None:
            topic_model = registry.load(TOPIC_MODEL, version)[0] if version else None
            runtime = ContentRuntime(topic_model, version)
            _runtimes.clear()
            _runtimes[key] = runtime
        return runtime


def feature_frame(analysed: Sequence[AnalysedItem], analyzed_at: datetime) -> pl.DataFrame:
    return pl.DataFrame([a.feature_row(analyzed_at) for a in analysed], schema=FEATURE_SCHEMA)


def embedding_frame(analysed: Sequence[AnalysedItem], model: str) -> pl.DataFrame:
    return pl.DataFrame([a.embedding_row(model) for a in analysed], schema=EMBEDDING_SCHEMA)


def write_analyses(
    db: Database, features: pl.DataFrame, embeddings: pl.DataFrame, *, days: tuple[date, date] | None
) -> None:
    """Both tables in one transaction. `days` ([first, end)) replaces those creation dates' rows
    (a partition run: items deleted from the app lose their rows too); None upserts by item key
    (a run over listed items). Either way a re-run leaves the same rows."""
    with db.begin() as conn:
        for table, frame in ((schema.content_features, features), (schema.content_embeddings, embeddings)):
            if days is None:
                db.upsert(table, frame, keys=list(KEY_COLUMNS), connection=conn)
            else:
                in_days = sa.and_(table.c.created_date >= days[0], table.c.created_date < days[1])
                db.replace(table, frame, in_days, connection=conn)


def item_owner(db: Database, content_type: str, content_id: int) -> int | None:
    """The user who created the item, or None when there is no such item."""
    table = schema.APP_CONTENT_TABLES[content_type]
    with db.engine.connect() as conn:
        owner = conn.execute(sa.select(table.c.user_id).where(table.c.id == content_id)).scalar_one_or_none()
    return None if owner is None else int(owner)


def read_features(db: Database, content_type: str, content_id: int) -> dict[str, Any] | None:
    """The stored analysis of one item as the API returns it, or None when it has none yet.

    The table keeps the sentiment label and score only; the method and the reason for a missing
    label follow from the stored language by the same rule the analyzer applies.
    """
    table = schema.content_features
    embeddings = schema.content_embeddings
    query = (
        sa.select(table, embeddings.c.model)
        .select_from(
            table.outerjoin(
                embeddings,
                sa.and_(
                    embeddings.c.content_type == table.c.content_type,
                    embeddings.c.content_id == table.c.content_id,
                ),
            )
        )
        .where(table.c.content_type == content_type, table.c.content_id == content_id)
    )
    with db.engine.connect() as conn:
        row = conn.execute(query).mappings().one_or_none()
    if row is None:
        return None
    rule = _sentiment_rule().score("", row["language"])
    return {
        "language": row["language"],
        "language_confidence": None,
        "sentiment": {
            "label": row["sentiment"],
            "score": row["sentiment_score"],
            "method": rule.method if row["sentiment_score"] is not None else None,
            "reason": rule.reason,
        },
        **{name: _json_value(row[name]) for name in ("tags", "categories", "topics", "entities")},
        "analyzed_at": _utc(row["analyzed_at"]),
        "embedding_model": row["model"],
    }


@functools.cache
def _sentiment_rule() -> SentimentScorer:
    return SentimentScorer()


def _utc(value: datetime | str) -> datetime:
    """SQLite hands back naive datetimes (or strings); everything stored is UTC."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _json_value(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value
