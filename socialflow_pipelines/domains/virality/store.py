"""The viral domain's reads and writes: items' engagement as cumulative series, and predictions."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import polars as pl
import sqlalchemy as sa

from socialflow_pipelines.platform.db import schema
from socialflow_pipelines.platform.db.engine import Database


@dataclass(frozen=True)
class ItemSeries:
    """Items of one content type with their engagement as `ml.virality` reads it: `events`
    (item_id, minutes after publishing, cumulative count), one row per event, what features are
    made of; `observations` adds one row per item at its cut-off (its age now, or the horizon for
    an older item), which says how long it was watched: what outcomes need. Per item, `items`
    holds its creator, publishing time and age."""

    events: pl.DataFrame
    cuts: pl.DataFrame
    items: pl.DataFrame  # item_id, creator_id, published_at, age_minutes

    @property
    def observations(self) -> pl.DataFrame:
        return pl.concat([self.events, self.cuts])


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
    query = sa.select(app.c.id, app.c.user_id, app.c.created_at)
    query = (
        query.where(app.c.id.in_(list(ids)))
        if ids is not None
        else query.where(app.c.created_at >= created_from, app.c.created_at < created_to)
    )
    events = schema.engagement_events
    event_query = (
        sa.select(events.c.content_id, events.c.created_at)
        .join(app, app.c.id == events.c.content_id)
        .where(events.c.content_type == content_type, events.c.created_at <= now)
    )
    event_query = (
        event_query.where(app.c.id.in_(list(ids)))
        if ids is not None
        else event_query.where(app.c.created_at >= created_from, app.c.created_at < created_to)
    )
    with db.engine.connect() as conn:
        item_rows = conn.execute(query).all()
        event_rows = conn.execute(event_query).all()
    items = pl.DataFrame(
        item_rows,
        schema={"item_id": pl.String, "creator_id": pl.String, "published_at": pl.Datetime("us", "UTC")},
        orient="row",
    ).with_columns(
        ((pl.lit(now) - pl.col("published_at")).dt.total_seconds() / 60)
        .clip(lower_bound=0, upper_bound=horizon_minutes)
        .alias("age_minutes")
    )
    raw = pl.DataFrame(
        event_rows, schema={"item_id": pl.String, "at": pl.Datetime("us", "UTC")}, orient="row"
    )
    timed = (
        raw.join(items, on="item_id")
        .with_columns(((pl.col("at") - pl.col("published_at")).dt.total_seconds() / 60).alias("minutes"))
        .filter(pl.col("minutes") >= 0, pl.col("minutes") <= pl.col("age_minutes"))
        .sort("item_id", "minutes")
        .with_columns(pl.int_range(1, pl.len() + 1).over("item_id").cast(pl.Float64).alias("count"))
    )
    cut = items.join(
        timed.group_by("item_id").agg(pl.len().cast(pl.Float64).alias("count")), on="item_id", how="left"
    )
    return ItemSeries(
        timed.select("item_id", "minutes", "count"),
        cut.select("item_id", pl.col("age_minutes").alias("minutes"), pl.col("count").fill_null(0.0)),
        items,
    )


def replace_predictions(db: Database, content_type: str, rows: list[dict]) -> int:
    """The content type's current predictions, in one transaction: a re-run writes the same rows,
    and an item that has matured since the last run leaves the table."""
    table = schema.viral_predictions
    frame = pl.DataFrame(rows) if rows else pl.DataFrame()
    return db.replace(table, frame, table.c.content_type == content_type)


def content_type_of(db: Database, content_id: str) -> str | None:
    """Which kind of item `content_id` is (the seed's request names none)."""
    with db.engine.connect() as conn:
        for content_type in ("video", "post"):
            app = schema.APP_CONTENT_TABLES[content_type]
            if conn.execute(sa.select(app.c.id).where(app.c.id == content_id)).first() is not None:
                return content_type
    return None
