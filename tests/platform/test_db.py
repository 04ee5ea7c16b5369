"""The one SQL code path, on SQLite and on the real Postgres: bulk writes and reads round-trip."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import polars as pl
import sqlalchemy as sa

from socialflow_pipelines.platform.db import schema
from socialflow_pipelines.platform.db.engine import ID_CHUNK, Database, select_in_chunks
from socialflow_pipelines.platform.ids import ID_DTYPE


def uid(n: int) -> str:
    """A backend id (UUID) whose text order is n's."""
    return str(uuid.UUID(int=n))


EVENTS = pl.DataFrame(
    {
        "user_id": [uid(1), uid(2), uid(3)],
        "content_type": ["video", "post", "video"],
        "content_id": [uid(10), uid(20), uid(30)],
        "event_type": ["view", "like", "share"],
        "created_at": [
            datetime(2026, 11, 20, 8, 0, 0, tzinfo=UTC),  # no fraction: Postgres prints none
            datetime(2026, 11, 20, 8, 0, 1, 500_000, tzinfo=UTC),
            datetime(2026, 11, 20, 9, 30, 0, 123_456, tzinfo=UTC),
        ],
    }
)
SCHEMA = {
    "content_type": pl.String(),
    "content_id": ID_DTYPE,
    "event_type": pl.String(),
    "created_at": pl.Datetime("us", "UTC"),
}


def test_bulk_insert_then_bulk_read_round_trips_utc_timestamps(any_db: Database) -> None:
    with any_db.begin() as conn:
        any_db.insert(schema.engagement_events, EVENTS, conn)
    events = schema.engagement_events
    query = (
        sa.select(events.c.content_type, events.c.content_id, events.c.event_type, events.c.created_at)
        .where(events.c.created_at >= datetime(2026, 11, 20, 8, 0, 1, tzinfo=UTC))
        .order_by(events.c.created_at)
    )
    frame = any_db.read_bulk(query, SCHEMA)
    assert frame.schema == pl.Schema(SCHEMA)
    assert frame.to_dicts() == EVENTS.drop("user_id").slice(1).to_dicts()
    assert any_db.read_frame(query, schema=SCHEMA).to_dicts() == frame.to_dicts()


def test_replace_is_idempotent_and_upsert_updates_by_key(any_db: Database) -> None:
    table = schema.demo_ground_truth
    rows = pl.DataFrame(
        {"content_type": ["post", "post"], "content_id": [uid(1), uid(2)], "topic": ["music", "food"],
         "is_spam": [False, True], "is_toxic": [False, False], "is_hate": [False, False]}
    )  # fmt: skip
    for _ in range(2):
        any_db.replace(table, rows, where=table.c.content_type == "post")
    changed = rows.head(1).with_columns(pl.lit("travel").alias("topic"))
    any_db.upsert(table, changed, keys=["content_type", "content_id"])
    with any_db.engine.connect() as conn:
        stored = conn.execute(sa.select(table.c.content_id, table.c.topic).order_by(table.c.content_id)).all()
    assert [tuple(r) for r in stored] == [(uid(1), "travel"), (uid(2), "food")]


def test_empty_bulk_read_keeps_the_schema(any_db: Database) -> None:
    events = schema.engagement_events
    query = sa.select(events.c.content_type, events.c.content_id, events.c.event_type, events.c.created_at)
    assert any_db.read_bulk(query, SCHEMA).schema == pl.Schema(SCHEMA)


def test_upsert_of_more_rows_than_one_statement_can_bind(any_db: Database) -> None:
    """Postgres binds at most 65,535 parameters a statement: upserts must chunk below that."""
    table = schema.demo_ground_truth
    n = 12_000  # x 6 columns = 72,000 parameters if sent as one statement
    rows = pl.DataFrame(
        {"content_type": ["post"] * n, "content_id": [uid(i) for i in range(n)], "topic": ["music"] * n,
         "is_spam": [False] * n, "is_toxic": [False] * n, "is_hate": [False] * n}
    )  # fmt: skip
    any_db.upsert(table, rows, keys=["content_type", "content_id"])
    any_db.upsert(table, rows, keys=["content_type", "content_id"])
    with any_db.engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one() == n


def test_select_in_chunks_reads_more_ids_than_one_statement_can_bind(any_db: Database) -> None:
    frame = pl.DataFrame(
        {"id": [uid(i) for i in range(1, 2_501)], "user_id": [uid(1)] * 2_500, "text": ["x"] * 2_500}
    )
    frame = frame.with_columns(created_at=pl.lit(datetime(2026, 12, 1, tzinfo=UTC)))
    any_db.replace(schema.posts, frame, None)
    sizes: list[int] = []

    def query_for(chunk: list[str]) -> sa.Select:
        sizes.append(len(chunk))
        return sa.select(schema.posts.c.id).where(schema.posts.c.id.in_(chunk))

    wanted = [*(uid(i) for i in range(1, 2_401)), uid(1), uid(2), uid(9_999)]  # duplicates, a missing id
    with any_db.engine.connect() as conn:
        rows = select_in_chunks(conn, query_for, wanted)
    assert sorted(row.id for row in rows) == [uid(i) for i in range(1, 2_401)]
    assert sizes == [ID_CHUNK, ID_CHUNK, 2_401 - 2 * ID_CHUNK]
