"""A handful of posts, comments and videos at known times, and marker tables for results."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import polars as pl
import sqlalchemy as sa

from socialflow_pipelines.platform.db import schema
from socialflow_pipelines.platform.db.engine import Database


def iid(n: int) -> str:
    """Item or user n's backend id: a UUID whose text order is n's."""
    return str(uuid.UUID(int=n))


def number(backend_id: str) -> int:
    """The n of `iid(n)`."""
    return uuid.UUID(backend_id).int


DAY_ONE = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
DAY_TWO = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)

# Results of two stages, keyed like every ml result table (content_type, content_id).
MARKS = sa.MetaData()
done_marks = sa.Table(
    "done_marks", MARKS, sa.Column("content_type", sa.String(16)), sa.Column("content_id", schema.Id)
)
ready_marks = sa.Table(
    "ready_marks", MARKS, sa.Column("content_type", sa.String(16)), sa.Column("content_id", schema.Id)
)


def seed_items(db: Database) -> None:
    """Posts 1-3 on day one, 4-5 on day two; comment 7 on day two; video 9 on day one, with captions."""
    posts = pl.DataFrame(
        {
            "id": [iid(n) for n in (1, 2, 3, 4, 5)],
            "user_id": [iid(n) for n in (10, 10, 11, 11, 12)],
            "text": ["first", "second", "third", "fourth", "fifth"],
            "created_at": [DAY_ONE, DAY_ONE, DAY_ONE, DAY_TWO, DAY_TWO],
        }
    )
    comments = pl.DataFrame(
        {
            "id": [iid(7)],
            "user_id": [iid(12)],
            "parent_type": ["post"],
            "parent_id": [iid(1)],
            "text": ["a reply"],
            "created_at": [DAY_TWO],
        }
    )
    videos = pl.DataFrame(
        {
            "id": [iid(9)],
            "user_id": [iid(10)],
            "title": ["Cooking"],
            "description": ["pasta at home"],
            "duration_s": [60.0],
            "created_at": [DAY_ONE],
        }
    )
    db.replace(schema.posts, posts, None)
    db.replace(schema.comments, comments, None)
    db.replace(schema.videos, videos, None)
    with db.begin() as conn:
        conn.execute(
            schema.captions.insert(),
            [
                {
                    "video_id": iid(9),
                    "language": "en",
                    "webvtt": "WEBVTT\n\n00:00.000 --> 00:02.000\nboil the water",
                    "model": "test",
                    "created_at": DAY_ONE,
                }
            ],
        )
        MARKS.create_all(conn)


def mark(db: Database, table: sa.Table, *keys: tuple[str, str]) -> None:
    with db.begin() as conn:
        conn.execute(table.insert(), [{"content_type": t, "content_id": i} for t, i in keys])
