"""The tables, as SQLAlchemy Core metadata: Social Flow's app tables and the `ml` result tables.

The ml tables live in a Postgres schema named `ml`; SQLite has no schemas, so the engine maps
`ml` to the main database there (see `db.engine.make_engine`). Alembic migrations are generated
from and checked against this metadata.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.types import TypeDecorator

from socialflow_pipelines.platform.ids import ExternalId

ML_SCHEMA = "ml"
CONTENT_TYPES = ("video", "post", "comment")
EVENT_TYPES = ("view", "like", "comment", "share")
DECISIONS = ("approved", "flagged", "review_required", "rejected")

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "pk": "pk_%(table_name)s",
    }
)

Json = JSON().with_variant(JSONB(), "postgresql")
# Ids the backend owns (users, items): UUID or integer per deployment (platform.ids). Surrogate
# keys of our own rows (events, reviews) stay serial integers.
Id = ExternalId()
SerialId = BigInteger().with_variant(Integer(), "sqlite")


class UTCDateTime(TypeDecorator[datetime]):
    """Timestamps are UTC on the way in and timezone-aware on the way out, on both dialects
    (SQLite stores them without a zone, so they would otherwise come back naive)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is not None:
            value = value.astimezone(UTC)
            if dialect.name == "sqlite":
                value = value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


Timestamp = UTCDateTime()

# --- Social Flow app tables (the backend owns them; we read, and write only moderation columns) ---

users = Table(
    "users",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=False),
    Column("username", String(64), nullable=False, unique=True),
    Column("display_name", String(128), nullable=False),
    Column("language", String(8), nullable=False),
    Column("is_admin", Boolean, nullable=False, default=False),
    Column("created_at", Timestamp, nullable=False),
)

follows = Table(
    "follows",
    metadata,
    Column("follower_id", Id, nullable=False),
    Column("followee_id", Id, nullable=False),
    Column("created_at", Timestamp, nullable=False),
    PrimaryKeyConstraint("follower_id", "followee_id"),
    Index(None, "followee_id"),
)

videos = Table(
    "videos",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=False),
    Column("user_id", Id, nullable=False, index=True),
    Column("title", Text, nullable=False),
    Column("description", Text, nullable=False, default=""),
    Column("duration_s", Float, nullable=False),
    Column("media_path", Text),
    Column("created_at", Timestamp, nullable=False, index=True),
    Column("moderation_status", String(32)),
    Column("moderation_flags", Json),
    Column("moderated_at", Timestamp),
)

posts = Table(
    "posts",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=False),
    Column("user_id", Id, nullable=False, index=True),
    Column("text", Text, nullable=False),
    Column("created_at", Timestamp, nullable=False, index=True),
    Column("is_flagged", Boolean),
    Column("flag_reason", Text),
    Column("moderated_at", Timestamp),
)

comments = Table(
    "comments",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=False),
    Column("user_id", Id, nullable=False, index=True),
    Column("parent_type", String(16), nullable=False),
    Column("parent_id", Id, nullable=False),
    Column("text", Text, nullable=False),
    Column("created_at", Timestamp, nullable=False, index=True),
    Column("is_flagged", Boolean),
    Column("flag_reason", Text),
    Column("moderated_at", Timestamp),
)

engagement_events = Table(
    "engagement_events",
    metadata,
    Column("id", SerialId, primary_key=True, autoincrement=True),
    Column("user_id", Id, nullable=False),
    Column("content_type", String(16), nullable=False),
    Column("content_id", Id, nullable=False),
    Column("event_type", String(16), nullable=False),
    Column("created_at", Timestamp, nullable=False),
    Index(None, "created_at"),
    Index(None, "user_id"),
)

moderation_reviews = Table(
    "moderation_reviews",
    metadata,
    Column("id", SerialId, primary_key=True, autoincrement=True),
    Column("content_type", String(16), nullable=False),
    Column("content_id", Id, nullable=False),
    Column("reviewer_id", Id, nullable=False),
    Column("decision", String(32), nullable=False),
    # Per-label human verdicts, e.g. {"spam": true, "toxicity": false}: the training labels.
    Column("labels", Json, nullable=False),
    Column("created_at", Timestamp, nullable=False),
    Index(None, "content_type", "content_id"),
)

# Demo only: the seed's true labels and planted interests. No model reads this table; tests and
# `socialflow eval` compare against it.
demo_ground_truth = Table(
    "demo_ground_truth",
    metadata,
    Column("content_type", String(16), nullable=False),
    Column("content_id", Id, nullable=False),
    Column("topic", String(32)),
    Column("is_spam", Boolean, nullable=False),
    Column("is_toxic", Boolean, nullable=False),
    Column("is_hate", Boolean, nullable=False),
    PrimaryKeyConstraint("content_type", "content_id"),
)

# --- ml result tables ---

model_versions = Table(
    "model_versions",
    metadata,
    Column("name", String(64), nullable=False),
    Column("version", String(64), nullable=False),
    Column("status", String(16), nullable=False),  # candidate | published | rejected | retired
    Column("artifact_path", Text),
    Column("metrics", Json, nullable=False),
    Column("params", Json, nullable=False),
    Column("created_at", Timestamp, nullable=False),
    Column("published_at", Timestamp),
    PrimaryKeyConstraint("name", "version"),
    schema=ML_SCHEMA,
)

moderation_results = Table(
    "moderation_results",
    metadata,
    Column("content_type", String(16), nullable=False),
    Column("content_id", Id, nullable=False),
    Column("created_date", Date, nullable=False, index=True),
    Column("scores", Json, nullable=False),
    Column("model_versions", Json, nullable=False),
    Column("signals", Json, nullable=False),
    Column("decision", String(32), nullable=False),
    Column("flags", Json, nullable=False),
    Column("human_reviewed", Boolean, nullable=False, default=False),
    Column("moderated_at", Timestamp, nullable=False),
    PrimaryKeyConstraint("content_type", "content_id"),
    schema=ML_SCHEMA,
)

content_features = Table(
    "content_features",
    metadata,
    Column("content_type", String(16), nullable=False),
    Column("content_id", Id, nullable=False),
    Column("created_date", Date, nullable=False, index=True),
    Column("language", String(8), nullable=False),
    Column("sentiment", String(16)),
    Column("sentiment_score", Float),
    Column("sentiment_method", String(96)),  # vader, or sentiment_model:<version>; null: none ran
    Column("tags", Json, nullable=False),
    Column("categories", Json, nullable=False),
    Column("topics", Json, nullable=False),
    Column("entities", Json, nullable=False),
    Column("entity_method", String(96)),  # spacy:en_core_web_sm, or entity_model:<version>
    Column("analyzed_at", Timestamp, nullable=False),
    PrimaryKeyConstraint("content_type", "content_id"),
    schema=ML_SCHEMA,
)

content_embeddings = Table(
    "content_embeddings",
    metadata,
    Column("content_type", String(16), nullable=False),
    Column("content_id", Id, nullable=False),
    Column("created_date", Date, nullable=False, index=True),
    Column("model", String(128), nullable=False),
    Column("dim", Integer, nullable=False),
    Column("vector", LargeBinary, nullable=False),  # little-endian float32, L2-normalised
    PrimaryKeyConstraint("content_type", "content_id"),
    schema=ML_SCHEMA,
)

topics = Table(
    "topics",
    metadata,
    Column("model_version", String(64), nullable=False),
    Column("topic_id", Integer, nullable=False),
    Column("label", Text, nullable=False),
    Column("top_terms", Json, nullable=False),
    Column("size", Integer, nullable=False),
    PrimaryKeyConstraint("model_version", "topic_id"),
    schema=ML_SCHEMA,
)

engagement_hourly = Table(
    "engagement_hourly",
    metadata,
    Column("hour_start", Timestamp, nullable=False),
    Column("content_type", String(16), nullable=False),
    Column("content_id", Id, nullable=False),
    Column("views", Integer, nullable=False),
    Column("likes", Integer, nullable=False),
    Column("comments", Integer, nullable=False),
    Column("shares", Integer, nullable=False),
    PrimaryKeyConstraint("hour_start", "content_type", "content_id"),
    schema=ML_SCHEMA,
)

trending_scores = Table(
    "trending_scores",
    metadata,
    Column("content_type", String(16), nullable=False),
    Column("time_window", String(8), nullable=False),
    Column("content_id", Id, nullable=False),
    Column("rank", Integer, nullable=False),
    Column("score", Float, nullable=False),
    Column("velocity", Float, nullable=False),
    Column("baseline_velocity", Float, nullable=False),
    Column("weighted_engagement", Float, nullable=False),
    Column("trend", String(16), nullable=False),
    # "own": against the item's own earlier velocity; "trajectory": against items of its age.
    Column("baseline", String(16)),
    Column("computed_at", Timestamp, nullable=False),
    PrimaryKeyConstraint("content_type", "time_window", "content_id"),
    Index(None, "content_type", "time_window", "rank"),
    schema=ML_SCHEMA,
)

viral_predictions = Table(
    "viral_predictions",
    metadata,
    Column("content_type", String(16), nullable=False),
    Column("content_id", Id, nullable=False),
    Column("score", Float, nullable=False),
    Column("confidence", Float, nullable=False),
    Column("factors", Json, nullable=False),
    Column("model_version", String(64), nullable=False),
    Column("predicted_at", Timestamp, nullable=False),
    Column("predicted_count", Float),  # engagement expected at the horizon
    Column("age_minutes", Float),  # the item's age when predicted
    Column("observations", Integer),  # engagement events seen by then
    PrimaryKeyConstraint("content_type", "content_id"),
    schema=ML_SCHEMA,
)

recommendations = Table(
    "recommendations",
    metadata,
    Column("user_id", Id, nullable=False),
    Column("content_type", String(16), nullable=False),
    Column("rank", Integer, nullable=False),
    Column("item_id", Id, nullable=False),
    Column("score", Float, nullable=False),
    Column("sources", Json, nullable=False),
    Column("model_version", String(64), nullable=False),
    Column("generated_at", Timestamp, nullable=False),
    PrimaryKeyConstraint("user_id", "content_type", "rank"),
    schema=ML_SCHEMA,
)

captions = Table(
    "captions",
    metadata,
    Column("video_id", Id, primary_key=True, autoincrement=False),
    Column("language", String(8), nullable=False),
    Column("webvtt", Text, nullable=False),
    Column("model", String(128), nullable=False),
    Column("created_at", Timestamp, nullable=False),
    schema=ML_SCHEMA,
)

thumbnails = Table(
    "thumbnails",
    metadata,
    Column("video_id", Id, primary_key=True, autoincrement=False),
    Column("frame_time_s", Float, nullable=False),
    Column("image_path", Text, nullable=False),
    Column("score", Float, nullable=False),
    Column("created_at", Timestamp, nullable=False),
    schema=ML_SCHEMA,
)

APP_CONTENT_TABLES = {"video": videos, "post": posts, "comment": comments}
