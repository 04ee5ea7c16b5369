"""Materialize the content assets with Dagster on SQLite and on the real Postgres, over a small
hand-built world whose answers are known: features and decodable embeddings for every item, the
same rows after a re-run, topics written and then assigned, listed-id runs, and the order in which
the whole graph materializes."""

from __future__ import annotations

import json

import dagster as dg
import numpy as np
import sqlalchemy as sa

from socialflow_pipelines.cli.materialize import materialize_steps
from socialflow_pipelines.config import Settings
from socialflow_pipelines.definitions import defs
from socialflow_pipelines.defs.content.assets import content_analysis, content_topics, topic_model
from socialflow_pipelines.domains.content.service import TOPIC_MODEL
from socialflow_pipelines.ml.content import vector_from_bytes
from socialflow_pipelines.platform.db import schema
from socialflow_pipelines.platform.db.engine import Database
from socialflow_pipelines.platform.model_store import ModelStore
from tests.defs.content.world import DAY, FIRST_DAY, SECOND_DAY, decoded, rows, seed
from tests.defs.ranges import partition_range
from tests.domains.catalog.world import iid


def published_topic_model() -> str | None:
    """The topic model version published in the test's model directory (the resources' default)."""
    return ModelStore(Settings().model_dir).published_version(TOPIC_MODEL)


def analyse_days(run_config: dict | None = None, instance: dg.DagsterInstance | None = None):
    return dg.materialize(
        [content_analysis],
        resources=defs.resources,
        instance=instance,
        run_config=run_config,
        tags=partition_range(FIRST_DAY.strftime(DAY), SECOND_DAY.strftime(DAY)),
    )


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
    version = published_topic_model()
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
        tags=partition_range(FIRST_DAY.strftime(DAY), SECOND_DAY.strftime(DAY)),
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
            embeddings.delete().where(embeddings.c.content_type == "post", embeddings.c.content_id == iid(1))
        )
        conn.execute(
            features.update()
            .where(features.c.content_type == "post", features.c.content_id == iid(1))
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
        run_config={
            "ops": {"content_analysis": {"config": {"posts": [iid(1), iid(2)], "comments": [iid(3)]}}}
        },
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
    assert published_topic_model() is None


def test_definitions_schedule_topics_and_plan_content_after_moderation() -> None:
    dg.Definitions.validate_loadable(defs)
    assert defs.get_schedule_def("topic_model_daily").cron_schedule == "30 2 * * *"
    sensor = defs.resolve_sensor_def("content_after_moderation_sensor")
    assert (sensor.job_name, sensor.minimum_interval_seconds) == ("content_job", 30)
    # The order `socialflow materialize` runs the graph in: one pass, no asset twice.
    planned = [step.keys for step in materialize_steps()]
    order = [key for keys in planned for key in keys]
    analysis = {"content_features", "content_embeddings"}
    first = min(order.index(key) for key in analysis)
    assert order.index("moderation_results") < first < order.index("topic_model")
    # Items get topic ids after the topic model, from their stored embeddings (no second analysis).
    assert order.index("topic_model") < order.index("content_topics")
    assert sum(set(keys) >= analysis for keys in planned) == 1 and len(order) == len(set(order))
