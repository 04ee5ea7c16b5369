"""Decisions that mean what the thresholds say, out of the box: on a freshly seeded world every
text label has a trained model, ordinary greetings and everyday sentences are approved, and the
world's planted spam and abuse are caught (measured on items no reviewer has seen)."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import dagster as dg
import pytest
import sqlalchemy as sa

from socialflow_demo import WorldConfig, generate_world
from socialflow_demo.load import write_world
from socialflow_pipelines.config import Settings
from socialflow_pipelines.definitions import defs
from socialflow_pipelines.defs.moderation.assets import MODEL_ASSETS, moderation_results
from socialflow_pipelines.defs.resources import DatabaseResource, ModelStoreResource
from socialflow_pipelines.domains.moderation.runtime import ModerationRuntime
from socialflow_pipelines.ml.moderation import TEXT_LABELS
from socialflow_pipelines.platform.db import schema
from socialflow_pipelines.platform.db.engine import Database
from socialflow_pipelines.platform.db.migrate import upgrade
from socialflow_pipelines.platform.model_store import ModelStore
from tests.defs.ranges import partition_range

EVERYDAY = (Path(__file__).parents[2] / "data" / "everyday_posts.txt").read_text().splitlines()
NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)  # a fixed world: the figures below are its own


@pytest.fixture(scope="module")
def moderated_world(tmp_path_factory: pytest.TempPathFactory) -> tuple[Database, ModerationRuntime]:
    """A 1,000-user world, its models trained from its reviews, every item moderated."""
    root = tmp_path_factory.mktemp("calibration")
    settings = Settings(database_url=f"sqlite:///{root / 'world.db'}", model_dir=root / "models")
    upgrade(settings.database_url)
    db = Database(settings.database_url)
    write_world(db, generate_world(WorldConfig(users=1000, days=14), now=NOW))
    resources = {
        **defs.resources,
        "database": DatabaseResource(url=settings.database_url),
        "model_store": ModelStoreResource(root=str(settings.model_dir)),
    }
    instance = dg.DagsterInstance.ephemeral()
    assert dg.materialize(list(MODEL_ASSETS), resources=resources, instance=instance).success
    tags = partition_range((NOW - timedelta(days=14)).strftime("%Y-%m-%d"), NOW.strftime("%Y-%m-%d"))
    assert dg.materialize([moderation_results], resources=resources, instance=instance, tags=tags).success
    yield db, ModerationRuntime(settings, ModelStore(settings.model_dir))
    db.dispose()


def test_the_everyday_list_is_long_enough_to_mean_something() -> None:
    assert len(EVERYDAY) >= 50
    assert len(set(EVERYDAY)) == len(EVERYDAY)


def test_every_text_label_has_a_trained_model_from_the_first_run(moderated_world) -> None:
    _, runtime = moderated_world
    models = runtime.describe_models()
    for label in TEXT_LABELS:
        assert models[label].startswith(f"{label}_model "), models


def test_greetings_and_everyday_sentences_are_approved(moderated_world) -> None:
    _, runtime = moderated_world
    results = runtime.text_moderator().moderate_texts(EVERYDAY)
    held = {text: (r.decision.decision, r.scores) for text, r in zip(EVERYDAY, results, strict=True)}
    assert all(decision == "approved" for decision, _ in held.values()), {
        text: outcome for text, outcome in held.items() if outcome[0] != "approved"
    }


def test_obvious_spam_and_abuse_are_not_approved(moderated_world) -> None:
    _, runtime = moderated_world
    texts = ["WIN a FREE iPhone!!! click http://bit.ly/xyz now", "shut up you worthless idiot"]
    decisions = [r.decision.decision for r in runtime.text_moderator().moderate_texts(texts)]
    assert "approved" not in decisions, dict(zip(texts, decisions, strict=True))


def test_planted_spam_and_abuse_are_caught_and_clean_items_pass(moderated_world) -> None:
    db, _ = moderated_world
    truth, results = schema.demo_ground_truth, schema.moderation_results
    query = (
        sa.select(truth.c.is_spam, truth.c.is_toxic, truth.c.is_hate, results.c.decision)
        .select_from(
            truth.join(
                results,
                sa.and_(
                    results.c.content_type == truth.c.content_type, results.c.content_id == truth.c.content_id
                ),
            )
        )
        .where(results.c.human_reviewed.is_(False))  # what the models decided alone
    )
    with db.engine.connect() as conn:
        rows = conn.execute(query).all()
    caught = {}
    for name, column in (("spam", 0), ("toxic", 1), ("hate", 2)):
        decisions = Counter(row[3] for row in rows if row[column])
        caught[name] = 1 - decisions["approved"] / max(1, sum(decisions.values()))
    clean = Counter(row[3] for row in rows if not (row[0] or row[1] or row[2]))
    # This world gives spam 0.76, toxic 0.79, hate 0.89 caught and 99.9% of clean items approved.
    assert caught["spam"] >= 0.7, caught
    assert caught["toxic"] >= 0.7, caught
    assert caught["hate"] >= 0.8, caught
    assert clean["approved"] / sum(clean.values()) >= 0.995, clean
