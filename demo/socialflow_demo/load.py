"""Write a generated world (or a live batch) into the app tables: the demo's stand-in for the
Social Flow backend. Each table goes in with one bulk insert inside one transaction."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import polars as pl
import sqlalchemy as sa

from socialflow_pipelines.platform.db import schema
from socialflow_pipelines.platform.db.engine import Database

SEED_TABLES = (
    "users",
    "follows",
    "videos",
    "posts",
    "comments",
    "engagement_events",
    "moderation_reviews",
    "demo_ground_truth",
)


class AlreadySeededError(RuntimeError):
    pass


def write_world(
    database: Database,
    world: dict[str, pl.DataFrame],
    *,
    reset: bool = False,
    progress: Callable[[str, int], None] | None = None,
) -> dict[str, int]:
    """Insert every table of `world` in one transaction; refuses a non-empty database unless
    `reset`, which first empties the app tables and the ml results derived from them."""
    tables = [schema.metadata.tables[name] for name in SEED_TABLES if name in world]
    with database.begin() as conn:
        existing = conn.execute(sa.select(sa.func.count()).select_from(schema.users)).scalar_one()
        if existing and not reset:
            raise AlreadySeededError(
                f"the database already holds {existing} users; pass --reset to replace the demo data"
            )
        if reset:
            for table in reversed(schema.metadata.sorted_tables):
                conn.execute(table.delete())
        for table in tables:
            database.insert(table, world[table.name], conn)
            if progress:
                progress(table.name, world[table.name].height)
    return {table.name: world[table.name].height for table in tables}


def append_batch(database: Database, batch: dict[str, pl.DataFrame]) -> dict[str, int]:
    """Append a live batch (new items and events) atomically."""
    with database.begin() as conn:
        for name, frame in batch.items():
            database.insert(schema.metadata.tables[name], frame, conn)
    return {name: frame.height for name, frame in batch.items()}


def next_free_ids(database: Database) -> dict[str, int]:
    """The first unused id per content table, where a live generator continues."""
    with database.engine.connect() as conn:
        return {
            table.name: int(
                conn.execute(sa.select(sa.func.coalesce(sa.func.max(table.c.id), 0))).scalar_one()
            )
            + 1
            for table in schema.APP_CONTENT_TABLES.values()
        }


def insert_post(database: Database, text: str, *, user_id: int | None, now: datetime) -> tuple[int, int]:
    """One new post, as the backend writes it; returns (post id, author id).

    The author defaults to the first user who is not an admin. The id is taken inside the same
    transaction (the demo writes explicit ids, so a Postgres sequence would lag behind them).
    """
    users, posts = schema.users, schema.posts
    with database.begin() as conn:
        if user_id is None:
            user_id = conn.execute(
                sa.select(sa.func.min(users.c.id)).where(users.c.is_admin.is_(False))
            ).scalar_one()
            if user_id is None:
                raise LookupError("no users yet: run `socialflow seed` (or the demo) first")
        elif conn.execute(sa.select(users.c.id).where(users.c.id == user_id)).first() is None:
            raise LookupError(f"no user {user_id}")
        post_id = int(conn.execute(sa.select(sa.func.coalesce(sa.func.max(posts.c.id), 0))).scalar_one()) + 1
        conn.execute(
            posts.insert().values(
                id=post_id, user_id=int(user_id), text=text, created_at=now, is_flagged=False
            )
        )
    return post_id, int(user_id)
