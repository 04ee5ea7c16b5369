"""`socialflow bench virality`: viral predictions per second, features included, for 100,000 items
an hour old, with the production model family trained on a synthetic sample.

The series are synthetic (cumulative counts every 20 minutes, each item growing at its own
log-normal rate, a tenth several times faster), drawn with numpy; speed depends on the number of
observations and items, not on what the trees learned.
"""

from __future__ import annotations

import time
from collections.abc import Callable
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
    `n_items` items `observe_minutes` old; JSON-serialisable."""
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
    }
