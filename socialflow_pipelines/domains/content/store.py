"""Content analysis' SQL: `ml.content_features` and `ml.content_embeddings` written and read back
(for the API, the run's checks and the topic model), and `ml.topics`. Days are [first, end)
creation dates, the range a partition run replaces and its checks read."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

import numpy as np
import polars as pl
import sqlalchemy as sa

from socialflow_pipelines.domains.content.records import ContentEmbedding, ContentFeatures, TopicRecord
from socialflow_pipelines.platform.db import schema
from socialflow_pipelines.platform.db.engine import Database, decoded_json, select_in_chunks
from socialflow_pipelines.platform.ids import ID_DTYPE

Days = tuple[date, date]
KEY_COLUMNS = ["content_type", "content_id"]
FEATURE_SCHEMA: dict[str, pl.DataType] = {
    "content_type": pl.String(),
    "content_id": ID_DTYPE,
    "created_date": pl.Date(),
    "language": pl.String(),
    "sentiment": pl.String(),
    "sentiment_score": pl.Float64(),
    "sentiment_method": pl.String(),
    "tags": pl.String(),
    "categories": pl.String(),
    "topics": pl.String(),
    "entities": pl.String(),
    "entity_method": pl.String(),
    "analyzed_at": pl.Datetime("us", "UTC"),
}
EMBEDDING_SCHEMA: dict[str, pl.DataType] = {
    "content_type": pl.String(),
    "content_id": ID_DTYPE,
    "created_date": pl.Date(),
    "model": pl.String(),
    "dim": pl.Int64(),
    "vector": pl.Binary(),
}
TOPIC_SCHEMA: dict[str, pl.DataType] = {
    "model_version": pl.String(),
    "topic_id": pl.Int64(),
    "label": pl.String(),
    "top_terms": pl.String(),
    "size": pl.Int64(),
}


def _in_days(table: sa.Table, days: Days) -> sa.ColumnElement[bool]:
    return sa.and_(table.c.created_date >= days[0], table.c.created_date < days[1])


def _same_item(left: sa.Table, right: sa.Table) -> sa.ColumnElement[bool]:
    return sa.and_(left.c.content_type == right.c.content_type, left.c.content_id == right.c.content_id)


# --------------------------------------------------------------------------------------------
# Features and embeddings


def write_analyses(
    db: Database,
    features: Sequence[ContentFeatures],
    embeddings: Sequence[ContentEmbedding],
    *,
    days: Days | None,
) -> None:
    """Both tables in one transaction. `days` replaces those creation dates' rows (a partition
    run: items deleted from the app lose their rows too); None upserts by item key (a run over
    listed items). Either way a re-run leaves the same rows."""
    frames = (
        (schema.content_features, pl.DataFrame([f.row() for f in features], schema=FEATURE_SCHEMA)),
        (schema.content_embeddings, pl.DataFrame([e.row() for e in embeddings], schema=EMBEDDING_SCHEMA)),
    )
    with db.begin() as conn:
        for table, frame in frames:
            if days is None:
                db.upsert(table, frame, keys=KEY_COLUMNS, connection=conn)
            else:
                db.replace(table, frame, _in_days(table, days), connection=conn)


def read_features(db: Database, content_type: str, content_id: str) -> ContentFeatures | None:
    """The stored analysis of one item, or None when it has none yet."""
    table, embeddings = schema.content_features, schema.content_embeddings
    query = (
        sa.select(table, embeddings.c.model)
        .select_from(table.outerjoin(embeddings, _same_item(embeddings, table)))
        .where(table.c.content_type == content_type, table.c.content_id == content_id)
    )
    with db.engine.connect() as conn:
        row = conn.execute(query).mappings().one_or_none()
    return None if row is None else ContentFeatures.from_row(row)


def count_sentiment_out_of_range(db: Database, days: Days) -> int:
    """Stored rows of those creation dates whose sentiment_score is outside [-1, 1] (null is fine)."""
    table = schema.content_features
    query = (
        sa.select(sa.func.count())
        .select_from(table)
        .where(_in_days(table, days), sa.or_(table.c.sentiment_score < -1.0, table.c.sentiment_score > 1.0))
    )
    with db.engine.connect() as conn:
        return int(conn.execute(query).scalar_one())


def embedding_variants(db: Database, days: Days) -> list[dict[str, Any]]:
    """(model, dim) pairs stored for those creation dates, with rows whose bytes are not dim float32s."""
    table = schema.content_embeddings
    bad = sa.func.sum(sa.case((sa.func.length(table.c.vector) != table.c.dim * 4, 1), else_=0))
    query = (
        sa.select(table.c.model, table.c.dim, sa.func.count(), bad)
        .where(_in_days(table, days))
        .group_by(table.c.model, table.c.dim)
    )
    with db.engine.connect() as conn:
        return [
            {"model": model, "dim": int(dim), "rows": int(rows), "bad_length": int(bad_rows or 0)}
            for model, dim, rows, bad_rows in conn.execute(query)
        ]


def analysed_embeddings(db: Database, days: Days, model: str, dim: int) -> list[ContentEmbedding]:
    """`model`'s embeddings of the analysed items created in those dates, by item key."""
    table = schema.content_embeddings
    query = (
        sa.select(table)
        .select_from(table.join(schema.content_features, _same_item(schema.content_features, table)))
        .where(_in_days(table, days), table.c.model == model, table.c.dim == dim)
        .order_by(table.c.content_type, table.c.content_id)
    )
    with db.engine.connect() as conn:
        return [ContentEmbedding.from_row(row) for row in conn.execute(query).mappings()]


def stored_vectors(
    db: Database, keys: Iterable[tuple[str, str]], model: str, dim: int
) -> dict[tuple[str, str], np.ndarray]:
    """The stored `model` vectors of those items, for the ones that have one."""
    table = schema.content_embeddings
    ids_by_type: dict[str, list[str]] = {}
    for content_type, content_id in keys:
        ids_by_type.setdefault(content_type, []).append(content_id)
    stored: dict[tuple[str, str], np.ndarray] = {}
    with db.engine.connect() as conn:
        for content_type, ids in ids_by_type.items():
            rows = select_in_chunks(
                conn,
                lambda chunk, content_type=content_type: sa.select(table).where(
                    table.c.content_type == content_type,
                    table.c.content_id.in_(chunk),
                    table.c.model == model,
                    table.c.dim == dim,
                ),
                ids,
            )
            for row in rows:
                embedding = ContentEmbedding.from_row(row._mapping)
                stored[embedding.key] = embedding.vector
    return stored


# --------------------------------------------------------------------------------------------
# Topics


def write_topics(db: Database, topics: Sequence[TopicRecord], version: str) -> None:
    """`ml.topics` rows of one topic model version (a re-run of the same version replaces them)."""
    frame = pl.DataFrame([t.row() for t in topics], schema=TOPIC_SCHEMA)
    db.replace(schema.topics, frame, schema.topics.c.model_version == version)


def write_item_topics(db: Database, topics: dict[tuple[str, str], list[dict[str, Any]]]) -> int:
    """Set `content_features.topics` of the given items (their `topics_payload`), in one transaction."""
    if not topics:
        return 0
    table = schema.content_features
    statement = (
        table.update()
        .where(table.c.content_type == sa.bindparam("key_type"), table.c.content_id == sa.bindparam("key_id"))
        .values(topics=sa.bindparam("new_topics"))
    )
    with db.begin() as conn:
        conn.execute(
            statement,
            [
                {"key_type": t, "key_id": i, "new_topics": json.dumps(payload)}
                for (t, i), payload in topics.items()
            ],
        )
    return len(topics)


def count_stale_topics(db: Database, days: Days, version: str) -> int:
    """Analysed items of those dates whose topics name another topic model version."""
    table = schema.content_features
    query = sa.select(table.c.topics).where(_in_days(table, days))
    with db.engine.connect() as conn:
        topics = [_json_list(row.topics) for row in conn.execute(query)]
    return sum(any(t.get("model_version") != version for t in item_topics) for item_topics in topics)


def _json_list(value: Any) -> list[dict[str, Any]]:
    parsed = decoded_json(value)
    return list(parsed) if isinstance(parsed, list) else []
