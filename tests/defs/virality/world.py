"""The viral tests' world: a seeded demo world with planted bursts, and a model of the
production family trained on synthetic series, published as the pipeline publishes it (for
tests that need a model without training on the world)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl

from socialflow_demo import WorldConfig, generate_world
from socialflow_demo.load import write_world
from socialflow_pipelines.benchmarks.virality import synthetic_series
from socialflow_pipelines.domains.virality.service import MODEL_NAME, ViralModels
from socialflow_pipelines.ml import virality
from socialflow_pipelines.platform.db import schema
from socialflow_pipelines.platform.db.engine import Database
from socialflow_pipelines.platform.model_store import Gate, ModelStore

NOW = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
PLANTED = 5


def seed(db: Database) -> list[str]:
    """A demo world of 8 days, and PLANTED posts of the last day given a burst of engagement in
    their first hour (what going viral looks like early); their ids."""
    world = generate_world(WorldConfig(users=300, days=8, id_type=db.id_type), now=NOW)
    write_world(db, world)
    young = world["posts"].filter(pl.col("created_at") > NOW - timedelta(hours=20)).sort("created_at")
    planted = young.head(PLANTED)
    users = world["users"]["id"].to_list()
    rows = [
        {
            "user_id": users[i % len(users)],
            "content_type": "post",
            "content_id": post["id"],
            # Mostly views, as the demo's own bursts are, with likes and shares among them.
            "event_type": ("view", "view", "view", "like", "share")[i % 5],
            "created_at": post["created_at"] + timedelta(minutes=1 + i % 55),
        }
        for post in planted.iter_rows(named=True)
        for i in range(150)
    ]
    with db.begin() as conn:
        conn.execute(schema.engagement_events.insert(), rows)
    return planted["id"].to_list()


def publish_synthetic_model(model_dir: Path | str) -> str:
    """A viral model for videos and posts trained on synthetic series seen at 60 minutes,
    published in the model store at `model_dir`; its version."""
    series = synthetic_series(400, 48 * 60, seed=3)
    outcomes = virality.outcomes(series, 48 * 60)
    features = virality.series_features(series, outcomes["item_id"].to_list(), 60)
    model = virality.fit(features, outcomes["outcome"].to_numpy(), folds=3)
    artifact = ViralModels({"video": model, "post": model}, {"video": {60: 0.9}, "post": {60: 0.9}})
    published = ModelStore(model_dir).publish_candidate(
        MODEL_NAME, artifact, metrics={"roc_auc": 0.9}, gate=Gate("roc_auc")
    )
    return published.candidate.version
