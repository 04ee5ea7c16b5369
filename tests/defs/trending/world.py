"""Hand-built engagement for the trending assets (a steady video, an accelerating one, a post
liked once) and the helper that backfills `engagement_hourly` over a range. The API tests use them too."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import dagster as dg
import polars as pl
import sqlalchemy as sa

from socialflow_pipelines.definitions import defs
from socialflow_pipelines.defs.trending.assets import engagement_hourly
from socialflow_pipelines.platform.db import schema
from socialflow_pipelines.platform.db.engine import Database
from tests.defs.ranges import partition_range
from tests.domains.catalog.world import iid

NOW = datetime.now(UTC)


def insert_events(db: Database, rows: list[tuple[str, int, str, datetime]]) -> None:
    """Events on items numbered n (stored with id `iid(n)`), all by user 1."""
    frame = pl.DataFrame(
        [(t, iid(n), e, at) for t, n, e, at in rows],
        schema=["content_type", "content_id", "event_type", "created_at"],
        orient="row",
    ).with_columns(pl.lit(iid(1)).alias("user_id"))
    with db.begin() as conn:
        db.insert(schema.engagement_events, frame, conn)


def hand_built_events() -> list[tuple[str, int, str, datetime]]:
    """Video 1 steady for two days; video 2 quiet, then accelerating over the last hours; post 7 once."""
    rows = []
    for h in range(48, 0, -1):
        t = NOW - timedelta(hours=h) + timedelta(minutes=1)
        rows += [("video", 1, "view", t)] * 20
        rows += [("video", 2, "view", t)] * (30 if h <= 4 else 1)
    rows += [("video", 2, "share", NOW - timedelta(minutes=20))] * 3
    rows.append(("post", 7, "like", NOW - timedelta(minutes=5)))
    return rows


def materialize_range(start: datetime, end: datetime) -> dg.ExecuteInProcessResult:
    fmt = "%Y-%m-%d-%H:00"
    return dg.materialize(
        [engagement_hourly],
        resources=defs.resources,
        tags=partition_range(start.strftime(fmt), end.strftime(fmt)),
    )


def table_rows(db: Database, table: sa.Table) -> list[tuple]:
    with db.engine.connect() as conn:
        return sorted(tuple(r) for r in conn.execute(sa.select(table)).fetchall())
