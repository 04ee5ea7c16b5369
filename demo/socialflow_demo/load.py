"""Write a generated world (or a live batch) into the app tables: the demo's stand-in for the
Social Flow backend. Each table goes in with one bulk insert inside one transaction."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime

import polars as pl
import sqlalchemy as sa

from socialflow_demo.ids import demo_id, demo_id_range, demo_ordinal
from socialflow_pipelines.platform.db import schema
from socialflow_pipelines.platform.db.engine import Database
from socialflow_pipelines.platform.ids import IdType, InvalidId

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
        if database.is_postgres and "moderation_reviews" in world:
            # The world writes the reviews' ids itself: move the sequence to the largest, so the
            # next review the backend inserts gets a free id (on an empty table, 1 comes next).
            conn.exec_driver_sql(
                "SELECT setval(pg_get_serial_sequence('moderation_reviews', 'id'), "
                "COALESCE(max(id), 1), max(id) IS NOT NULL) FROM moderation_reviews"
            )
    return {table.name: world[table.name].height for table in tables}


def append_batch(database: Database, batch: dict[str, pl.DataFrame]) -> dict[str, int]:
    """Append a live batch (new items and events) atomically."""
    with database.begin() as conn:
        for name, frame in batch.items():
            database.insert(schema.metadata.tables[name], frame, conn)
    return {name: frame.height for name, frame in batch.items()}


def next_free_ids(database: Database) -> dict[str, int]:
    """The first unused ordinal per content table, where a live generator continues: past the
    largest demo id of each kind (rows the backend wrote with random UUIDs cannot collide)."""
    with database.engine.connect() as conn:
        return {
            table.name: _max_ordinal(conn, table, kind, database.id_type) + 1
            for kind, table in schema.APP_CONTENT_TABLES.items()
        }


def _max_ordinal(conn: sa.Connection, table: sa.Table, kind: str, id_type: IdType) -> int:
    """The largest demo ordinal in `table` (0 when none). Demo ids sort as their ordinals, and a
    uuid column has no max() but an order: the last id in the kind's demo range."""
    query = sa.select(table.c.id).order_by(table.c.id.desc()).limit(1)
    if id_type == "uuid":
        query = query.where(table.c.id.between(*demo_id_range(kind)))
    last = conn.execute(query).scalar()
    return 0 if last is None else demo_ordinal(last, id_type)


def insert_post(database: Database, text: str, *, user_id: str | None, now: datetime) -> tuple[str, str]:
    """One new post, as the backend writes it; returns (post id, author id).

    The author defaults to the first user who is not an admin. A new id is a random UUID, as the
    seed's backend makes them (in an integer deployment, the next integer, taken in the same
    transaction).
    """
    users, posts = schema.users, schema.posts
    with database.begin() as conn:
        if user_id is None:
            user_id = conn.execute(
                sa.select(users.c.id)
                .where(users.c.is_admin.is_(False))
                .order_by(users.c.created_at, users.c.id)
            ).scalar()
            if user_id is None:
                raise LookupError("no users yet: run `socialflow seed` (or the demo) first")
        else:
            try:
                user_id = database.canonical_id(user_id)
            except InvalidId as exc:
                raise LookupError(f"no user {user_id}: {exc}") from exc
            if conn.execute(sa.select(users.c.id).where(users.c.id == user_id)).first() is None:
                raise LookupError(f"no user {user_id}")
        if database.id_type == "uuid":
            post_id = str(uuid.uuid4())
        else:
            post_id = demo_id("post", _max_ordinal(conn, posts, "post", "integer") + 1, "integer")
        conn.execute(
            posts.insert().values(id=post_id, user_id=user_id, text=text, created_at=now, is_flagged=False)
        )
    return post_id, user_id
