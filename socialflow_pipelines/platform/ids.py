"""The ids the backend owns (users, videos, posts, comments): UUIDs like the seed's backend, or
integers where a deployment uses them, one kind per deployment.

`SOCIALFLOW_ID_TYPE` decides the kind when `socialflow migrate` creates the tables; every process
afterwards follows the columns it finds (`detect_id_type`), so a worker and the API can never
disagree about it. In Python an id is always its canonical text (`"123e4567-e89b-..."` or
`"42"`): one type for dict keys, polars columns (`ID_DTYPE`), Redis keys and JSON.
"""

from __future__ import annotations

import uuid
from typing import Any, Literal

import polars as pl
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.types import TypeDecorator

IdType = Literal["uuid", "integer"]
ID_TYPES: tuple[IdType, ...] = ("uuid", "integer")
ID_DTYPE = pl.String()
MAX_INTEGER_ID = 2**63 - 1  # BIGINT
_DIALECT_ATTRIBUTE = "socialflow_id_type"


class InvalidId(ValueError):
    """A value that is not an id of this deployment's kind."""


def canonical_id(value: Any, id_type: IdType) -> str:
    """`value` as this deployment's canonical id text: a lower-case hyphenated UUID, or the decimal
    digits of a positive BIGINT. Anything else raises InvalidId (ASCII digits only, no signs,
    spaces, underscores or other scripts' digits, which `int()` would accept)."""
    text = str(value)
    if id_type == "uuid":
        if isinstance(value, uuid.UUID):
            return str(value)
        try:
            parsed = uuid.UUID(text)
        except (ValueError, AttributeError, TypeError) as exc:
            raise InvalidId(f"{text[:64]!r} is not a UUID") from exc
        if len(text) not in (32, 36):  # uuid.UUID also takes braces and "urn:uuid:" prefixes
            raise InvalidId(f"{text[:64]!r} is not a UUID")
        return str(parsed)
    if isinstance(value, bool) or not (text.isascii() and text.isdigit()) or len(text) > 19:
        raise InvalidId(f"{text[:64]!r} is not a positive integer id")
    number = int(text)
    if not 0 < number <= MAX_INTEGER_ID:
        raise InvalidId(f"{text[:64]!r} is not a positive integer id")
    return str(number)


def id_type_of(dialect: sa.Dialect) -> IdType:
    return getattr(dialect, _DIALECT_ATTRIBUTE, "uuid")


def detect_id_type(dbapi_connection: Any, dialect_name: str) -> IdType | None:
    """The kind of `users.id` in this database, or None before the tables exist."""
    cursor = dbapi_connection.cursor()
    try:
        if dialect_name == "postgresql":
            cursor.execute(
                "SELECT format_type(atttypid, atttypmod) FROM pg_attribute "
                "WHERE attrelid = to_regclass('users') AND attname = 'id'"
            )
            row = cursor.fetchone()
            declared = row[0] if row else None
        else:
            cursor.execute("PRAGMA table_info(users)")
            declared = next((row[2] for row in cursor.fetchall() if row[1] == "id"), None)
    finally:
        cursor.close()
    if declared is None:
        return None
    return "integer" if "int" in declared.lower() else "uuid"


def follow_database_ids(engine: sa.Engine) -> None:
    """Make `engine`'s id columns bind and read as the database's kind, found on first connect
    (a database not migrated yet is taken to be the default, UUID)."""

    @sa.event.listens_for(engine, "first_connect")
    def _detect(dbapi_connection: Any, _record: Any) -> None:
        found = detect_id_type(dbapi_connection, engine.dialect.name)
        setattr(engine.dialect, _DIALECT_ATTRIBUTE, found or "uuid")


class ExternalId(TypeDecorator[str]):
    """A column holding a backend id: Postgres `uuid` / SQLite text, or BIGINT, as the database
    was migrated; bound from and read back as canonical text."""

    impl = sa.String(36)
    cache_ok = True

    def load_dialect_impl(self, dialect: sa.Dialect) -> sa.types.TypeEngine[Any]:
        if id_type_of(dialect) == "integer":
            return dialect.type_descriptor(sa.Integer() if dialect.name == "sqlite" else sa.BigInteger())
        if dialect.name == "postgresql":
            return dialect.type_descriptor(postgresql.UUID(as_uuid=False))
        return dialect.type_descriptor(sa.String(36))

    def process_bind_param(self, value: Any, dialect: sa.Dialect) -> Any:
        if value is None:
            return None
        text = canonical_id(value, id_type_of(dialect))
        return int(text) if id_type_of(dialect) == "integer" else text

    def process_result_value(self, value: Any, dialect: sa.Dialect) -> str | None:
        return None if value is None else str(value)
