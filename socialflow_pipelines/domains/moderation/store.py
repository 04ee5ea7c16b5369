"""Moderation's SQL: the human reviews it reads, the texts its models learn from, and the results
it writes (`ml.moderation_results` plus the app's moderation columns) and reads back."""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

import polars as pl
import sqlalchemy as sa

from socialflow_pipelines.domains.catalog.scope import ItemScope
from socialflow_pipelines.domains.moderation.records import HumanReview, ModerationRecord, json_object
from socialflow_pipelines.ml.text_normalise import normalise_text
from socialflow_pipelines.platform.db import schema
from socialflow_pipelines.platform.db.engine import Database, select_in_chunks
from socialflow_pipelines.platform.ids import ID_DTYPE
from socialflow_pipelines.platform.time import utc

RESULT_SCHEMA: dict[str, pl.DataType] = {
    "content_type": pl.String(),
    "content_id": ID_DTYPE,
    "created_date": pl.Date(),
    "scores": pl.String(),
    "model_versions": pl.String(),
    "signals": pl.String(),
    "decision": pl.String(),
    "flags": pl.String(),
    "human_reviewed": pl.Boolean(),
    "moderated_at": pl.Datetime("us", "UTC"),
}


def _ids_by_type(keys: Iterable[tuple[str, str]]) -> dict[str, list[str]]:
    by_type: dict[str, list[str]] = {}
    for content_type, content_id in keys:
        by_type.setdefault(content_type, []).append(content_id)
    return by_type


def read_reviews(database: Database, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], HumanReview]:
    """The latest human review per item, for the items in `keys` that have one."""
    reviews = schema.moderation_reviews
    latest: dict[tuple[str, str], HumanReview] = {}
    with database.engine.connect() as conn:
        for content_type, content_ids in _ids_by_type(keys).items():
            rows = select_in_chunks(
                conn,
                lambda chunk, content_type=content_type: (
                    sa.select(reviews)
                    .where(reviews.c.content_type == content_type, reviews.c.content_id.in_(chunk))
                    .order_by(reviews.c.created_at, reviews.c.id)
                ),
                content_ids,
            )
            # An item's reviews share a chunk and come oldest first: the latest is the one kept.
            for row in rows:
                latest[(content_type, row.content_id)] = HumanReview(
                    review_id=int(row.id),
                    reviewer_id=row.reviewer_id,
                    decision=str(row.decision),
                    labels=json_object(row.labels),
                    created_at=utc(row.created_at),
                )
    return latest


def reviewed_training_texts(database: Database, label: str) -> tuple[list[str], list[int]]:
    """Texts and 0/1 labels for one text label from the latest human review of each item whose
    review gives a verdict on that label: the training data of `{label}_model`, texts in the
    normal form the moderator serves its models."""
    reviews = schema.moderation_reviews
    with database.engine.connect() as conn:
        keys = {
            (str(row.content_type), row.content_id)
            for row in conn.execute(sa.select(reviews.c.content_type, reviews.c.content_id).distinct())
        }
    latest = read_reviews(database, keys)
    texts: list[str] = []
    labels: list[int] = []
    for item in ItemScope.listed(_ids_by_type(latest)).read_items(database):
        verdict = latest[item.key].labels.get(label)
        text = normalise_text(item.text)
        if isinstance(verdict, bool) and text.strip():
            texts.append(text)
            labels.append(int(verdict))
    return texts, labels


def population_texts(database: Database, now: datetime, *, days: int = 30, limit: int = 20_000) -> list[str]:
    """Texts of the items created in the last `days` (a fixed random sample of at most `limit`):
    the population whose base rate a trained model is adapted to, in the served normal form."""
    scope = ItemScope.created_in(now - timedelta(days=days), now)
    texts = [normalise_text(item.text) for item in scope.read_items(database) if item.text]
    if len(texts) > limit:
        texts = random.Random(0).sample(texts, limit)
    return texts


def read_results(
    database: Database, keys: Iterable[tuple[str, str]]
) -> dict[tuple[str, str], ModerationRecord]:
    """Stored results for the given items, where they exist."""
    table = schema.moderation_results
    found: dict[tuple[str, str], ModerationRecord] = {}
    with database.engine.connect() as conn:
        for content_type, content_ids in _ids_by_type(keys).items():
            rows = select_in_chunks(
                conn,
                lambda chunk, content_type=content_type: sa.select(table).where(
                    table.c.content_type == content_type, table.c.content_id.in_(chunk)
                ),
                content_ids,
            )
            for row in rows:
                found[(content_type, row.content_id)] = ModerationRecord.from_row(row._mapping)
    return found


def write_records(database: Database, records: Sequence[ModerationRecord]) -> None:
    """Upsert the results and set the app's moderation columns (a video's status and flags, a
    post's or comment's flag and reason), all in one transaction: the upsert cuts its statements
    under the bound-parameter limits, the column updates are one executemany per table."""
    if not records:
        return
    frame = pl.DataFrame([r.row() for r in records], schema=RESULT_SCHEMA)
    with database.begin() as conn:
        database.upsert(
            schema.moderation_results, frame, keys=["content_type", "content_id"], connection=conn
        )
        _write_app_columns(conn, records)


def _write_app_columns(conn: sa.Connection, records: Sequence[ModerationRecord]) -> None:
    videos = [r for r in records if r.content_type == "video"]
    if videos:
        table = schema.videos
        conn.execute(
            table.update()
            .where(table.c.id == sa.bindparam("item_id"))
            .values(
                moderation_status=sa.bindparam("status"),
                moderation_flags=sa.bindparam("flags"),
                moderated_at=sa.bindparam("at"),
            ),
            [
                {"item_id": r.content_id, "status": r.decision, "flags": r.flags, "at": r.moderated_at}
                for r in videos
            ],
        )
    for content_type in ("post", "comment"):
        rows = [r for r in records if r.content_type == content_type]
        if not rows:
            continue
        table = schema.APP_CONTENT_TABLES[content_type]
        conn.execute(
            table.update()
            .where(table.c.id == sa.bindparam("item_id"))
            .values(
                is_flagged=sa.bindparam("flagged"),
                flag_reason=sa.bindparam("reason"),
                moderated_at=sa.bindparam("at"),
            ),
            [
                {
                    "item_id": r.content_id,
                    "flagged": r.is_flagged,
                    "reason": r.flag_reason,
                    "at": r.moderated_at,
                }
                for r in rows
            ],
        )


def reviews_after(database: Database, after_id: int, limit: int) -> list[tuple[int, str, str, datetime]]:
    """Reviews recorded past `after_id` (oldest first) with their item's creation time:
    (review id, content type, content id, item created_at); reviews of unknown items are left out."""
    reviews = schema.moderation_reviews
    found: list[tuple[int, str, str, datetime]] = []
    with database.engine.connect() as conn:
        for content_type, table in schema.APP_CONTENT_TABLES.items():
            query = (
                sa.select(reviews.c.id, reviews.c.content_id, table.c.created_at)
                .join(table, table.c.id == reviews.c.content_id)
                .where(reviews.c.content_type == content_type, reviews.c.id > after_id)
                .order_by(reviews.c.id)
                .limit(limit)
            )
            found += [(int(i), content_type, cid, utc(at)) for i, cid, at in conn.execute(query)]
    return sorted(found)[:limit]
