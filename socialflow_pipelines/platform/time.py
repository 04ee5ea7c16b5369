"""Time as every store holds it: aware UTC datetimes."""

from __future__ import annotations

from datetime import UTC, datetime


def utc_now() -> datetime:
    return datetime.now(UTC)


def utc(value: datetime | str) -> datetime:
    """SQLite hands back naive datetimes (or ISO strings), Postgres aware ones in the session's
    zone; everything stored is UTC, so a naive value is UTC and an aware one is converted."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.astimezone(UTC) if value.tzinfo is not None else value.replace(tzinfo=UTC)
