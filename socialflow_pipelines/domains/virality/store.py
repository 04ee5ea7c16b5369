"""The viral domain's reads and writes: items' engagement as cumulative series, and predictions."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import polars as pl
import sqlalchemy as sa

from socialflow_pipelines.domains.catalog.store import result_of
from socialflow_pipelines.platform.db import schema
from socialflow_pipelines.platform.db.engine import Database, decoded_json


@dataclass(frozen=True)
class ItemSeries:
    """Items of one content type with their engagement as `ml.virality` reads it: `events`
    (item_id, minutes after publishing, cumulative count), one row per event, what features are
    made of, and `typed` (item_id, minutes, event_type), the same events with their type;
    `observations` adds one row per item at its cut-off (its age now, or the horizon for an older
    item), which says how long it was watched: what outcomes need. Per item, `items` holds its
    creator and their followers then, publishing time, age and what the platform knows of it
    (`virality.CONTENT_FEATURES`)."""

    events: pl.DataFrame
    typed: pl.DataFrame
    cuts: pl.DataFrame
    items: pl.DataFrame  # item_id, creator_id, published_at, log_creator_followers, age_minutes, ...

    @property
    def observations(self) -> pl.DataFrame:
        return pl.concat([self.events, self.cuts])

    def only(self, item_ids: pl.Series) -> ItemSeries:
        """The same series for the listed items alone."""

        def kept(frame: pl.DataFrame) -> pl.DataFrame:
            return frame.filter(pl.col("item_id").is_in(item_ids.to_list()))

        return ItemSeries(kept(self.events), kept(self.typed), kept(self.cuts), kept(self.items))


def item_series(
    db: Database,
    content_type: str,
    created_from: datetime,
    created_to: datetime,
    now: datetime,
    horizon_minutes: float,
    ids: Sequence[str] | None = None,
) -> ItemSeries:
    """The items created in [created_from, created_to) (or the listed ids), their engagement
    events up to `now` and at most `horizon_minutes` after publishing."""
    app = schema.APP_CONTENT_TABLES[content_type]

    def scoped(query: sa.Select) -> sa.Select:
        if ids is not None:
            return query.where(app.c.id.in_(list(ids)))
        return query.where(app.c.created_at >= created_from, app.c.created_at < created_to)

    features, moderation, follows = schema.content_features, schema.moderation_results, schema.follows
    # Followers when the item was published: a later follow is not known at prediction time.
    followers = (
        sa.select(sa.func.count())
        .select_from(follows)
        .where(follows.c.followee_id == app.c.user_id, follows.c.created_at <= app.c.created_at)
        .scalar_subquery()
        .label("creator_followers")
    )
    query = scoped(
        sa.select(
            app.c.id,
            app.c.user_id,
            app.c.created_at,
            followers,
            *_content_columns(app),
            features.c.language,
            features.c.sentiment_score,
            moderation.c.scores,
        ).select_from(
            app.outerjoin(features, result_of(features, app, content_type)).outerjoin(
                moderation, result_of(moderation, app, content_type)
            )
        )
    )
    events = schema.engagement_events
    event_query = scoped(
        sa.select(events.c.content_id, events.c.created_at, events.c.event_type)
        .join(app, app.c.id == events.c.content_id)
        .where(events.c.content_type == content_type, events.c.created_at <= now)
    )
    with db.engine.connect() as conn:
        item_rows = conn.execute(query).all()
        event_rows = conn.execute(event_query).all()
    items = _items_frame(item_rows).with_columns(
        ((pl.lit(now) - pl.col("published_at")).dt.total_seconds() / 60)
        .clip(lower_bound=0, upper_bound=horizon_minutes)
        .alias("age_minutes")
    )
    raw = pl.DataFrame(
        event_rows,
        schema={"item_id": pl.String, "at": pl.Datetime("us", "UTC"), "event_type": pl.String},
        orient="row",
    )
    timed = (
        raw.join(items.select("item_id", "published_at", "age_minutes"), on="item_id")
        .with_columns(((pl.col("at") - pl.col("published_at")).dt.total_seconds() / 60).alias("minutes"))
        .filter(pl.col("minutes") >= 0, pl.col("minutes") <= pl.col("age_minutes"))
        .sort("item_id", "minutes", "event_type")
        .with_columns(pl.int_range(1, pl.len() + 1).over("item_id").cast(pl.Float64).alias("count"))
    )
    cut = items.join(
        timed.group_by("item_id").agg(pl.len().cast(pl.Float64).alias("count")), on="item_id", how="left"
    )
    return ItemSeries(
        timed.select("item_id", "minutes", "count"),
        timed.select("item_id", "minutes", "event_type"),
        cut.select("item_id", pl.col("age_minutes").alias("minutes"), pl.col("count").fill_null(0.0)),
        items,
    )


def _content_columns(app: sa.Table) -> list[sa.ColumnElement]:
    """text_length, has_media, duration_s of an app table's rows (videos: title and description)."""
    if "text" in app.c:
        return [
            sa.func.length(app.c.text).label("text_length"),
            sa.literal(0).label("has_media"),
            sa.null().label("duration_s"),
        ]
    return [
        (sa.func.length(app.c.title) + sa.func.length(app.c.description)).label("text_length"),
        sa.case((app.c.media_path.is_not(None), 1), else_=0).label("has_media"),
        app.c.duration_s,
    ]


def _items_frame(rows: Sequence[sa.Row]) -> pl.DataFrame:
    """The items' rows as `ItemSeries.items`: followers on a log scale, language as is_english, the
    highest moderation score."""

    def highest(scores: Any) -> float | None:
        values = [float(v) for v in (decoded_json(scores) or {}).values() if isinstance(v, int | float)]
        return max(values) if values else None

    return pl.DataFrame(
        [
            (
                row.id,
                row.user_id,
                row.created_at,
                math.log1p(row.creator_followers or 0),
                row.text_length,
                row.has_media,
                row.duration_s,
                None if row.language in (None, "und") else float(row.language == "en"),
                row.sentiment_score,
                highest(row.scores),
            )
            for row in rows
        ],
        schema={
            "item_id": pl.String,
            "creator_id": pl.String,
            "published_at": pl.Datetime("us", "UTC"),
            "log_creator_followers": pl.Float64,
            "text_length": pl.Float64,
            "has_media": pl.Float64,
            "duration_s": pl.Float64,
            "is_english": pl.Float64,
            "sentiment_score": pl.Float64,
            "moderation_max_score": pl.Float64,
        },
        orient="row",
    )


def replace_predictions(
    db: Database, content_type: str, rows: list[dict], ids: Sequence[str] | None = None
) -> int:
    """The content type's current predictions (or those of the listed `ids` only), in one
    transaction: a re-run writes the same rows, and an item that has matured since the last full
    run leaves the table."""
    table = schema.viral_predictions
    frame = pl.DataFrame(rows) if rows else pl.DataFrame()
    where = table.c.content_type == content_type
    if ids is not None:
        where = sa.and_(where, table.c.content_id.in_(list(ids)))
    return db.replace(table, frame, where)


def content_type_of(db: Database, content_id: str) -> str | None:
    """Which kind of item `content_id` is (the seed's request names none)."""
    with db.engine.connect() as conn:
        for content_type in ("video", "post"):
            app = schema.APP_CONTENT_TABLES[content_type]
            if conn.execute(sa.select(app.c.id).where(app.c.id == content_id)).first() is not None:
                return content_type
    return None
