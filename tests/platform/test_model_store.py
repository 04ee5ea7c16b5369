"""The one publication mechanism: save, gate against the published version, publish, mirror; and the
one cache of published models."""

from __future__ import annotations

import json

import sqlalchemy as sa

from socialflow_pipelines.platform.db import schema
from socialflow_pipelines.platform.db.engine import Database
from socialflow_pipelines.platform.model_store import Gate, ModelStore

GATE = Gate("pr_auc", tolerance=0.02)


def mirrored(db: Database, name: str) -> dict[str, str]:
    table = schema.model_versions
    with db.engine.connect() as conn:
        rows = conn.execute(sa.select(table.c.version, table.c.status).where(table.c.name == name))
        return {row.version: row.status for row in rows}


def test_first_candidate_is_published_and_mirrored(tmp_path, sqlite_db: Database) -> None:
    store = ModelStore(tmp_path / "models")
    publication = store.publish_candidate(
        "spam_model", {"w": 1}, metrics={"pr_auc": 0.8}, params={"c": 1}, gate=GATE, mirror_to=sqlite_db
    )
    assert publication.published and publication.status == "published"
    assert publication.previous is None
    assert store.published_version("spam_model") == publication.candidate.version
    assert publication.gate_facts() == {
        "candidate": publication.candidate.version,
        "published": "none",
        "candidate_pr_auc": 0.8,
        "published_pr_auc": None,
        "tolerance": 0.02,
    }
    assert mirrored(sqlite_db, "spam_model") == {publication.candidate.version: "published"}


def test_a_worse_candidate_is_refused_and_a_better_one_retires_the_published(
    tmp_path, sqlite_db: Database
) -> None:
    store = ModelStore(tmp_path / "models")
    first = store.publish_candidate("m", {"v": 1}, metrics={"pr_auc": 0.8}, gate=GATE, mirror_to=sqlite_db)
    worse = store.publish_candidate("m", {"v": 2}, metrics={"pr_auc": 0.7}, gate=GATE, mirror_to=sqlite_db)
    assert not worse.published and worse.status == "rejected"
    assert worse.published_version == first.candidate.version
    assert store.published_version("m") == first.candidate.version
    within_noise = store.publish_candidate(
        "m", {"v": 3}, metrics={"pr_auc": 0.79}, gate=GATE, mirror_to=sqlite_db
    )
    assert within_noise.published
    assert mirrored(sqlite_db, "m") == {
        first.candidate.version: "retired",
        worse.candidate.version: "rejected",
        within_noise.candidate.version: "published",
    }
    stored = json.loads(ModelStore(tmp_path / "models").describe("m").path.joinpath("meta.json").read_text())
    assert stored["metrics"] == {"pr_auc": 0.79}


def test_a_gate_without_metric_always_publishes(tmp_path) -> None:
    store = ModelStore(tmp_path / "models")
    store.publish_candidate("topics", [1], metrics={"n": 10}, gate=Gate(None))
    second = store.publish_candidate("topics", [2], metrics={"n": 1}, gate=Gate(None))
    assert second.published and second.gate_facts().keys() == {"candidate", "published"}


def test_a_candidate_missing_the_gate_metric_is_refused(tmp_path) -> None:
    store = ModelStore(tmp_path / "models")
    store.publish_candidate("m", [1], metrics={"pr_auc": 0.5}, gate=GATE)
    assert not store.publish_candidate("m", [2], metrics={}, gate=GATE).published


def test_load_published_loads_each_version_once(tmp_path) -> None:
    store = ModelStore(tmp_path / "models")
    assert store.load_published("m") is None
    store.publish_candidate("m", {"v": 1}, metrics={}, gate=Gate(None))
    model, version = store.load_published("m")
    assert model == {"v": 1}
    # Another store on the same directory (another resource, the API) shares the loaded object.
    assert ModelStore(tmp_path / "models").load_published("m")[0] is model
    store.publish_candidate("m", {"v": 2}, metrics={}, gate=Gate(None))
    newer, newer_version = store.load_published("m")
    assert newer == {"v": 2} and newer_version.version != version.version


def test_saving_the_same_model_twice_in_a_second_gives_the_same_version(tmp_path, monkeypatch) -> None:
    """The version id is the second plus the content hash: a second save of the same artifact
    within that second (two runs that trained the same model) is that version, not an error."""
    from datetime import UTC, datetime

    from socialflow_pipelines.platform import model_store

    class FrozenClock(datetime):
        @classmethod
        def now(cls, tz: object = None) -> datetime:
            return datetime(2026, 12, 6, 22, 53, 25, tzinfo=UTC)

    monkeypatch.setattr(model_store, "datetime", FrozenClock)
    store = ModelStore(tmp_path)
    first = store.save("m", {"weights": [1, 2, 3]}, metrics={"pr_auc": 0.9})
    again = store.save("m", {"weights": [1, 2, 3]}, metrics={"pr_auc": 0.8})
    assert again.version == first.version and again.path == first.path
    assert again.metrics == {"pr_auc": 0.9}, "the version as first saved"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == [], "no staging left"
