"""Small synthetic inputs of production shape for the benchmarks and the tests, where a whole world
would be too slow or too loose: engagement events, short posts, interactions with planted
interests, consumption matrices and video frames. Each is deterministic in its seed.

Popularity is Zipf-like everywhere (`zipf_popularity`), the event types are the app's own
(`EVENT_TYPES`), and the posts come from the fixed lists in `vocabulary` (BENCH_*), so a benchmark
measures the same workload from one release to the next.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
import polars as pl
import scipy.sparse as sp

from socialflow_demo import vocabulary as vocab
from socialflow_demo.ids import with_backend_ids
from socialflow_demo.tables import EVENT_TYPES

# Share of each event type in the trending benchmark's stream: mostly views.
EVENT_MIX = dict(zip(EVENT_TYPES, (0.85, 0.09, 0.035, 0.025), strict=True))
# Per moderation label: the posts that are positive, and the pools the negatives come from.
MODERATION_LABEL_POOLS: dict[str, tuple[tuple[str, ...], list[tuple[str, ...]]]] = {
    "spam": (vocab.BENCH_SPAM, [vocab.BENCH_EVERYDAY, vocab.BENCH_ABUSIVE, vocab.BENCH_HATEFUL]),
    "toxicity": (vocab.BENCH_ABUSIVE + vocab.BENCH_HATEFUL, [vocab.BENCH_EVERYDAY, vocab.BENCH_SPAM]),
    "hate_speech": (vocab.BENCH_HATEFUL, [vocab.BENCH_EVERYDAY, vocab.BENCH_SPAM, vocab.BENCH_ABUSIVE]),
}


def zipf_popularity(n_items: int, exponent: float) -> np.ndarray:
    """Unnormalised item weights 1 / rank^exponent: a few items draw most of the engagement."""
    return 1.0 / np.arange(1, n_items + 1) ** exponent


def engagement_events(
    n_events: int, n_items: int, now: datetime, days: int = 30, seed: int = 0
) -> pl.DataFrame:
    """Zipf-popular items, events spread over `days`, a slice of items accelerating in the last hours.

    Columns as `ml.trending.aggregate_hourly` takes them (content_type, content_id, event_type,
    created_at), categoricals where the app's values repeat, UUID item ids as the app's.
    """
    rng = np.random.default_rng(seed)
    popularity = zipf_popularity(n_items, 0.9)
    item = rng.choice(n_items, size=n_events, p=popularity / popularity.sum())
    age_s = rng.uniform(0, days * 86_400, size=n_events)
    hot = item % 997 == 0  # ~0.1% of items accelerate: their events crowd into the last 6 hours
    age_s[hot] = rng.exponential(6 * 3600, size=int(hot.sum())).clip(0, days * 86_400)
    created = np.datetime64(now.replace(tzinfo=None), "us") - (age_s * 1e6).astype("timedelta64[us]")
    events = pl.DataFrame(
        {
            "content_type": pl.Series(np.where(item % 2 == 0, "video", "post"), dtype=pl.Categorical),
            "content_id": item.astype(np.int64),
            "event_type": pl.Series(
                rng.choice(list(EVENT_MIX), size=n_events, p=list(EVENT_MIX.values())), dtype=pl.Categorical
            ),
            "created_at": pl.Series(created).dt.replace_time_zone("UTC"),
        }
    )
    return with_backend_ids("engagement_events", events, "uuid")


def _decorated(rng: random.Random, body: str, extras: tuple[str, ...]) -> str:
    """A post's body with two draws of extras after it (often empty: a hashtag, a mention, emoji)."""
    return body + rng.choice(extras) + rng.choice(extras)


def _analysis_body(rng: random.Random) -> str:
    if rng.random() < 0.2:
        return rng.choice(vocab.BENCH_FOREIGN)
    opener = rng.choice(vocab.BENCH_OPENERS).format(s=rng.choice(vocab.BENCH_SUBJECTS))
    return opener + rng.choice(vocab.BENCH_FOLLOWUPS)


def analysis_posts(n: int, seed: int = 7) -> list[str]:
    """Typical short social posts: one or two sentences, hashtags, mentions, links, emoji, a fifth
    not in English (the content analysis benchmark's default corpus)."""
    rng = random.Random(seed)
    return [_decorated(rng, _analysis_body(rng), vocab.BENCH_ANALYSIS_EXTRAS) for _ in range(n)]


def moderation_posts(n: int, *, seed: int = 0) -> list[str]:
    """Short posts, mostly everyday, with a few spam, abusive and hateful ones mixed in."""
    rng = random.Random(seed)
    pools = [vocab.BENCH_EVERYDAY] * 17 + [vocab.BENCH_SPAM, vocab.BENCH_ABUSIVE, vocab.BENCH_HATEFUL]
    return [_decorated(rng, rng.choice(rng.choice(pools)), vocab.BENCH_MODERATION_EXTRAS) for _ in range(n)]


def labeled_posts(label: str, n: int, seed: int) -> tuple[list[str], list[int]]:
    """`n` posts labeled for one moderation label (see MODERATION_LABEL_POOLS), a quarter positive."""
    positive, negative = MODERATION_LABEL_POOLS[label]
    rng = random.Random(seed)
    texts, labels = [], []
    for i in range(n):
        is_positive = i % 4 == 0
        pool = positive if is_positive else rng.choice(negative)
        texts.append(_decorated(rng, rng.choice(pool), vocab.BENCH_MODERATION_EXTRAS))
        labels.append(int(is_positive))
    return texts, labels


def noise_frames(
    count: int, rng: np.random.Generator, height: int = 360, width: int = 640
) -> list[np.ndarray]:
    """Random RGB frames: what a frame model's speed depends on is their size, not their content."""
    return [rng.integers(0, 256, size=(height, width, 3), dtype=np.uint8) for _ in range(count)]


def zipf_consumption(n_users: int, n_items: int, per_user: int, rng: np.random.Generator) -> sp.csr_matrix:
    """Per user `per_user` distinct-ish items, popular items more likely (Zipf-like), as a 0/1 matrix."""
    rows = np.repeat(np.arange(n_users), per_user)
    popularity = zipf_popularity(n_items, 0.8)
    cols = rng.choice(n_items, size=len(rows), p=popularity / popularity.sum())
    matrix = sp.csr_matrix((np.ones(len(rows), np.float32), (rows, cols)), shape=(n_users, n_items))
    matrix.sum_duplicates()
    return matrix


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
    """Distinct (user, item) engagements with planted interests, event types view > like > comment >
    share in frequency.

    Each item has a topic, a creator and a Zipf-like popularity; each user likes one or two topics.
    A user's engagements are drawn mostly from their topics (weighted by popularity) and partly from
    the whole catalog, so a good recommender must learn the topics to beat a popularity ranking.
    """
    rng = np.random.default_rng(seed)
    item_topics = rng.integers(0, n_topics, n_items)
    item_creators = rng.integers(0, n_creators or max(1, n_items // 5), n_items)
    popularity = zipf_popularity(n_items, 0.8)[rng.permutation(n_items)]
    user_topics = [
        tuple(rng.choice(n_topics, size=int(rng.integers(1, 3)), replace=False)) for _ in range(n_users)
    ]
    users: list[np.ndarray] = []
    items: list[np.ndarray] = []
    for user, topics in enumerate(user_topics):
        on_topic = np.isin(item_topics, topics)
        affinity = np.where(on_topic, on_topic_share / max(1, on_topic.sum()), 0.0)
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
