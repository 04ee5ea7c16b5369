"""`socialflow bench recommendations`: scoring throughput, training time per epoch, the hourly job.

Synthetic inputs of production shape (random factors; Zipf-skewed interactions from
socialflow_demo's `zipf_consumption`): speed does not depend on what the vectors mean. Sizes are
options so a smaller machine can run a smaller bench.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable
from typing import Any

import numpy as np

from socialflow_demo.samples import zipf_consumption
from socialflow_pipelines.ml.recommendations import HybridRecommender, IdIndex, recommend_items, top_k


def run_benchmark(
    *,
    progress: Callable[[str], None] | None = None,
    n_items: int = 100_000,
    factors: int = 64,
    k: int = 100,
    scored_users: int = 20_000,
    consumed_per_user: int = 50,
    train_interactions: int = 1_000_000,
    train_epochs: int = 2,
    hourly_users: int = 100_000,
    content_dim: int = 64,
    num_threads: int = 2,
    seed: int = 0,
) -> dict[str, Any]:
    """Three figures: users/s for top-k over the catalog (exclusions applied), LightFM WARP seconds per
    epoch on `train_interactions`, and the wall time of the hourly scoring + blend for `hourly_users`
    (collaborative, content and trending candidates, rank-normalised blend, creator-diversity cap)."""
    say = progress or (lambda message: None)
    rng = np.random.default_rng(seed)
    item_vectors = rng.standard_normal((n_items, factors), dtype=np.float32)
    item_bias = rng.standard_normal(n_items, dtype=np.float32)
    result: dict[str, Any] = {
        "cpu_count": os.cpu_count(),
        "n_items": n_items,
        "factors": factors,
        "k": k,
        "num_threads": num_threads,
    }

    say(f"scoring top-{k} for {scored_users} users over {n_items} items")
    user_vectors = rng.standard_normal((scored_users, factors), dtype=np.float32)
    exclude = zipf_consumption(scored_users, n_items, consumed_per_user, rng)
    top_k(
        user_vectors[:512],
        item_vectors,
        k,
        item_bias=item_bias,
        exclude=exclude[:512],
        num_threads=num_threads,
    )
    started = time.perf_counter()
    top_k(user_vectors, item_vectors, k, item_bias=item_bias, exclude=exclude, num_threads=num_threads)
    result["scoring_users_per_s"] = round(scored_users / (time.perf_counter() - started), 1)

    say(f"training LightFM WARP on {train_interactions} interactions, {train_epochs} epochs")
    n_train_users, n_train_items = train_interactions // 20, min(n_items, 50_000)
    interactions = zipf_consumption(n_train_users, n_train_items, 20, rng)
    model = HybridRecommender(no_components=factors)
    # Backend ids are UUID text; zero-padded, they sort in row order, so row r is the r-th id.
    users_index, items_index = IdIndex(_uuids(n_train_users)), IdIndex(_uuids(n_train_items))
    started = time.perf_counter()
    model.fit(interactions, users_index, items_index, epochs=train_epochs, num_threads=num_threads)
    result["train_interactions"] = int(interactions.nnz)
    result["train_seconds_per_epoch"] = round((time.perf_counter() - started) / train_epochs, 2)

    say(f"hourly job: {hourly_users} users, collaborative + content + trending, blend, diversity")
    users = rng.standard_normal((hourly_users, factors), dtype=np.float32)
    consumed = zipf_consumption(hourly_users, n_items, consumed_per_user, rng)
    item_embeddings = rng.standard_normal((n_items, content_dim), dtype=np.float32)
    profiles = rng.standard_normal((hourly_users, content_dim), dtype=np.float32)
    trending = np.where(rng.random(n_items) < 0.05, rng.random(n_items), np.nan)
    creators = rng.integers(0, n_items // 20, n_items)
    started = time.perf_counter()
    recommendations = recommend_items(
        k,
        n_users=hourly_users,
        collaborative=(users, item_vectors, item_bias),
        content=(profiles, item_embeddings),
        trending_scores=trending,
        exclude=consumed,
        creators=creators,
        num_threads=num_threads,
    )
    result["hourly_job_users"] = hourly_users
    result["hourly_job_seconds"] = round(time.perf_counter() - started, 1)
    result["hourly_job_content_dim"] = content_dim
    result["hourly_job_full_lists_share"] = round(float(np.mean(recommendations.items[:, -1] >= 0)), 4)
    # Other work on the same cores slows every figure above; the load says how much to trust them.
    result["load_average_1m"] = round(os.getloadavg()[0], 2)
    return result


def _uuids(count: int) -> list[str]:
    return [str(uuid.UUID(int=n)) for n in range(count)]
