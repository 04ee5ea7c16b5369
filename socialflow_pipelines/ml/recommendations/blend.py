"""The hybrid blend: rank-normalised strategy scores, weighted and summed, then a creator-diversity cap.

Raw scores of different strategies live on unrelated scales (a dot product, a cosine, a trending
velocity), so each strategy's list is turned into ranks first: position r of L scores 1 - r/L, absent
scores 0. The blended score is the weighted sum; each item keeps its per-strategy contributions
("sources") so the API and the UI can say why it was recommended.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import polars as pl
import scipy.sparse as sp

from socialflow_pipelines.ml.recommendations.collaborative import Collaborative, Factors, collaborative_top_k
from socialflow_pipelines.ml.recommendations.ranking import TopK
from socialflow_pipelines.ml.recommendations.strategies import (
    content_candidates,
    trending_candidates,
)

DEFAULT_WEIGHTS: Mapping[str, float] = {"collaborative": 0.4, "content": 0.4, "trending": 0.2}


@dataclass(frozen=True)
class Recommendations:
    """Per user row: item columns best first (-1 pads), blended scores, and per-strategy contributions."""

    items: np.ndarray  # int64 [n_users, k]
    scores: np.ndarray  # float32 [n_users, k]
    sources: dict[str, np.ndarray]  # strategy → float32 [n_users, k]


def rank_normalise(found: TopK) -> np.ndarray:
    """1 - r/L for the item at position r of a list of L candidates; 0 where there is no candidate."""
    width = found.items.shape[1]
    ranks = 1.0 - np.arange(width, dtype=np.float32) / max(width, 1)
    return np.where(found.items >= 0, ranks, 0.0).astype(np.float32)


def blend(
    candidates: Mapping[str, TopK],
    k: int,
    *,
    weights: Mapping[str, float] = DEFAULT_WEIGHTS,
    creators: np.ndarray | None = None,
    max_per_creator: int | None = 2,
    window: int = 10,
) -> Recommendations:
    """Blend the strategies' lists into the best `k` per user.

    Strategies missing from `weights` or weighted 0 are ignored. With `creators` (an integer code of
    the creator per item column, -1 unknown), no creator has more than `max_per_creator` items in
    any `window` consecutive positions: a page of ten is never one creator's.
    """
    names = [name for name in candidates if weights.get(name, 0.0) > 0]
    if not names:
        raise ValueError(f"no strategy with a positive weight among {sorted(candidates)}")
    items = np.hstack([candidates[name].items for name in names])
    n_users, width = items.shape
    contributions = np.zeros((len(names), n_users, width), np.float32)
    offset = 0
    for position, name in enumerate(names):
        span = candidates[name].items.shape[1]
        contributions[position, :, offset : offset + span] = weights[name] * rank_normalise(candidates[name])
        offset += span

    # Merge duplicates per row: sort each row by item, sum contributions over runs of equal items.
    sentinel = np.iinfo(np.int64).max
    keyed = np.where(items >= 0, items, sentinel)
    order = np.argsort(keyed, axis=1, kind="stable")
    keyed = np.take_along_axis(keyed, order, axis=1)
    contributions = np.take_along_axis(contributions, order[None], axis=2)
    starts_mask = np.ones_like(keyed, dtype=bool)
    starts_mask[:, 1:] = keyed[:, 1:] != keyed[:, :-1]
    flat_starts = np.flatnonzero(starts_mask)
    run_items = keyed.ravel()[flat_starts]
    run_rows = flat_starts // width
    run_sums = np.add.reduceat(contributions.reshape(len(names), -1), flat_starts, axis=1)
    run_position = np.arange(len(flat_starts)) - np.searchsorted(run_rows, run_rows)
    real = run_items != sentinel
    merged_items = np.full((n_users, width), -1, np.int64)
    merged_sources = np.zeros((len(names), n_users, width), np.float32)
    merged_items[run_rows[real], run_position[real]] = run_items[real]
    merged_sources[:, run_rows[real], run_position[real]] = run_sums[:, real]
    totals = np.where(merged_items >= 0, merged_sources.sum(axis=0), -np.inf)

    ranked = np.argsort(-totals, axis=1, kind="stable")
    merged_items = np.take_along_axis(merged_items, ranked, axis=1)
    merged_sources = np.take_along_axis(merged_sources, ranked[None], axis=2)
    if creators is not None and max_per_creator is not None:
        picks = _diversify(merged_items, np.asarray(creators), k, max_per_creator, window)
    else:
        picks = np.broadcast_to(np.arange(min(k, width)), (n_users, min(k, width))).copy()
    picks = np.pad(picks, ((0, 0), (0, k - picks.shape[1])), constant_values=-1)
    valid = picks >= 0
    safe = np.maximum(picks, 0)
    final_items = np.where(valid, np.take_along_axis(merged_items, safe, axis=1), -1)
    valid &= final_items >= 0
    final_sources = {
        name: np.where(valid, np.take_along_axis(merged_sources[i], safe, axis=1), 0.0).astype(np.float32)
        for i, name in enumerate(names)
    }
    final_scores = np.where(valid, sum(final_sources.values()), -np.inf).astype(np.float32)
    return Recommendations(np.where(valid, final_items, -1), final_scores, final_sources)


def _diversify(items: np.ndarray, creators: np.ndarray, k: int, cap: int, window: int) -> np.ndarray:
    """Positions into each row of `items` (best first) to keep: the first k when no creator exceeds the
    cap anywhere in them, else a greedy pass that takes the best candidate whose creator has fewer than
    `cap` items among the previous `window - 1` picks."""
    head = min(k, items.shape[1])
    owner = np.where(items >= 0, creators[np.maximum(items, 0)], -1)
    picks = np.broadcast_to(np.arange(head), (len(items), head)).copy()
    if head <= cap:
        return picks
    leading = np.sort(owner[:, :head], axis=1)
    crowded = np.any((leading[:, cap:] == leading[:, :-cap]) & (leading[:, cap:] >= 0), axis=1)
    for row in np.flatnonzero(crowded):
        picks[row] = _greedy_row(owner[row], items[row] >= 0, head, cap, window)
    return picks


def _greedy_row(owner: np.ndarray, present: np.ndarray, k: int, cap: int, window: int) -> np.ndarray:
    remaining = [int(i) for i in np.flatnonzero(present)]
    chosen: list[int] = []
    while len(chosen) < k and remaining:
        recent = [owner[i] for i in chosen[-(window - 1) :]] if window > 1 else []
        for position, candidate in enumerate(remaining):
            creator = owner[candidate]
            if creator < 0 or recent.count(creator) < cap:
                chosen.append(remaining.pop(position))
                break
        else:
            break  # every remaining candidate would crowd the page: a shorter list beats a broken rule
    return np.asarray(chosen + [-1] * (k - len(chosen)), dtype=np.int64)


def recommend_items(
    k: int,
    *,
    n_users: int,
    collaborative: Factors | Collaborative | None = None,
    content: tuple[np.ndarray, np.ndarray] | None = None,
    trending_scores: np.ndarray | None = None,
    exclude: sp.spmatrix | None = None,
    eligible_items: np.ndarray | None = None,
    creators: np.ndarray | None = None,
    weights: Mapping[str, float] = DEFAULT_WEIGHTS,
    candidates_per_strategy: int | None = None,
    max_per_creator: int | None = 2,
    window: int = 10,
    num_threads: int = 2,
) -> Recommendations:
    """Everything the hourly job and the API's cold-start path need, for `n_users` user rows.

    `collaborative` = (user vectors, item vectors, item biases) from `HybridRecommender`, or a
    `Collaborative` (EASE or the LightFM/EASE blend, as `recommendation_model` chose); `content` =
    (user profiles, item embeddings); `trending_scores` per item (NaN: not trending). Each is optional:
    a cold-start user simply has no collaborative/content candidates and gets trending (and content
    from features when the model placed them). `exclude` rows align with the users; it should hold
    their own, consumed, rejected and explicitly excluded items.
    """
    width = candidates_per_strategy or k + k // 2
    found: dict[str, TopK] = {}
    if collaborative is not None and weights.get("collaborative", 0) > 0:
        if not isinstance(collaborative, Collaborative):
            collaborative = Collaborative(factors=collaborative)
        found["collaborative"] = collaborative_top_k(
            collaborative, width, exclude=exclude, eligible_items=eligible_items, num_threads=num_threads
        )
    if content is not None and weights.get("content", 0) > 0:
        profiles, embeddings = content
        found["content"] = content_candidates(
            profiles,
            embeddings,
            width,
            exclude=exclude,
            eligible_items=eligible_items,
            num_threads=num_threads,
        )
    if trending_scores is not None and weights.get("trending", 0) > 0:
        found["trending"] = trending_candidates(
            trending_scores, n_users, width, exclude=exclude, eligible_items=eligible_items
        )
    return blend(found, k, weights=weights, creators=creators, max_per_creator=max_per_creator, window=window)


def recommendations_frame(
    recommendations: Recommendations, user_ids: Sequence[Hashable], item_ids: Sequence[Hashable]
) -> pl.DataFrame:
    """Long rows (user_id, rank from 1, item_id, score, sources as a struct) for the results store;
    `item_ids[c]` names item column c, `user_ids[r]` user row r."""
    rows, positions = np.nonzero(recommendations.items >= 0)
    columns = recommendations.items[rows, positions]
    item_lookup = np.asarray(item_ids, dtype=object)
    user_lookup = np.asarray(user_ids, dtype=object)
    return pl.DataFrame(
        {
            "user_id": user_lookup[rows].tolist(),
            "rank": (positions + 1).astype(np.int32),
            "item_id": item_lookup[columns].tolist(),
            "score": recommendations.scores[rows, positions].astype(np.float64),
            "sources": pl.DataFrame(
                {
                    name: values[rows, positions].astype(np.float64)
                    for name, values in recommendations.sources.items()
                }
            ).to_struct("sources"),
        }
    )
