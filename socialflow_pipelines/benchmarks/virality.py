"""`socialflow bench virality`: viral predictions per second, features included, for 100,000 items
an hour old, with the production model family trained on a synthetic sample; then the hourly
asset's work for as many young posts written to a fresh database (`predict_young`: reading the
items and their events, features, predictions, factors, and the transactional write).

The series are synthetic (cumulative counts every 20 minutes, each item growing at its own
log-normal rate, a tenth several times faster), drawn with numpy; speed depends on the number of
observations and items, not on what the trees learned.
"""

from __future__ import annotations

import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from socialflow_pipelines.ml import virality

STEP_MINUTES = 20


def synthetic_series(n_items: int, until_minutes: int, *, seed: int) -> pl.DataFrame:
    """(item_id, minutes, count) for `n_items`, every STEP_MINUTES up to `until_minutes`."""
    rng = np.random.default_rng(seed)
    steps = until_minutes // STEP_MINUTES
    fast = rng.random(n_items) < 0.1
    rate = np.where(fast, rng.lognormal(2.0, 0.4, n_items), rng.lognormal(-0.5, 0.8, n_items))
    increments = rng.poisson(rate[:, None] * STEP_MINUTES / 60, size=(n_items, steps))
    counts = increments.cumsum(axis=1)
    return pl.DataFrame(
        {
            "item_id": np.repeat(np.arange(n_items).astype(str), steps),
            "minutes": np.tile(np.arange(1, steps + 1) * STEP_MINUTES, n_items),
            "count": counts.ravel(),
        }
    )


def run_benchmark(
    *,
    progress: Callable[[str], None] | None = None,
    n_items: int = 100_000,
    n_train: int = 5_000,
    observe_minutes: int = 60,
    horizon_minutes: int = 48 * 60,
    seed: int = 0,
) -> dict[str, Any]:
    """Training seconds on `n_train` matured items, then features + predictions + factors for
    `n_items` items `observe_minutes` old, and the hourly run over as many stored posts;
    JSON-serialisable."""
    say = progress or (lambda _message: None)
    train = synthetic_series(n_train, horizon_minutes, seed=seed)
    outcomes = virality.outcomes(train, horizon_minutes)
    started = time.perf_counter()
    features = virality.series_features(train, outcomes["item_id"].to_list(), observe_minutes)
    model = virality.fit(features, outcomes["outcome"].to_numpy())
    train_seconds = time.perf_counter() - started
    say(f"trained on {n_train} items in {train_seconds:.1f} s")
    young = synthetic_series(n_items, observe_minutes, seed=seed + 1)
    items = young["item_id"].unique(maintain_order=True).to_list()
    started = time.perf_counter()
    frame = virality.series_features(young, items, observe_minutes)
    features_seconds = time.perf_counter() - started
    probability, _ = model.predict(frame)
    predict_seconds = time.perf_counter() - started - features_seconds
    contributions, _ = model.contributions(frame)
    total = time.perf_counter() - started
    say(f"{n_items} items: features {features_seconds:.2f} s, predictions {predict_seconds:.2f} s")
    hourly = hourly_run_seconds(model, young, observe_minutes, say=say)
    return {
        "items": n_items,
        "observations": young.height,
        "observe_minutes": observe_minutes,
        "train_items": n_train,
        "train_seconds": round(train_seconds, 2),
        "features_seconds": round(features_seconds, 3),
        "predict_seconds": round(predict_seconds, 3),
        "factors_seconds": round(total - features_seconds - predict_seconds, 3),
        "predictions_per_second": round(n_items / total),
        "predictions_per_second_without_factors": round(n_items / (features_seconds + predict_seconds)),
        "viral_share_predicted": round(float(np.mean(probability >= 0.5)), 4),
        "factor_columns": contributions.shape[1],
        **hourly,
    }


def hourly_run_seconds(
    model: virality.ViralityModel,
    series: pl.DataFrame,
    observe_minutes: int,
    *,
    say: Callable[[str], None],
) -> dict[str, Any]:
    """The hourly asset's service call (`predict_young`) over the `series` items written as posts
    `observe_minutes` old, with their engagement as events, into a temporary SQLite database."""
    from socialflow_pipelines.config import Settings
    from socialflow_pipelines.domains.virality.service import MODEL_NAME, ViralModels, predict_young
    from socialflow_pipelines.platform.db import schema
    from socialflow_pipelines.platform.db.engine import Database
    from socialflow_pipelines.platform.db.migrate import upgrade
    from socialflow_pipelines.platform.model_store import Gate, ModelStore

    with tempfile.TemporaryDirectory(prefix="socialflow-bench-virality-") as scratch:
        url = f"sqlite:///{Path(scratch) / 'bench.db'}"
        upgrade(url)
        db = Database(url)
        now = datetime.now(UTC).replace(microsecond=0)
        published = now - timedelta(minutes=observe_minutes)
        items = series["item_id"].unique(maintain_order=True)
        ids = {item: str(uuid.UUID(int=int(item) + 1)) for item in items}
        posts = pl.DataFrame(
            {
                "id": [ids[item] for item in items],
                "user_id": [str(uuid.UUID(int=10**9 + int(item) % 5_000)) for item in items],
                "text": "a post",
                "created_at": published,
            }
        )
        # One event per unit of count growth, at the observation it appeared by.
        grown = series.with_columns(
            (pl.col("count") - pl.col("count").shift(1, fill_value=0).over("item_id")).alias("new")
        ).filter(pl.col("new") > 0)
        events = (
            grown.select(
                pl.col("item_id").replace_strict(ids).alias("content_id"),
                (pl.lit(published) + pl.duration(minutes=pl.col("minutes"))).alias("created_at"),
                pl.col("new"),
            )
            .select(pl.all().repeat_by("new").explode())
            .drop("new")
        )
        events = events.with_columns(
            pl.lit(str(uuid.UUID(int=1))).alias("user_id"),
            pl.lit("post").alias("content_type"),
            pl.lit("view").alias("event_type"),
        )
        say(f"writing {posts.height} posts and {events.height} events")
        with db.begin() as conn:
            db.insert(schema.posts, posts, conn)
            db.insert(schema.engagement_events, events, conn)
        store = ModelStore(Path(scratch) / "models")
        artifact = ViralModels({"post": model}, {"post": {observe_minutes: 0.9}})
        store.publish_candidate(MODEL_NAME, artifact, metrics={"roc_auc": 0.9}, gate=Gate("roc_auc"))
        started = time.perf_counter()
        run = predict_young(Settings(), db, store, now)
        seconds = time.perf_counter() - started
        db.engine.dispose()
    written = sum(run.written.values())
    say(f"hourly run: {written} predictions written in {seconds:.1f} s")
    return {
        "hourly_run_items": written,
        "hourly_run_events": events.height,
        "hourly_run_seconds": round(seconds, 2),
        "hourly_run_database": "sqlite",
    }
