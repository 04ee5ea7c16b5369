"""The demo world and live batches in a real store: backend ids of the database's kind, a live
generator continuing past them, and the backend's own inserts still working afterwards."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import polars as pl
import pytest
import sqlalchemy as sa

from socialflow_demo import LiveGenerator, WorldConfig, generate_world
from socialflow_demo.ids import demo_id, demo_ordinal
from socialflow_demo.load import append_batch, insert_post, next_free_ids, write_world
from socialflow_pipelines.platform.db import schema
from socialflow_pipelines.platform.db.engine import Database
from socialflow_pipelines.platform.db.migrate import upgrade

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
CONTENT_TABLES = ("videos", "posts", "comments")


@pytest.fixture
def integer_db(tmp_path) -> Iterator[Database]:
    """A store of an integer deployment (SOCIALFLOW_ID_TYPE=integer at migrate time)."""
    url = f"sqlite:///{tmp_path / 'integer.db'}"
    upgrade(url, id_type="integer")
    db = Database(url)
    yield db
    db.dispose()


def seeded(db: Database) -> tuple[WorldConfig, dict[str, pl.DataFrame]]:
    config = WorldConfig(users=80, days=2, seed=5, id_type=db.id_type)
    world = generate_world(config, now=NOW)
    write_world(db, world)
    return config, world


def ids_of(db: Database, table: str) -> list[str]:
    with db.engine.connect() as conn:
        return conn.execute(sa.select(schema.metadata.tables[table].c.id)).scalars().all()


def test_a_seeded_store_holds_uuids_and_a_live_generator_continues_past_them(any_db: Database) -> None:
    config, world = seeded(any_db)
    assert set(ids_of(any_db, "posts")) == set(world["posts"]["id"])
    assert all(str(uuid.UUID(i)) == i for i in ids_of(any_db, "users")[:5])
    post_id, author = insert_post(any_db, "a post as the backend writes one", user_id=None, now=NOW)
    assert uuid.UUID(post_id).version == 4 and author in set(world["users"]["id"])

    start = next_free_ids(any_db)  # the backend's random UUID does not move the demo's ordinals
    assert start == {t: int(world[t]["id"].map_elements(demo_ordinal, pl.Int64).max()) + 1 for t in start}
    live = LiveGenerator(config, start, rng_seed=3)
    batch = live.next_batch(NOW + timedelta(minutes=5), 300.0, rate=1.0)
    append_batch(any_db, batch)
    assert batch["posts"]["id"][0] == demo_id("post", start["posts"])
    assert next_free_ids(any_db) == {t: start[t] + batch[t].height for t in start}


def test_the_backend_can_add_a_review_after_the_seed(any_db: Database) -> None:
    _, world = seeded(any_db)
    row = {
        "content_type": "post",
        "content_id": world["posts"]["id"][0],
        "reviewer_id": world["users"].filter("is_admin")["id"][0],
        "decision": "approved",
        "labels": {},
        "created_at": NOW,
    }
    with any_db.begin() as conn:  # no id given: the table's own sequence picks it
        review = conn.execute(
            schema.moderation_reviews.insert().values(row).returning(schema.moderation_reviews.c.id)
        ).scalar_one()
    assert review == world["moderation_reviews"]["id"].max() + 1


def test_an_integer_deployment_gets_integer_ids_and_continues_them(integer_db: Database) -> None:
    _, world = seeded(integer_db)
    assert world["posts"]["id"].dtype == pl.String
    assert world["posts"]["id"].head(3).to_list() == ["1", "2", "3"]
    newest = int(world["posts"]["id"].cast(pl.Int64).max())
    post_id, _ = insert_post(integer_db, "the next integer", user_id=None, now=NOW)
    assert post_id == str(newest + 1)
    assert next_free_ids(integer_db)["posts"] == newest + 2
    with pytest.raises(LookupError, match="no user"):
        insert_post(integer_db, "by nobody", user_id="not-a-number", now=NOW)
