"""The viral domain's reads: what the platform knows of an item (text, media, language, sentiment,
moderation) and its events by type, on SQLite and Postgres alike."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import numpy as np
import polars as pl
import pytest

from socialflow_demo import WorldConfig, generate_world
from socialflow_demo.load import write_world
from socialflow_pipelines.domains.virality import store
from socialflow_pipelines.platform.db import schema
from socialflow_pipelines.platform.db.engine import Database

NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)


def analysed(db: Database, content_type: str, content_id: str, *, language: str, sentiment: float) -> None:
    """A content_features row and a moderation_results row for the item."""
    common = {"content_type": [content_type], "content_id": [content_id], "created_date": [NOW.date()]}
    features = pl.DataFrame(
        {
            **common,
            "language": [language],
            "sentiment_score": [sentiment],
            **{column: ["[]"] for column in ("tags", "categories", "topics", "entities")},
            "analyzed_at": [NOW],
        }
    )
    moderation = pl.DataFrame(
        {
            **common,
            "scores": [json.dumps({"spam": 0.2, "toxicity": 0.65, "hate_speech": 0.1})],
            "model_versions": ["{}"],
            "signals": ["{}"],
            "decision": ["approved"],
            "flags": ["[]"],
            "human_reviewed": [False],
            "moderated_at": [NOW],
        }
    )
    with db.begin() as conn:
        db.insert(schema.content_features, features, conn)
        db.insert(schema.moderation_results, moderation, conn)


def test_indicators_and_typed_events_are_read_as_the_model_takes_them(any_db: Database) -> None:
    world = generate_world(WorldConfig(users=100, days=2, id_type=any_db.id_type), now=NOW)
    write_world(any_db, world)
    post = world["posts"].row(0, named=True)
    other = world["posts"].row(1, named=True)
    video = world["videos"].row(0, named=True)
    analysed(any_db, "post", post["id"], language="en", sentiment=0.4)
    analysed(any_db, "video", video["id"], language="es", sentiment=-0.2)

    posts = store.item_series(any_db, "post", NOW - timedelta(days=2), NOW, NOW, 2880)
    by_id = {row["item_id"]: row for row in posts.items.to_dicts()}
    found = by_id[post["id"]]
    assert found["text_length"] == len(post["text"]) and found["has_media"] == 0
    assert found["is_english"] == 1.0 and found["sentiment_score"] == pytest.approx(0.4)
    assert found["moderation_max_score"] == pytest.approx(0.65)
    # Nothing analysed or moderated yet: unknown, not zero.
    unknown = by_id[other["id"]]
    assert unknown["is_english"] is None and unknown["moderation_max_score"] is None
    assert unknown["sentiment_score"] is None and unknown["duration_s"] is None

    videos = store.item_series(any_db, "video", NOW - timedelta(days=2), NOW, NOW, 2880, ids=[video["id"]])
    (clip,) = videos.items.to_dicts()
    assert clip["text_length"] == len(video["title"]) + len(video["description"])
    assert clip["duration_s"] == pytest.approx(video["duration_s"])
    assert clip["has_media"] == float(video["media_path"] is not None) and clip["is_english"] == 0.0

    # Followers when the item was published, on a log scale: later follows are not known yet.
    follows = world["follows"]
    before = follows.filter(
        (pl.col("followee_id") == post["user_id"]) & (pl.col("created_at") <= post["created_at"])
    ).height
    assert found["log_creator_followers"] == pytest.approx(np.log1p(before))

    # The typed events are the counted ones: same items and minutes, one event type each.
    assert posts.typed.height == posts.events.height
    assert posts.typed.select("item_id", "minutes").equals(posts.events.select("item_id", "minutes"))
    assert set(posts.typed["event_type"]) <= {"view", "like", "comment", "share"}


def test_confidence_is_the_held_out_discrimination_of_items_with_as_much_evidence() -> None:
    from socialflow_pipelines.domains.virality.service import ViralModels

    models = ViralModels(
        {},
        held_out_auc={"post": {10: 0.8, 60: 0.9}},
        held_out_auc_by_evidence={"post": {60: {"none": 0.6, "many": 0.95}}},
    )
    assert models.confidence("post", 90, 0) == pytest.approx(0.2)  # 2 * 0.6 - 1
    assert models.confidence("post", 90, 25) == pytest.approx(0.9)
    # A band too small to measure at that age: the age's AUC over every item.
    assert models.confidence("post", 90, 3) == pytest.approx(0.8)
    assert models.confidence("post", 30, 0) == pytest.approx(0.6)  # the 10-minute band: no bands
    assert models.confidence("video", 30, 0) == 0.0
