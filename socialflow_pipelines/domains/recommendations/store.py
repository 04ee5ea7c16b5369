"""Reads and small computations that the recommendation assets and the API's cold-start path share.

Items of both kinds live in one model, so an item is named `"{content_type}:{content_id}"` there
(`item_key`); everything the store holds keeps the plain ids per content type.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

import numpy as np
import polars as pl
import scipy.sparse as sp
import sqlalchemy as sa

from socialflow_pipelines.config import Settings
from socialflow_pipelines.ml.content import vector_from_bytes
from socialflow_pipelines.ml.recommendations import recommend_items
from socialflow_pipelines.platform.db import schema
from socialflow_pipelines.platform.db.engine import Database

ITEM_CONTENT_TYPES = ("video", "post")
INTERACTIONS_NAME = "interaction_matrix"
MODEL_NAME = "recommendation_model"
# A feature seen on one item only teaches the model nothing it could transfer to another item.
MIN_ITEMS_PER_FEATURE = 2
TAGS_PER_ITEM = 5
TRENDING_FALLBACK_WINDOWS = ("24h", "7d", "30d", "6h", "1h")
_ID_CHUNK = 900

EVENT_SCHEMA: dict[str, pl.DataType] = {
    "user_id": pl.Int64(),
    "content_type": pl.String(),
    "content_id": pl.Int64(),
    "event_type": pl.String(),
    "created_at": pl.Datetime("us", "UTC"),
}


def item_key(content_type: str, content_id: int) -> str:
    return f"{content_type}:{content_id}"


def event_weights(settings: Settings) -> dict[str, float]:
    return {
        "view": settings.rec_weight_view,
        "like": settings.rec_weight_like,
        "comment": settings.rec_weight_comment,
        "share": settings.rec_weight_share,
    }


def blend_weights(settings: Settings) -> dict[str, float]:
    return {
        "collaborative": settings.rec_blend_collaborative,
        "content": settings.rec_blend_content,
        "trending": settings.rec_blend_trending,
    }


def follow_weights(settings: Settings) -> dict[str, float]:
    return {
        "graph": settings.rec_follow_graph,
        "similarity": settings.rec_follow_similarity,
        "popular": settings.rec_follow_popular,
    }


def read_engagement(
    db: Database, since: datetime | None = None, *, user_ids: Sequence[int] | None = None
) -> pl.DataFrame:
    """Video and post engagement (user_id, content_type, content_id, item_id key, event_type,
    created_at), optionally since a time and for some users only."""
    events = schema.engagement_events
    query = sa.select(*[events.c[name] for name in EVENT_SCHEMA]).where(
        events.c.content_type.in_(ITEM_CONTENT_TYPES)
    )
    if since is not None:
        query = query.where(events.c.created_at >= since)
    if user_ids is not None:
        query = query.where(events.c.user_id.in_(list(user_ids)))
    frame = db.read_frame(query, schema=EVENT_SCHEMA)
    return frame.with_columns(
        pl.concat_str("content_type", pl.lit(":"), pl.col("content_id").cast(pl.String)).alias("item_id")
    )


def active_users(db: Database, since: datetime) -> list[int]:
    """Users with any engagement since `since`: the ones worth precomputing every hour."""
    events = schema.engagement_events
    query = sa.select(events.c.user_id).where(events.c.created_at >= since).distinct()
    with db.engine.connect() as conn:
        return sorted(int(row[0]) for row in conn.execute(query))


def read_catalog(db: Database, content_type: str) -> pl.DataFrame:
    """Every item of a content type (content_id, creator_id), minus those moderated `rejected`."""
    table = schema.APP_CONTENT_TABLES[content_type]
    results = schema.moderation_results
    rejected = sa.select(results.c.content_id).where(
        results.c.content_type == content_type, results.c.decision == "rejected"
    )
    query = (
        sa.select(table.c.id.label("content_id"), table.c.user_id.label("creator_id"))
        .where(table.c.id.not_in(rejected))
        .order_by(table.c.id)
    )
    return db.read_frame(query, schema={"content_id": pl.Int64(), "creator_id": pl.Int64()})


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
            features[item_key(content_type, int(content_id))] = {k: v for k, v in values.items() if v > 0}
    counts = Counter(name for values in features.values() for name in values)
    return {
        key: {name: w for name, w in values.items() if counts[name] >= MIN_ITEMS_PER_FEATURE}
        for key, values in features.items()
    }


def _json(value: Any) -> list:
    parsed = json.loads(value) if isinstance(value, str) else value
    return list(parsed or [])


def read_user_features(db: Database) -> dict[int, list[str]]:
    """The account's language: what places a brand-new user before they engage with anything."""
    users = schema.users
    with db.engine.connect() as conn:
        return {
            int(i): [f"language:{lang}"] for i, lang in conn.execute(sa.select(users.c.id, users.c.language))
        }


def read_embeddings(db: Database, content_type: str, content_ids: Sequence[int]) -> np.ndarray | None:
    """Row-aligned embeddings of `content_ids` (zero rows where missing), in the dimension most
    stored vectors have; None when no item has one (no content strategy then)."""
    table = schema.content_embeddings
    blobs: dict[int, tuple[int, bytes]] = {}
    with db.engine.connect() as conn:
        for start in range(0, len(content_ids), _ID_CHUNK):
            query = sa.select(table.c.content_id, table.c.dim, table.c.vector).where(
                table.c.content_type == content_type,
                table.c.content_id.in_(list(content_ids[start : start + _ID_CHUNK])),
            )
            blobs |= {int(i): (int(dim), bytes(v)) for i, dim, v in conn.execute(query)}
    if not blobs:
        return None
    dim = Counter(dim for dim, _ in blobs.values()).most_common(1)[0][0]
    vectors = np.zeros((len(content_ids), dim), np.float32)
    for row, content_id in enumerate(content_ids):
        stored = blobs.get(int(content_id))
        if stored is not None and stored[0] == dim:
            vectors[row] = vector_from_bytes(stored[1], dim)
    return vectors


def read_trending(db: Database, content_type: str, window: str) -> dict[int, float]:
    """content_id → trending score in `window`, or in the first fallback window that has rows."""
    table = schema.trending_scores
    with db.engine.connect() as conn:
        for candidate in (window, *[w for w in TRENDING_FALLBACK_WINDOWS if w != window]):
            query = sa.select(table.c.content_id, table.c.score).where(
                table.c.content_type == content_type, table.c.time_window == candidate
            )
            scores = {int(i): float(s) for i, s in conn.execute(query)}
            if scores:
                return scores
    return {}


def read_follows(db: Database) -> pl.DataFrame:
    follows = schema.follows
    return db.read_frame(
        sa.select(follows.c.follower_id, follows.c.followee_id),
        schema={"follower_id": pl.Int64(), "followee_id": pl.Int64()},
    )


def consumed_ids(db: Database, user_id: int, content_type: str) -> set[int]:
    events = schema.engagement_events
    query = sa.select(events.c.content_id).where(
        events.c.user_id == user_id, events.c.content_type == content_type
    )
    with db.engine.connect() as conn:
        return {int(row[0]) for row in conn.execute(query.distinct())}


def cold_start_items(
    db: Database, settings: Settings, user_id: int, content_type: str, limit: int, exclude: Iterable[int]
) -> list[dict[str, Any]]:
    """What a user without precomputed recommendations gets: trending items (the blend's trending
    strategy alone), minus their own, consumed, rejected and explicitly excluded items, with the
    same creator-diversity cap as the hourly job."""
    if content_type == "user":
        return popular_accounts(db, user_id, limit, exclude)
    trending = read_trending(db, content_type, settings.rec_trending_window)
    catalog = read_catalog(db, content_type).filter(pl.col("content_id").is_in(list(trending)))
    if catalog.is_empty():
        return []
    ids = catalog["content_id"].to_numpy()
    blocked = set(exclude) | consumed_ids(db, user_id, content_type)
    blocked_mask = np.isin(ids, list(blocked)) | (catalog["creator_id"].to_numpy() == user_id)
    exclude_row = sp.csr_matrix(blocked_mask[None, :].astype(np.float32))
    found = recommend_items(
        limit,
        n_users=1,
        trending_scores=np.array([trending[int(i)] for i in ids], np.float32),
        exclude=exclude_row,
        creators=catalog["creator_id"].to_numpy(),
        weights={"trending": 1.0},
        max_per_creator=settings.rec_max_per_creator,
        num_threads=1,
    )
    return _rows(found.items[0], found.scores[0], found.sources, ids)


def popular_accounts(db: Database, user_id: int, limit: int, exclude: Iterable[int]) -> list[dict[str, Any]]:
    """The most followed accounts the user does not follow yet (never the user)."""
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
        rows = conn.execute(query).fetchall()
    return [
        {"id": int(account), "score": 1.0 - position / max(len(rows), 1), "rank": position + 1,
         "sources": {"popular": 1.0 - position / max(len(rows), 1)}}
        for position, (account, _followers) in enumerate(rows)
    ]  # fmt: skip


def _rows(
    items: np.ndarray, scores: np.ndarray, sources: Mapping[str, np.ndarray], ids: np.ndarray
) -> list[dict[str, Any]]:
    return [
        {
            "id": int(ids[column]),
            "score": float(scores[position]),
            "rank": position + 1,
            "sources": {name: float(values[0, position]) for name, values in sources.items()},
        }
        for position, column in enumerate(items)
        if column >= 0
    ]
