"""Trending's SQL: the engagement it counts, the `ml.engagement_hourly` rollups and the
`ml.trending_scores` lists it writes, and the list the API reads back."""

from __future__ import annotations

from datetime import datetime

import polars as pl
import sqlalchemy as sa

from socialflow_pipelines.domains.trending.records import TrendingList
from socialflow_pipelines.ml.trending import HOURLY_SCHEMA
from socialflow_pipelines.platform.db import schema
from socialflow_pipelines.platform.db.engine import Database
from socialflow_pipelines.platform.ids import ID_DTYPE

EVENT_SCHEMA: dict[str, pl.DataType] = {
    "content_type": pl.String(),
    "content_id": ID_DTYPE,
    "event_type": pl.String(),
    "created_at": pl.Datetime("us", "UTC"),
}


def read_events(db: Database, start: datetime, end: datetime) -> pl.DataFrame:
    """Engagement events created in [start, end)."""
    events = schema.engagement_events
    query = sa.select(
        events.c.content_type, events.c.content_id, events.c.event_type, events.c.created_at
    ).where(events.c.created_at >= start, events.c.created_at < end)
    return db.read_bulk(query, EVENT_SCHEMA)


def read_hourly(db: Database, start: datetime, end: datetime) -> pl.DataFrame:
    """The hourly rollups of the hours starting in [start, end)."""
    hourly = schema.engagement_hourly
    query = sa.select(*[hourly.c[name] for name in HOURLY_SCHEMA]).where(
        hourly.c.hour_start >= start, hourly.c.hour_start < end
    )
    return db.read_bulk(query, HOURLY_SCHEMA)


def write_hourly(db: Database, hourly: pl.DataFrame, start: datetime, end: datetime) -> None:
    """`hourly` replaces the rollups of [start, end) in one transaction: a re-run or a backfill
    leaves exactly the same rows."""
    table = schema.engagement_hourly
    db.replace(table, hourly, sa.and_(table.c.hour_start >= start, table.c.hour_start < end))


def write_scores(db: Database, kept: pl.DataFrame) -> None:
    """The new lists replace every stored one."""
    db.replace(schema.trending_scores, kept, where=None)


def read_list(db: Database, content_type: str, time_window: str, limit: int) -> TrendingList:
    """The stored list's best `limit` items (none before the first refresh)."""
    table = schema.trending_scores
    query = (
        sa.select(table)
        .where(table.c.content_type == content_type, table.c.time_window == time_window)
        .order_by(table.c.rank)
        .limit(limit)
    )
    with db.engine.connect() as conn:
        rows = [row._mapping for row in conn.execute(query)]
    return TrendingList.from_rows(content_type, time_window, rows)
