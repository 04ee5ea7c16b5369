"""Moderation's store and service without Dagster: the latest review wins, records round-trip
through ml.moderation_results and set the app columns, and a re-run keeps the first timestamp."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import numpy as np
import sqlalchemy as sa

from socialflow_pipelines.config import Settings
from socialflow_pipelines.domains.catalog.scope import ItemScope
from socialflow_pipelines.domains.moderation import service, store
from socialflow_pipelines.domains.moderation.records import ModerationRecord
from socialflow_pipelines.ml.moderation import ContentModerator
from socialflow_pipelines.platform.db import schema
from socialflow_pipelines.platform.db.engine import Database
from socialflow_pipelines.platform.model_store import ModelStore
from tests.domains.catalog.world import DAY_ONE, DAY_TWO, iid, seed_items


class TextLength:
    """A stand-in spam model: longer texts score higher."""

    name, version = "length", "1"

    def score(self, items: list[str]) -> np.ndarray:
        return np.array([min(1.0, len(text) / 10) for text in items])


def review(db: Database, content_id: str, decision: str, spam: bool, hours: int) -> None:
    with db.begin() as conn:
        conn.execute(
            schema.moderation_reviews.insert().values(
                content_type="post",
                content_id=content_id,
                reviewer_id=iid(100 + hours),
                decision=decision,
                labels={"spam": spam},
                created_at=DAY_TWO + timedelta(hours=hours),
            )
        )


def test_records_round_trip_and_the_latest_review_wins(sqlite_db: Database) -> None:
    seed_items(sqlite_db)
    review(sqlite_db, iid(2), "rejected", True, hours=1)
    review(sqlite_db, iid(2), "approved", False, hours=2)
    reviews = store.read_reviews(sqlite_db, [("post", iid(1)), ("post", iid(2))])
    assert list(reviews) == [("post", iid(2))] and reviews[("post", iid(2))].decision == "approved"

    items = ItemScope.listed({"post": [iid(1), iid(2)], "video": [iid(9)]}).read_items(sqlite_db)
    moderator = ContentModerator({"spam": TextLength()})
    results = moderator.moderate_texts([item.text for item in items])
    records = [
        ModerationRecord.build(item, result, reviews.get(item.key), DAY_TWO)
        for item, result in zip(items, results, strict=True)
    ]
    store.write_records(sqlite_db, records)

    stored = store.read_results(sqlite_db, [item.key for item in items])
    assert {key: r.payload() for key, r in stored.items()} == {
        item.key: r.payload() for item, r in zip(items, records, strict=True)
    }
    assert stored[("post", iid(2))].human_reviewed and stored[("post", iid(2))].decision == "approved"
    with sqlite_db.engine.connect() as conn:
        posts = dict(conn.execute(sa.select(schema.posts.c.id, schema.posts.c.is_flagged)).all())
        video = conn.execute(sa.select(schema.videos.c.moderation_status)).scalar_one()
    assert posts[iid(2)] is False and posts[iid(1)] == (stored[("post", iid(1))].decision != "approved")
    assert posts[iid(3)] is None  # not in the run: untouched
    assert video == stored[("video", iid(9))].decision


def test_a_rerun_that_changes_nothing_keeps_the_first_moderated_at(
    sqlite_db: Database, tmp_path: Path
) -> None:
    seed_items(sqlite_db)
    settings, models = Settings(), ModelStore(tmp_path / "models")
    scope = ItemScope.created_in(DAY_ONE, DAY_ONE + timedelta(days=1))
    first = service.moderate(settings, sqlite_db, models, scope, DAY_TWO)
    assert len(first.records) == 4 and first.unmoderated == 0
    assert set(first.stored_scores) == {
        ("post", iid(1)),
        ("post", iid(2)),
        ("post", iid(3)),
        ("video", iid(9)),
    }
    again = service.moderate(settings, sqlite_db, models, scope, DAY_TWO + timedelta(hours=1))
    assert {r.moderated_at for r in again.records} == {DAY_TWO}
    assert sum(again.decisions().values()) == 4
