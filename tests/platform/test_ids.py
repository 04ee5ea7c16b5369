"""Backend ids: one canonical text per id, of the deployment's kind, on both dialects; revision
0003 turns an integer-id database into a UUID one without breaking a relation."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from socialflow_pipelines.platform.db import schema
from socialflow_pipelines.platform.db.engine import Database
from socialflow_pipelines.platform.db.migrate import upgrade
from socialflow_pipelines.platform.ids import InvalidId, canonical_id

SEED_ID = "123e4567-e89b-12d3-a456-426614174000"
NOW = datetime(2026, 12, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "kind", "expected"),
    [
        (SEED_ID, "uuid", SEED_ID),
        (SEED_ID.upper(), "uuid", SEED_ID),
        (SEED_ID.replace("-", ""), "uuid", SEED_ID),
        (uuid.UUID(SEED_ID), "uuid", SEED_ID),
        ("42", "integer", "42"),
        (42, "integer", "42"),
        (str(2**63 - 1), "integer", str(2**63 - 1)),
    ],
)
def test_canonical_id_accepts_each_kinds_spellings(value: object, kind: str, expected: str) -> None:
    assert canonical_id(value, kind) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("value", "kind"),
    [
        ("42", "uuid"),
        ("{" + SEED_ID + "}", "uuid"),
        ("urn:uuid:" + SEED_ID, "uuid"),
        (SEED_ID, "integer"),
        ("1_0", "integer"),
        (" 7 ", "integer"),
        ("\u0667", "integer"),  # Arabic-Indic seven: int() reads it
        ("0", "integer"),
        ("-3", "integer"),
        (str(2**63), "integer"),
        (str(2**64), "integer"),
        (True, "integer"),
    ],
)
def test_canonical_id_refuses_anything_else(value: object, kind: str) -> None:
    with pytest.raises(InvalidId):
        canonical_id(value, kind)  # type: ignore[arg-type]


def test_ids_bind_and_read_as_canonical_text(any_db: Database) -> None:
    assert any_db.id_type == "uuid"
    with any_db.begin() as conn:
        conn.execute(
            schema.users.insert().values(
                id=SEED_ID.upper(),
                username="u",
                display_name="u",
                language="en",
                is_admin=False,
                created_at=NOW,
            )
        )
        found = conn.execute(sa.select(schema.users.c.id).where(schema.users.c.id == SEED_ID)).scalar_one()
    assert found == SEED_ID


@pytest.fixture
def integer_database_at_0002(any_db: Database) -> Database:
    """The same database rebuilt at revision 0002 (integer ids) with a user, a post and its event."""
    any_db.dispose()
    with any_db.engine.begin() as conn:
        if any_db.is_postgres:
            conn.exec_driver_sql("DROP SCHEMA public CASCADE; DROP SCHEMA ml CASCADE; CREATE SCHEMA public")
        else:
            for table in sa.inspect(conn).get_table_names():
                conn.exec_driver_sql(f'DROP TABLE "{table}"')
    any_db.dispose()
    upgrade(any_db.url, "0002")
    with any_db.engine.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO users (id, username, display_name, language, is_admin, created_at) "
            "VALUES (42, 'u', 'u', 'en', false, '2026-12-01 00:00:00')"
        )
        conn.exec_driver_sql(
            "INSERT INTO posts (id, user_id, text, created_at) VALUES (7, 42, 'hi', '2026-12-01 00:00:00')"
        )
        conn.exec_driver_sql(
            "INSERT INTO engagement_events (user_id, content_type, content_id, event_type, created_at) "
            "VALUES (42, 'post', 7, 'like', '2026-12-01 00:00:00')"
        )
    any_db.dispose()
    return any_db


def test_migration_0003_maps_integer_ids_to_uuids_keeping_every_relation(
    integer_database_at_0002: Database,
) -> None:
    db = integer_database_at_0002
    upgrade(db.url, id_type="uuid")
    db.dispose()
    assert db.id_type == "uuid"
    user, post = str(uuid.UUID(int=42)), str(uuid.UUID(int=7))
    posts, events = schema.posts, schema.engagement_events
    with db.engine.connect() as conn:
        joined = conn.execute(
            sa.select(posts.c.id, posts.c.user_id, events.c.user_id).join(
                events, sa.and_(events.c.content_type == "post", events.c.content_id == posts.c.id)
            )
        ).one()
    assert tuple(joined) == (post, user, user)


def test_an_integer_deployment_keeps_integer_ids(integer_database_at_0002: Database) -> None:
    db = integer_database_at_0002
    upgrade(db.url, id_type="integer")
    db.dispose()
    assert db.id_type == "integer"
    with db.engine.connect() as conn:
        assert (
            conn.execute(sa.select(schema.posts.c.user_id).where(schema.posts.c.id == "7")).scalar_one()
            == "42"
        )
