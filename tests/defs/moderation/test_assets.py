"""Materialize the moderation assets on a small seeded world, on SQLite and on the real Postgres +
Redis: results, app columns and cache keys; human reviews survive backfills; re-runs change
nothing; the model assets train from reviews and their check refuses a worse model."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import dagster as dg
import numpy as np
import polars as pl
import pytest
import redis
import sqlalchemy as sa

from socialflow_demo import WorldConfig, generate_world
from socialflow_demo.load import write_world
from socialflow_pipelines.definitions import defs
from socialflow_pipelines.defs.moderation.assets import (
    MODEL_ASSETS,
    moderation_results,
    spam_model,
)
from socialflow_pipelines.ml.moderation import DECISIONS
from socialflow_pipelines.platform.db import schema
from socialflow_pipelines.platform.db.engine import Database
from tests.defs.ranges import partition_range

# Recent but fixed within a day: the world (and the toxic-vs-clean margin below) does not
# depend on the hour the tests run at.
NOW = datetime.now(UTC).replace(hour=6, minute=0, second=0, microsecond=0) - timedelta(days=1)
DAY = "%Y-%m-%d"


def seed(db: Database, users: int = 200, min_planted: int = 0) -> dict[str, pl.DataFrame]:
    """A small world; `min_planted=0` keeps it to its natural rates (too few hateful items to train)."""
    world = generate_world(WorldConfig(users=users, days=3, min_planted=min_planted), now=NOW)
    write_world(db, world)
    return world


def moderate_range(start: datetime, end: datetime) -> dg.ExecuteInProcessResult:
    return dg.materialize(
        [moderation_results],
        resources=defs.resources,
        tags=partition_range(start.strftime(DAY), end.strftime(DAY)),
    )


def moderate_all() -> dg.ExecuteInProcessResult:
    result = moderate_range(NOW - timedelta(days=4), NOW)
    assert result.success
    return result


def results(db: Database) -> dict[tuple[str, int], dict]:
    table = schema.moderation_results
    with db.engine.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(sa.select(table))]
    return {(r["content_type"], r["content_id"]): r for r in rows}


def app_columns(db: Database) -> dict[tuple[str, int], tuple]:
    out: dict[tuple[str, int], tuple] = {}
    with db.engine.connect() as conn:
        for row in conn.execute(
            sa.select(schema.posts.c.id, schema.posts.c.is_flagged, schema.posts.c.flag_reason)
        ):
            out[("post", row[0])] = tuple(row[1:])
        for row in conn.execute(
            sa.select(schema.videos.c.id, schema.videos.c.moderation_status, schema.videos.c.moderation_flags)
        ):
            out[("video", row[0])] = tuple(row[1:])
    return out


def materialization_metadata(event: dg.DagsterEvent) -> dict:
    return event.step_materialization_data.materialization.metadata


def train_config(*assets: dg.AssetsDefinition, **overrides: object) -> dict:
    """Run config for model assets with minimums small enough for a 200-user world."""
    config = {"min_reviews": 50, "min_per_class": 5, **overrides}
    return {"ops": {asset.key.path[-1]: {"config": config} for asset in assets}}


def test_materialization_writes_results_app_columns_and_redis(any_db: Database, redis_url: str) -> None:
    world = seed(any_db)
    result = moderate_all()
    checks = {c.check_name: c.passed for c in result.get_asset_check_evaluations()}
    assert checks == {"scores_in_unit_interval": True, "every_item_moderated": True}

    stored = results(any_db)
    n_items = world["posts"].height + world["comments"].height + world["videos"].height
    assert len(stored) == n_items
    assert {r["decision"] for r in stored.values()} <= set(DECISIONS)
    for row in stored.values():
        scores = row["scores"]
        # No spam or hate model is trained yet: those are missing, never zero; toxicity comes
        # from alt-profanity-check's shipped model.
        assert scores["spam"] is None and scores["hate_speech"] is None
        assert 0.0 <= scores["toxicity"] <= 1.0

    # The toxicity signal is wired to the right text: planted toxic posts score higher.
    truth = world["demo_ground_truth"].filter(pl.col("content_type") == "post")
    toxicity = {key[1]: r["scores"]["toxicity"] for key, r in stored.items() if key[0] == "post"}
    by_truth = truth.with_columns(
        pl.col("content_id").replace_strict(toxicity, default=None).alias("toxicity")
    )
    mean = by_truth.group_by("is_toxic").agg(pl.col("toxicity").mean()).sort("is_toxic")["toxicity"].to_list()
    assert mean[1] > 2 * mean[0]

    columns = app_columns(any_db)
    for (content_type, content_id), row in stored.items():
        if content_type == "post":
            is_flagged, reason = columns[("post", content_id)]
            assert is_flagged == (row["decision"] != "approved")
            assert (reason is None) == (row["decision"] == "approved")
        elif content_type == "video":
            status, _flags = columns[("video", content_id)]
            assert status == row["decision"]
    with any_db.engine.connect() as conn:
        unmoderated = conn.execute(
            sa.select(sa.func.count())
            .select_from(schema.comments)
            .where(schema.comments.c.moderated_at.is_(None))
        ).scalar_one()
    assert unmoderated == 0

    client = redis.Redis.from_url(redis_url, decode_responses=True)
    post_id = world["posts"]["id"][0]
    cached = json.loads(client.get(f"moderation:post:{post_id}"))
    assert cached["decision"] == stored[("post", post_id)]["decision"]
    assert set(cached["missing"]) == {"spam", "hate_speech"}
    assert 0 < client.ttl(f"moderation:post:{post_id}") <= 3600
    assert len(client.keys("moderation:*")) == n_items


def test_backfill_keeps_human_decisions_and_a_rerun_changes_nothing(sqlite_db: Database) -> None:
    world = seed(sqlite_db)
    moderate_all()
    first = results(sqlite_db)
    reviews = (
        world["moderation_reviews"].sort("created_at").unique(["content_type", "content_id"], keep="last")
    )
    for review in reviews.iter_rows(named=True):
        row = first[(review["content_type"], review["content_id"])]
        assert row["human_reviewed"] is True
        assert row["decision"] == review["decision"]
    assert sum(r["human_reviewed"] for r in first.values()) == reviews.height

    # A re-run with nothing changed leaves every row as it was, timestamps included.
    moderate_all()
    assert results(sqlite_db) == first
    columns = app_columns(sqlite_db)

    # A reviewer rejects a post the models approved; then a model change and a backfill.
    approved_post = next(
        key[1]
        for key, r in first.items()
        if key[0] == "post" and r["decision"] == "approved" and not r["human_reviewed"]
    )
    with sqlite_db.begin() as conn:
        conn.execute(
            schema.moderation_reviews.insert().values(
                content_type="post",
                content_id=approved_post,
                reviewer_id=world["users"].filter("is_admin")["id"][0],
                decision="rejected",
                labels={"spam": True, "toxicity": False, "hate_speech": False},
                created_at=NOW,
            )
        )
    assert dg.materialize([spam_model], resources=defs.resources, run_config=train_config(spam_model)).success
    moderate_all()
    after = results(sqlite_db)
    row = after[("post", approved_post)]
    assert (row["decision"], row["flags"], row["human_reviewed"]) == ("rejected", ["spam"], True)
    assert app_columns(sqlite_db)[("post", approved_post)][0] is True
    spam_version = defs.resources["model_store"].store.published_version("spam_model")
    columns_after = app_columns(sqlite_db)
    for key, before in first.items():
        now_row = after[key]
        assert now_row["model_versions"]["spam"] == spam_version  # re-scored by the new model
        if before["human_reviewed"]:
            assert (now_row["decision"], now_row["flags"]) == (before["decision"], before["flags"])
            if key in columns:
                assert columns_after[key] == columns[key]


def test_sensor_style_run_moderates_only_the_listed_items(sqlite_db: Database) -> None:
    world = seed(sqlite_db)
    post = world["posts"].row(0, named=True)
    day = post["created_at"].strftime(DAY)
    result = dg.materialize(
        [moderation_results],
        resources=defs.resources,
        partition_key=day,
        run_config={"ops": {"moderation_results": {"config": {"posts": [post["id"]]}}}},
    )
    assert result.success
    assert list(results(sqlite_db)) == [("post", post["id"])]
    assert all(c.passed for c in result.get_asset_check_evaluations())


def test_model_assets_train_from_reviews_and_the_gate_refuses_a_worse_model(sqlite_db: Database) -> None:
    seed(sqlite_db, users=600)
    registry = defs.resources["model_store"].store

    # Defaults need 200 reviews with 20 of each class: hate_speech has fewer, so it is skipped.
    result = dg.materialize(list(MODEL_ASSETS), resources=defs.resources)
    assert result.success
    meta = {
        e.asset_key.path[-1]: materialization_metadata(e) for e in result.get_asset_materialization_events()
    }
    assert meta["hate_speech_model"]["status"].value == "skipped"
    assert "training needs 20 of each" in meta["hate_speech_model"]["reason"].value
    assert registry.published_version("hate_speech_model") is None
    assert meta["spam_model"]["status"].value == "published"
    held_out = meta["spam_model"]["held_out"].value
    assert held_out["roc_auc"] > 0.75 and held_out["pr_auc"] > 3 * held_out["positives"] / held_out["n"]
    published = registry.published_version("spam_model")
    assert published == meta["spam_model"]["version"].value

    # Nothing new to learn from: skipped, the published version stays.
    again = dg.materialize([spam_model], resources=defs.resources)
    skipped = materialization_metadata(again.get_asset_materialization_events()[0])
    assert "no new human labels" in skipped["reason"].value

    # Reviews whose spam verdicts are shuffled teach nothing: the check refuses the candidate.
    reviews = schema.moderation_reviews
    with sqlite_db.begin() as conn:
        rows = conn.execute(sa.select(reviews.c.id, reviews.c.labels).order_by(reviews.c.id)).all()
        verdicts = [dict(labels)["spam"] for _, labels in rows]
        shuffled = verdicts[7:] + verdicts[:7]
        for (review_id, labels), spam in zip(rows, shuffled, strict=True):
            conn.execute(
                reviews.update().where(reviews.c.id == review_id).values(labels={**labels, "spam": spam})
            )
    worse = dg.materialize([spam_model], resources=defs.resources)
    assert worse.success
    (check,) = worse.get_asset_check_evaluations()
    assert check.check_name == "not_worse_than_published" and not check.passed
    assert registry.published_version("spam_model") == published
    versions = schema.model_versions
    with sqlite_db.engine.connect() as conn:
        statuses = dict(conn.execute(sa.select(versions.c.version, versions.c.status)).all())
    assert statuses[published] == "published"
    assert sorted(statuses.values()).count("rejected") == 1


def test_videos_are_scored_on_frames_only_where_their_media_decodes(sqlite_db: Database, tmp_path) -> None:
    cv2 = pytest.importorskip("cv2")
    pytest.importorskip("nudenet")
    world = seed(sqlite_db)
    clip = tmp_path / "clip.avi"
    writer = cv2.VideoWriter(str(clip), cv2.VideoWriter_fourcc(*"MJPG"), 10, (64, 48))
    for shade in range(0, 250, 10):
        writer.write(np.full((48, 64, 3), shade, dtype=np.uint8))
    writer.release()
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"not a video")
    with_media, undecodable = world["videos"]["id"][:2]
    with sqlite_db.begin() as conn:
        for video_id, path in ((with_media, clip), (undecodable, broken)):
            conn.execute(
                schema.videos.update().where(schema.videos.c.id == video_id).values(media_path=str(path))
            )
    moderate_all()
    stored = results(sqlite_db)

    framed = stored[("video", with_media)]
    assert 0.0 <= framed["scores"]["nsfw"] <= 1.0
    assert framed["model_versions"]["nsfw"].startswith("3.4.2")
    assert "nsfw" in framed["signals"]["used"]
    assert framed["signals"]["missing"]["violence"] == "no local violence image model configured"

    text_only = stored[("video", undecodable)]
    assert text_only["scores"]["nsfw"] is None
    assert "could not be decoded" in text_only["signals"]["missing"]["nsfw"]
    assert "nsfw" not in text_only["signals"]["reason"]  # judged on its text, not sent to review
    no_media = stored[("video", world["videos"]["id"][2])]
    assert "no media file" in no_media["signals"]["missing"]["nsfw"]
