"""Recommendations' SQL: what the interaction matrix, the model and the hourly scoring read, the
`ml.recommendations` rows they write, and what the API reads back.

Items of both kinds live in one model, so an item is named `"{content_type}:{content_id}"` there
(`item_key`); everything the store holds keeps the plain ids per content type.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

import numpy as np
import polars as pl
import sqlalchemy as sa

from socialflow_pipelines.domains.recommendations.records import RecommendationList, rows_frame
from socialflow_pipelines.ml.content import vector_from_bytes
from socialflow_pipelines.platform.db import schema
from socialflow_pipelines.platform.db.engine import Database, decoded_json, select_in_chunks
from socialflow_pipelines.platform.ids import ID_DTYPE

ITEM_CONTENT_TYPES = ("video", "post")
# A feature seen on one item only teaches the model nothing it could transfer to another item.
MIN_ITEMS_PER_FEATURE = 2
TAGS_PER_ITEM = 5
TRENDING_FALLBACK_WINDOWS = ("24h", "7d", "30d", "6h", "1h")

EVENT_SCHEMA: dict[str, pl.DataType] = {
    "user_id": ID_DTYPE,
    "content_type": pl.String(),
    "content_id": ID_DTYPE,
    "event_type": pl.String(),
    "created_at": pl.Datetime("us", "UTC"),
}


def item_key(content_type: str, content_id: str) -> str:
    return f"{content_type}:{content_id}"


def read_engagement(db: Database, since: datetime | None = None) -> pl.DataFrame:
    """Video and post engagement (user_id, content_type, content_id, item_id key, event_type,
    created_at), optionally since a time."""
    events = schema.engagement_events
    query = sa.select(*[events.c[name] for name in EVENT_SCHEMA]).where(
        events.c.content_type.in_(ITEM_CONTENT_TYPES)
    )
    if since is not None:
        query = query.where(events.c.created_at >= since)
    # Column-wise (COPY on Postgres): a row-wise read of 1.7M events was half the hourly job.
    frame = db.read_bulk(query, EVENT_SCHEMA)
    return frame.with_columns(pl.concat_str("content_type", pl.lit(":"), "content_id").alias("item_id"))


def active_users(db: Database, since: datetime) -> list[str]:
    """Users with any engagement since `since`: the ones worth precomputing every hour."""
    events = schema.engagement_events
    query = sa.select(events.c.user_id).where(events.c.created_at >= since).distinct()
    with db.engine.connect() as conn:
        return sorted(row[0] for row in conn.execute(query))


def read_catalog(db: Database, content_type: str) -> pl.DataFrame:
    """Every item of a content type (content_id, creator_id), minus those moderated `rejected`,
    oldest first."""
    table = schema.APP_CONTENT_TABLES[content_type]
    results = schema.moderation_results
    rejected = sa.select(results.c.content_id).where(
        results.c.content_type == content_type, results.c.decision == "rejected"
    )
    query = (
        sa.select(table.c.id.label("content_id"), table.c.user_id.label("creator_id"))
        .where(table.c.id.not_in(rejected))
        .order_by(table.c.created_at, table.c.id)
    )
    return db.read_frame(query, schema={"content_id": ID_DTYPE, "creator_id": ID_DTYPE})


def read_item_features(db: Database) -> dict[str, dict[str, float]]:
    """LightFM item features from `ml.content_features`: categories (weighted by their score), topics
    (by label, which survives a topic-model refit better than its id) and the leading tags; features
    carried by a single item are dropped. Empty when content analysis has not run."""
    table = schema.content_features
    query = sa.select(
        table.c.content_type, table.c.content_id, table.c.categories, table.c.topics, table.c.tags
    ).where(table.c.content_type.in_(ITEM_CONTENT_TYPES))
    features: dict[str, dict[str, float]] = {}
    with db.engine.connect() as conn:
        for content_type, content_id, categories, topics, tags in conn.execute(query):
            values: dict[str, float] = {}
            for category in _json(categories):
                values[f"category:{category['name']}"] = max(float(category.get("score", 1.0)), 0.0)
            for topic in _json(topics):
                values[f"topic:{topic['label']}"] = 1.0
            for tag in _json(tags)[:TAGS_PER_ITEM]:
                values[f"tag:{str(tag).lower()}"] = 1.0
            features[item_key(content_type, content_id)] = {k: v for k, v in values.items() if v > 0}
    counts = Counter(name for values in features.values() for name in values)
    return {
        key: {name: w for name, w in values.items() if counts[name] >= MIN_ITEMS_PER_FEATURE}
        for key, values in features.items()
    }


def _json(value: Any) -> list:
    parsed = decoded_json(value)
    return list(parsed or [])


def read_user_features(db: Database) -> dict[str, list[str]]:
    """The account's language: what places a brand-new user before they engage with anything."""
    users = schema.users
    with db.engine.connect() as conn:
        return {i: [f"language:{lang}"] for i, lang in conn.execute(sa.select(users.c.id, users.c.language))}


def read_embeddings(db: Database, content_type: str, content_ids: Sequence[str]) -> np.ndarray | None:
    """Row-aligned embeddings of `content_ids` (zero rows where missing), in the dimension most
    stored vectors have; None when no item has one (no content strategy then)."""
    table = schema.content_embeddings
    with db.engine.connect() as conn:
        found = select_in_chunks(
            conn,
            lambda chunk: sa.select(table.c.content_id, table.c.dim, table.c.vector).where(
                table.c.content_type == content_type, table.c.content_id.in_(chunk)
            ),
            list(content_ids),
        )
    blobs = {i: (int(dim), bytes(v)) for i, dim, v in found}
    if not blobs:
        return None
    dim = Counter(dim for dim, _ in blobs.values()).most_common(1)[0][0]
    vectors = np.zeros((len(content_ids), dim), np.float32)
    for row, content_id in enumerate(content_ids):
        stored = blobs.get(content_id)
        if stored is not None and stored[0] == dim:
            vectors[row] = vector_from_bytes(stored[1], dim)
    return vectors


def read_trending(db: Database, content_type: str, window: str) -> dict[str, float]:
    """content_id → trending score in `window`, or in the first fallback window that has rows."""
    table = schema.trending_scores
    with db.engine.connect() as conn:
        for candidate in (window, *[w for w in TRENDING_FALLBACK_WINDOWS if w != window]):
            query = sa.select(table.c.content_id, table.c.score).where(
                table.c.content_type == content_type, table.c.time_window == candidate
            )
            scores = {i: float(s) for i, s in conn.execute(query)}
            if scores:
                return scores
    return {}


def read_follows(db: Database) -> pl.DataFrame:
    follows = schema.follows
    return db.read_frame(
        sa.select(follows.c.follower_id, follows.c.followee_id),
        schema={"follower_id": ID_DTYPE, "followee_id": ID_DTYPE},
    )


def consumed_ids(db: Database, user_id: str, content_type: str) -> set[str]:
    events = schema.engagement_events
    query = sa.select(events.c.content_id).where(
        events.c.user_id == user_id, events.c.content_type == content_type
    )
    with db.engine.connect() as conn:
        return {row[0] for row in conn.execute(query.distinct())}


def popular_accounts(db: Database, user_id: str, limit: int, exclude: Iterable[str]) -> list[str]:
    """The most followed accounts the user does not follow yet (never the user), most followed first."""
    follows = schema.follows
    followed = sa.select(follows.c.followee_id).where(follows.c.follower_id == user_id)
    blocked = {user_id, *exclude}
    query = (
        sa.select(follows.c.followee_id, sa.func.count().label("followers"))
        .where(follows.c.followee_id.not_in(followed), follows.c.followee_id.not_in(list(blocked)))
        .group_by(follows.c.followee_id)
        .order_by(sa.desc("followers"), follows.c.followee_id)
        .limit(limit)
    )
    with db.engine.connect() as conn:
        return [account for account, _followers in conn.execute(query)]


def write_recommendations(db: Database, lists_by_type: Mapping[str, Iterable[RecommendationList]]) -> None:
    """Each content type's rows replace its previous ones (all of them, even when it has no list
    now), all in one transaction."""
    table = schema.recommendations
    with db.begin() as conn:
        for content_type, lists in lists_by_type.items():
            db.replace(table, rows_frame(lists), table.c.content_type == content_type, connection=conn)


def read_list(db: Database, user_id: str, content_type: str) -> RecommendationList | None:
    """The stored list of one user and content type, if the hourly job wrote one."""
    table = schema.recommendations
    query = sa.select(table).where(table.c.user_id == user_id, table.c.content_type == content_type)
    with db.engine.connect() as conn:
        return RecommendationList.from_rows(row._mapping for row in conn.execute(query))
