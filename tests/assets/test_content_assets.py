"""Materialize the content assets with Dagster on SQLite and on the real Postgres, over a small
hand-built world whose answers are known: features and decodable embeddings for every item, the
same rows after a re-run, topics written and then assigned, listed-id runs, and the sensor that
follows moderation."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import dagster as dg
import numpy as np
import polars as pl
import sqlalchemy as sa

from socialflow_pipelines.cli.materialize import MATERIALIZE_PLAN
from socialflow_pipelines.config import get_settings
from socialflow_pipelines.definitions import defs
from socialflow_pipelines.defs.content.assets import (
    content_after_moderation_sensor,
    content_analysis,
    content_topics,
    plan_content_runs,
    topic_model,
)
from socialflow_pipelines.defs.moderation.assets import moderation_results
from socialflow_pipelines.domains.content.service import TOPIC_MODEL
from socialflow_pipelines.ml.content import vector_from_bytes
from socialflow_pipelines.platform.db import schema
from socialflow_pipelines.platform.db.engine import Database
from socialflow_pipelines.platform.model_store import ModelStore

NOW = datetime.now(UTC)
# Two whole days in the past, so every item is older than "now" whenever the test runs.
SECOND_DAY = NOW.replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=1)
FIRST_DAY = SECOND_DAY - timedelta(days=1)
DAY = "%Y-%m-%d"
OWNER, OTHER = 10, 11

THEMES = {
    "cooking": [
        "Baked sourdough bread this morning, the crust came out perfect",
        "My grandmother's lasagna recipe with fresh basil and ricotta",
        "Tried a new pasta carbonara recipe tonight, so creamy",
        "Slow cooked beef stew with carrots and potatoes for dinner",
        "Homemade pizza dough needs a long cold fermentation",
        "Best chocolate chip cookies: brown butter and sea salt",
        "Roasted vegetables with garlic and olive oil in the oven",
        "Simple chicken curry recipe with coconut milk and rice",
    ],
    "football": [
        "What a goal in the final minute, the stadium went wild",
        "The striker scored a hat trick in the league match tonight",
        "Our team lost the derby after a penalty in extra time",
        "The goalkeeper saved two penalties in the cup semifinal",
        "Transfer news: the club signed a new midfielder today",
        "The coach changed the formation at half time and we won",
        "Champions League draw is out, tough group for our club",
        "Football training in the rain with the youth team",
    ],
    "programming": [
        "Refactored the database layer and the tests are finally green",
        "Debugging a memory leak in our Python service all afternoon",
        "Rust compiler errors are strict but they catch real bugs",
        "Wrote a small script to parse JSON logs and plot latency",
        "Code review tip: keep pull requests small and focused",
        "Our API now returns proper error codes for bad requests",
        "Switched the build to a faster bundler, compile time halved",
        "Learning how to write unit tests for async functions",
    ],
}
# Items whose answer is known.
POSITIVE_POST = (1, "I absolutely love this new Python release, best update ever! #python #coding")
NEGATIVE_POST = (2, "This is the worst customer service I have ever had. Terrible and rude.")
SPANISH_POST = (3, "El partido de fútbol de anoche fue increíble, el Real Madrid jugó muy bien")
CAPTIONS = "WEBVTT\n\n00:00:01.000 --> 00:00:04.000\nToday Barack Obama gave a speech in Paris\n"


def hand_built_world() -> dict[str, pl.DataFrame]:
    """Posts from three themes over two days, three known posts, comments, and two videos (one
    with captions); user OWNER owns posts 1-3 and video 1."""
    posts = [
        (pid, OWNER, text, SECOND_DAY + timedelta(minutes=pid))
        for pid, text in (POSITIVE_POST, NEGATIVE_POST)
    ]
    posts.append((SPANISH_POST[0], OWNER, SPANISH_POST[1], FIRST_DAY + timedelta(hours=3)))
    texts = [text for theme in THEMES.values() for text in theme]
    for i, text in enumerate(texts):
        day = FIRST_DAY if i % 2 else SECOND_DAY
        posts.append((100 + i, OTHER, text, day + timedelta(minutes=10 + i)))
    comments = [
        (1, OTHER, "post", 1, "Totally agree, the new release is great", SECOND_DAY + timedelta(minutes=30)),
        (2, OWNER, "post", 100, "Thanks for sharing the recipe!", FIRST_DAY + timedelta(hours=5)),
        (3, OTHER, "post", 2, "ok", SECOND_DAY + timedelta(minutes=31)),
    ]
    videos = [
        (1, OWNER, "Weekend vlog", "A walk around the city", 61.0, None, FIRST_DAY + timedelta(hours=6)),
        (2, OTHER, "Football skills tutorial", "Learn three dribbling moves", 300.0, None, SECOND_DAY),
    ]
    utc = pl.Datetime("us", "UTC")
    return {
        "posts": pl.DataFrame(
            posts,
            schema={"id": pl.Int64, "user_id": pl.Int64, "text": pl.String, "created_at": utc},
            orient="row",
        ),
        "comments": pl.DataFrame(
            comments,
            schema={
                "id": pl.Int64,
                "user_id": pl.Int64,
                "parent_type": pl.String,
                "parent_id": pl.Int64,
                "text": pl.String,
                "created_at": utc,
            },
            orient="row",
        ),
        "videos": pl.DataFrame(
            videos,
            schema={
                "id": pl.Int64,
                "user_id": pl.Int64,
                "title": pl.String,
                "description": pl.String,
                "duration_s": pl.Float64,
                "media_path": pl.String,
                "created_at": utc,
            },
            orient="row",
        ),
        "captions": pl.DataFrame(
            [(1, "en", CAPTIONS, "whisper-test", NOW)],
            schema={"video_id": pl.Int64, "language": pl.String, "webvtt": pl.String, "model": pl.String,
                    "created_at": utc},
            orient="row",
        ),
    }  # fmt: skip


def seed(db: Database) -> int:
    """Writes the world; returns how many items it holds."""
    world = hand_built_world()
    with db.begin() as conn:
        for name, frame in world.items():
            db.insert(schema.metadata.tables[f"ml.{name}" if name == "captions" else name], frame, conn)
    return sum(world[name].height for name in ("posts", "comments", "videos"))


def analyse_days(run_config: dict | None = None, instance: dg.DagsterInstance | None = None):
    return dg.materialize(
        [content_analysis],
        resources=defs.resources,
        instance=instance,
        run_config=run_config,
        tags={
            "dagster/asset_partition_range_start": FIRST_DAY.strftime(DAY),
            "dagster/asset_partition_range_end": SECOND_DAY.strftime(DAY),
        },
    )


def rows(db: Database, table: sa.Table) -> dict[tuple[str, int], dict]:
    with db.engine.connect() as conn:
        found = [dict(r._mapping) for r in conn.execute(sa.select(table))]
    return {(r["content_type"], int(r["content_id"])): r for r in found}


def decoded(value):
    return json.loads(value) if isinstance(value, str) else value


def check_results(result: dg.ExecuteInProcessResult) -> dict[str, bool]:
    return {e.check_name: e.passed for e in result.get_asset_check_evaluations()}


def test_features_embeddings_topics_on_every_store(any_db: Database) -> None:
    items = seed(any_db)
    result = analyse_days()
    assert result.success
    assert check_results(result) == {
        "sentiment_score_in_range": True,
        "every_item_analysed": True,
        "every_item_embedded": True,
        "embedding_dims_consistent": True,
    }
    features = rows(any_db, schema.content_features)
    embeddings = rows(any_db, schema.content_embeddings)
    assert len(features) == len(embeddings) == items

    positive, negative, spanish = (features[("post", pid)] for pid in (1, 2, 3))
    assert (positive["language"], positive["sentiment"]) == ("en", "positive")
    assert 0 < positive["sentiment_score"] <= 1
    assert {"python", "coding"} <= set(decoded(positive["tags"]))
    assert (negative["sentiment"], negative["sentiment_score"] < 0) == ("negative", True)
    assert (spanish["language"], spanish["sentiment"], spanish["sentiment_score"]) == ("es", None, None)
    assert str(spanish["created_date"]) == FIRST_DAY.strftime(DAY)
    video = features[("video", 1)]
    assert ("Barack Obama", "person") in {(e["text"], e["type"]) for e in decoded(video["entities"])}
    lasagna, goal = (decoded(features[("post", pid)]["categories"]) for pid in (101, 108))
    assert (lasagna[0]["name"], goal[0]["name"]) == ("food", "sports")
    assert all(0 < c["score"] <= 1 for c in lasagna + goal)
    assert all(decoded(row["topics"]) == [] for row in features.values())  # no topic model yet

    vectors = {key: vector_from_bytes(row["vector"], row["dim"]) for key, row in embeddings.items()}
    assert {(row["model"], row["dim"]) for row in embeddings.values()} == {
        ("sentence-transformers/all-MiniLM-L6-v2", 384)
    }
    assert all(abs(np.linalg.norm(v) - 1) < 1e-4 for v in vectors.values())
    # Decoded vectors mean something: a cooking post's nearest neighbour is another cooking post.
    keys = list(vectors)
    matrix = np.stack([vectors[k] for k in keys])
    similarity = matrix @ vectors[("post", 100)]
    similarity[keys.index(("post", 100))] = -1
    assert keys[int(np.argmax(similarity))] in {("post", 100 + i) for i in range(8)}

    # A re-run leaves the same rows (only analyzed_at moves).
    assert analyse_days().success
    again = rows(any_db, schema.content_features)
    assert {k: {c: v for c, v in r.items() if c != "analyzed_at"} for k, r in again.items()} == {
        k: {c: v for c, v in r.items() if c != "analyzed_at"} for k, r in features.items()
    }
    again_vectors = rows(any_db, schema.content_embeddings)
    assert again_vectors.keys() == embeddings.keys()
    assert all(
        np.allclose(vector_from_bytes(again_vectors[k]["vector"]), vectors[k], atol=1e-5) for k in keys
    )

    # Topics: fitted, published, written to ml.topics and the model_versions mirror.
    fitted = dg.materialize([topic_model], resources=defs.resources)
    assert fitted.success
    version = ModelStore(get_settings().model_dir).published_version(TOPIC_MODEL)
    assert version is not None
    with any_db.engine.connect() as conn:
        topics = conn.execute(sa.select(schema.topics).where(schema.topics.c.model_version == version)).all()
        mirrored = conn.execute(
            sa.select(schema.model_versions.c.status).where(schema.model_versions.c.version == version)
        ).scalar_one()
    assert len(topics) >= 2 and mirrored == "published"
    assert sum(t.size for t in topics) == items
    assert all(decoded(t.top_terms) and t.label for t in topics)
    metadata = fitted.asset_materializations_for_node("topic_model")[0].metadata
    assert metadata["reused_embeddings"].value == items
    assert "| id | label | size | top terms |" in metadata["topics"].value

    # A second pass assigns topic ids of the published version.
    assert analyse_days().success
    assigned = [decoded(r["topics"]) for r in rows(any_db, schema.content_features).values()]
    assert sum(bool(t) for t in assigned) >= items // 2
    assert {t["model_version"] for ts in assigned for t in ts} == {version}
    assert {t["id"] for ts in assigned for t in ts} <= {t.topic_id for t in topics}


def label_topics() -> dg.ExecuteInProcessResult:
    return dg.materialize(
        [content_topics],
        resources=defs.resources,
        tags={
            "dagster/asset_partition_range_start": FIRST_DAY.strftime(DAY),
            "dagster/asset_partition_range_end": SECOND_DAY.strftime(DAY),
        },
    )


def test_content_topics_label_items_as_a_second_analysis_would_and_its_check_fails_on_stale_topics(
    sqlite_db: Database,
) -> None:
    items = seed(sqlite_db)
    assert analyse_days().success
    skipped = label_topics()
    assert skipped.success and check_results(skipped) == {"topics_from_published_model": True}
    assert skipped.asset_materializations_for_node("content_topics")[0].metadata["status"].value == "skipped"

    assert dg.materialize([topic_model], resources=defs.resources).success
    labelled = label_topics()
    assert labelled.success and check_results(labelled) == {"topics_from_published_model": True}
    metadata = labelled.asset_materializations_for_node("content_topics")[0].metadata
    assert metadata["items"].value == items
    by_topics = {k: decoded(r["topics"]) for k, r in rows(sqlite_db, schema.content_features).items()}
    assert analyse_days().success  # a full analysis with the published model gives the same topics
    assert {k: decoded(r["topics"]) for k, r in rows(sqlite_db, schema.content_features).items()} == by_topics

    # An item whose embedding is gone cannot be re-labelled: its old topics make the check fail.
    stale = json.dumps([{"id": 0, "label": "old", "score": 1.0, "model_version": "an-old-version"}])
    features, embeddings = schema.content_features, schema.content_embeddings
    with sqlite_db.begin() as conn:
        conn.execute(
            embeddings.delete().where(embeddings.c.content_type == "post", embeddings.c.content_id == 1)
        )
        conn.execute(
            features.update()
            .where(features.c.content_type == "post", features.c.content_id == 1)
            .values(topics=stale)
        )
    failing = label_topics()
    assert failing.success  # a check, not the run, carries the finding
    assert check_results(failing) == {"topics_from_published_model": False}
    evaluation = failing.get_asset_check_evaluations()[0]
    assert evaluation.metadata["items_with_other_topics"].value == 1


def test_listed_ids_run_analyses_only_those_items(sqlite_db: Database) -> None:
    seed(sqlite_db)
    result = dg.materialize(
        [content_analysis],
        resources=defs.resources,
        partition_key=SECOND_DAY.strftime(DAY),
        run_config={"ops": {"content_analysis": {"config": {"posts": [1, 2], "comments": [3]}}}},
    )
    assert result.success
    assert all(check_results(result).values())
    assert set(rows(sqlite_db, schema.content_features)) == {("post", 1), ("post", 2), ("comment", 3)}
    assert set(rows(sqlite_db, schema.content_embeddings)) == {("post", 1), ("post", 2), ("comment", 3)}
    # "ok" is too short to tell the language; sentiment still has a score in range.
    short = rows(sqlite_db, schema.content_features)[("comment", 3)]
    assert short["language"] == "und" and -1 <= short["sentiment_score"] <= 1


def test_topic_model_skips_with_too_little_content(sqlite_db: Database) -> None:
    result = dg.materialize([topic_model], resources=defs.resources)
    assert result.success
    assert result.asset_materializations_for_node("topic_model")[0].metadata["status"].value == "skipped"
    assert ModelStore(get_settings().model_dir).published_version(TOPIC_MODEL) is None


def test_sensor_launches_content_runs_for_the_items_moderation_judged(sqlite_db: Database) -> None:
    seed(sqlite_db)
    instance = dg.DagsterInstance.ephemeral()
    context = dg.build_sensor_context(instance=instance, definitions=defs)
    first = content_after_moderation_sensor(context)
    assert not first.run_requests and first.cursor is not None

    day = SECOND_DAY.strftime(DAY)
    moderated = dg.materialize(
        [moderation_results],
        resources=defs.resources,
        instance=instance,
        partition_key=day,
        run_config={"ops": {"moderation_results": {"config": {"posts": [1, 2], "videos": [2]}}}},
    )
    assert moderated.success
    tick = content_after_moderation_sensor(dg.build_sensor_context(instance=instance, cursor=first.cursor))
    assert len(tick.run_requests) == 1
    request = tick.run_requests[0]
    assert request.partition_key == day
    assert request.run_key == f"content-{moderated.run_id}-{day}"
    assert request.run_config == {
        "ops": {"content_analysis": {"config": {"posts": [1, 2], "comments": [], "videos": [2]}}}
    }
    idle = content_after_moderation_sensor(dg.build_sensor_context(instance=instance, cursor=tick.cursor))
    assert not idle.run_requests

    analysed = defs.get_job_def("content_job").execute_in_process(
        instance=instance, partition_key=day, run_config=request.run_config
    )
    assert analysed.success
    assert set(rows(sqlite_db, schema.content_features)) == {("post", 1), ("post", 2), ("video", 2)}


def test_moderation_without_listed_ids_means_the_whole_partition() -> None:
    instance = dg.DagsterInstance.ephemeral()
    day = SECOND_DAY.strftime(DAY)
    instance.report_runless_asset_event(dg.AssetMaterialization("moderation_results", partition=day))
    records = instance.fetch_materializations(dg.AssetKey("moderation_results"), limit=10).records
    (request,) = plan_content_runs(instance, records)
    assert request.partition_key == day
    assert request.run_config == {"ops": {"content_analysis": {"config": {}}}}


def test_definitions_schedule_topics_and_plan_content_after_moderation() -> None:
    dg.Definitions.validate_loadable(defs)
    assert defs.get_schedule_def("topic_model_daily").cron_schedule == "30 2 * * *"
    sensor = defs.resolve_sensor_def("content_after_moderation_sensor")
    assert (sensor.job_name, sensor.minimum_interval_seconds) == ("content_job", 30)
    planned = [{k.to_user_string() for a in step.assets for k in a.keys} for step in MATERIALIZE_PLAN]
    analysis = {"content_features", "content_embeddings"}
    first = planned.index(analysis)
    assert planned.index({"moderation_results"}) < first < planned.index({"topic_model"})
    # Items get topic ids after the topic model, from their stored embeddings (no second analysis).
    assert planned.index({"topic_model"}) < planned.index({"content_topics"})
    assert planned.count(analysis) == 1
