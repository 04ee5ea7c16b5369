"""Interaction data with planted interests, for tests and benchmarks (no real data ships with the code).

Each item has a topic and a creator and a Zipf-like popularity; each user likes one or two topics.
A user's engagements are drawn mostly from their topics (weighted by popularity) and partly from the
whole catalog, so a good model must learn the topics to beat a popularity ranking.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
import polars as pl

EVENT_TYPES = ("view", "like", "comment", "share")


@dataclass(frozen=True)
class PlantedInteractions:
    events: pl.DataFrame  # user_id, item_id, event_type, created_at
    item_topics: np.ndarray  # topic per item id (item ids are 0..n_items-1)
    item_creators: np.ndarray  # creator per item id
    user_topics: list[tuple[int, ...]]  # liked topics per user id


def planted_interactions(
    n_users: int = 600,
    n_items: int = 400,
    n_topics: int = 8,
    *,
    events_per_user: int = 30,
    on_topic_share: float = 0.85,
    n_creators: int | None = None,
    seed: int = 0,
    start: datetime = datetime(2024, 1, 1),
) -> PlantedInteractions:
    """Distinct (user, item) engagements with event types view > like > comment > share in frequency."""
    rng = np.random.default_rng(seed)
    item_topics = rng.integers(0, n_topics, n_items)
    item_creators = rng.integers(0, n_creators or max(1, n_items // 5), n_items)
    popularity = 1.0 / np.arange(1, n_items + 1) ** 0.8
    popularity = popularity[rng.permutation(n_items)]
    user_topics = [
        tuple(rng.choice(n_topics, size=int(rng.integers(1, 3)), replace=False)) for _ in range(n_users)
    ]
    users: list[np.ndarray] = []
    items: list[np.ndarray] = []
    for user, topics in enumerate(user_topics):
        affinity = np.where(
            np.isin(item_topics, topics), on_topic_share / max(1, np.isin(item_topics, topics).sum()), 0.0
        )
        affinity += (1 - on_topic_share) / n_items
        weights = affinity * popularity
        count = min(int(rng.poisson(events_per_user)) + 1, n_items)
        chosen = rng.choice(n_items, size=count, replace=False, p=weights / weights.sum())
        users.append(np.full(count, user))
        items.append(chosen)
    user_column = np.concatenate(users)
    seconds = rng.integers(0, 90 * 86_400, len(user_column))
    events = pl.DataFrame(
        {
            "user_id": user_column,
            "item_id": np.concatenate(items),
            "event_type": rng.choice(EVENT_TYPES, size=len(user_column), p=[0.6, 0.25, 0.1, 0.05]),
            "created_at": [start + timedelta(seconds=int(s)) for s in seconds],
        }
    )
    return PlantedInteractions(events, item_topics, item_creators, user_topics)
