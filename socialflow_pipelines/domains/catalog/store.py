"""Reads of the app's tables (posts, comments, videos and their captions, and each table's version):
the items every domain scores. Nothing here writes; the backend owns these tables."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from socialflow_pipelines.domains.catalog.records import CONTENT_TYPES, ContentItem, NewItem
from socialflow_pipelines.ml.moderation import video_text
from socialflow_pipelines.platform.db import schema
from socialflow_pipelines.platform.db.engine import Database, select_in_chunks
from socialflow_pipelines.platform.time import utc

_VTT_TIMING = re.compile(r"-->")
_VTT_TAG = re.compile(r"<[^>]+>")


def webvtt_text(webvtt: str) -> str:
    """The spoken words of a WebVTT document: cue text without header, ids, timings, notes or tags."""
    lines: list[str] = []
    for block in re.split(r"\n\s*\n", webvtt.replace("\r\n", "\n").strip()):
        rows = [row.strip() for row in block.split("\n") if row.strip()]
        if not rows or rows[0].startswith(("WEBVTT", "NOTE", "STYLE", "REGION")):
            continue
        timing = next((i for i, row in enumerate(rows) if _VTT_TIMING.search(row)), None)
        cue = rows if timing is None else rows[timing + 1 :]
        lines.extend(_VTT_TAG.sub("", row) for row in cue)
    return " ".join(line for line in lines if line)


def read_items(
    database: Database,
    *,
    window: tuple[datetime, datetime] | None = None,
    ids: Mapping[str, Sequence[str]] | None = None,
) -> list[ContentItem]:
    """Posts, comments and videos created in `window` ([start, end)), or the listed ids per type.

    A video's text is its title, description and, where `ml.captions` holds them, its captions.
    """
    if (window is None) == (ids is None):
        raise ValueError("give either a creation-time window or ids per content type")
    items: list[ContentItem] = []
    with database.engine.connect() as conn:
        for content_type in CONTENT_TYPES:
            table = schema.APP_CONTENT_TABLES[content_type]
            columns = (
                [table.c.id, table.c.created_at, table.c.title, table.c.description, table.c.media_path]
                if content_type == "video"
                else [table.c.id, table.c.created_at, table.c.text]
            )
            if window is not None:
                query = sa.select(*columns).where(
                    table.c.created_at >= window[0], table.c.created_at < window[1]
                )
                rows: list[Any] = list(conn.execute(query))
            else:
                rows = select_in_chunks(
                    conn,
                    lambda chunk, columns=columns, table=table: sa.select(*columns).where(
                        table.c.id.in_(chunk)
                    ),
                    (ids or {}).get(content_type, ()),
                )
            if content_type == "video":
                captions = _captions(conn, [row.id for row in rows])
                items += [
                    ContentItem(
                        "video",
                        row.id,
                        utc(row.created_at),
                        video_text(row.title, row.description, captions.get(row.id)),
                        row.media_path,
                    )
                    for row in rows
                ]
            else:
                items += [ContentItem(content_type, r.id, utc(r.created_at), r.text or "") for r in rows]
    return sorted(items, key=lambda item: (CONTENT_TYPES.index(item.content_type), item.content_id))


def _captions(conn: sa.Connection, video_ids: Sequence[str]) -> dict[str, str]:
    captions = schema.captions
    rows = select_in_chunks(
        conn,
        lambda chunk: sa.select(captions.c.video_id, captions.c.webvtt).where(captions.c.video_id.in_(chunk)),
        video_ids,
    )
    return {row.video_id: webvtt_text(row.webvtt) for row in rows}


def count_missing(
    database: Database,
    table: sa.Table,
    *,
    window: tuple[datetime, datetime] | None = None,
    ids: Mapping[str, Sequence[str]] | None = None,
) -> int:
    """Items created in `window`, or the listed ids, without a row in `table` (keyed by
    content_type and content_id)."""
    if (window is None) == (ids is None):
        raise ValueError("give either a creation-time window or ids per content type")
    missing = 0
    with database.engine.connect() as conn:
        for content_type in CONTENT_TYPES:
            app_table = schema.APP_CONTENT_TABLES[content_type]
            joined = app_table.outerjoin(
                table, sa.and_(table.c.content_type == content_type, table.c.content_id == app_table.c.id)
            )
            query = sa.select(sa.func.count()).select_from(joined).where(table.c.content_id.is_(None))
            if window is not None:
                in_window = query.where(
                    app_table.c.created_at >= window[0], app_table.c.created_at < window[1]
                )
                missing += int(conn.execute(in_window).scalar_one())
                continue
            rows = select_in_chunks(
                conn,
                lambda chunk, query=query, app_table=app_table: query.where(app_table.c.id.in_(chunk)),
                (ids or {}).get(content_type, ()),
            )
            missing += sum(int(row[0]) for row in rows)
    return missing


def result_of(result: sa.Table, app: sa.Table, content_type: str) -> sa.ColumnElement[bool]:
    """The join of an ml result table (keyed by content type and id, as all of them are) to the
    rows of `app`, the app table of `content_type`."""
    return sa.and_(result.c.content_type == content_type, result.c.content_id == app.c.id)


def items_after(
    database: Database,
    content_type: str,
    after: tuple[datetime, str] | None,
    limit: int,
    *,
    done: sa.Table,
    ready: sa.Table | None = None,
) -> list[NewItem]:
    """The items past `after` (creation time, then id: ids need not grow, UUIDs do not), oldest
    first: whether `done` holds their result yet, and whether `ready` (the upstream result they
    wait for; None: nothing) holds theirs."""
    table = schema.APP_CONTENT_TABLES[content_type]
    done_alias = done.alias("done")
    source = table.outerjoin(done_alias, result_of(done_alias, table, content_type))
    columns = [table.c.id, table.c.created_at, done_alias.c.content_id.is_not(None)]
    if ready is not None:
        ready_alias = ready.alias("ready")
        source = source.outerjoin(ready_alias, result_of(ready_alias, table, content_type))
        columns.append(ready_alias.c.content_id.is_not(None))
    query = sa.select(*columns).select_from(source).order_by(table.c.created_at, table.c.id).limit(limit)
    if after is not None:
        created, last_id = after
        query = query.where(
            sa.or_(table.c.created_at > created, sa.and_(table.c.created_at == created, table.c.id > last_id))
        )
    with database.engine.connect() as conn:
        return [
            NewItem(content_type, row[0], utc(row[1]), bool(row[2]), True if ready is None else bool(row[3]))
            for row in conn.execute(query)
        ]


def table_versions(database: Database, names: Sequence[str]) -> dict[str, tuple[int, Any]]:
    """Row count and latest created_at of each app table: what changes whenever the backend
    writes to it (ids need not grow: UUIDs do not)."""
    versions: dict[str, tuple[int, Any]] = {}
    with database.engine.connect() as conn:
        for name in names:
            table = schema.metadata.tables[name]
            rows, latest = conn.execute(sa.select(sa.func.count(), sa.func.max(table.c.created_at))).one()
            versions[name] = (int(rows), latest)
    return versions


def item_owner(database: Database, content_type: str, content_id: str) -> str | None:
    """The user who created the item, or None when there is no such item."""
    table = schema.APP_CONTENT_TABLES[content_type]
    with database.engine.connect() as conn:
        owner = conn.execute(sa.select(table.c.user_id).where(table.c.id == content_id)).scalar_one_or_none()
    return owner
