"""Candidate generators: collaborative (model vectors), content-based (embedding profiles), trending,
and accounts to follow. Each returns a `TopK` per user; `blend` combines them."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from socialflow_pipelines.ml.recommendations.ranking import TopK, sparse_top_k, top_k


def normalize_rows(vectors: np.ndarray) -> np.ndarray:
    """L2-normalised float32 rows; zero rows stay zero (no signal rather than NaN)."""
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return np.divide(vectors, norms, out=np.zeros_like(vectors), where=norms > 0)


def content_profiles(interactions: sp.spmatrix, item_embeddings: np.ndarray) -> np.ndarray:
    """Per user, the interaction-weighted mean of the L2-normalised embeddings of the items they engaged
    with; users with no engagement on embedded items get a zero profile (no content signal).

    Items without an embedding should be zero rows in `item_embeddings`: they then add nothing.
    """
    embedded = normalize_rows(item_embeddings)
    weights = sp.csr_matrix(interactions, dtype=np.float32)
    has_embedding = (np.abs(embedded).sum(axis=1) > 0).astype(np.float32)
    totals = np.asarray(weights @ has_embedding).ravel()
    profiles = np.asarray(weights @ embedded, dtype=np.float32)
    return np.divide(profiles, totals[:, None], out=np.zeros_like(profiles), where=totals[:, None] > 0)


def collaborative_candidates(
    user_vectors: np.ndarray,
    item_vectors: np.ndarray,
    item_bias: np.ndarray,
    k: int,
    *,
    exclude: sp.spmatrix | None = None,
    eligible_items: np.ndarray | None = None,
    num_threads: int = 2,
) -> TopK:
    """The model's top `k` per user; users whose vector is all zeros (unknown to the model, no
    features) get no candidates rather than the same bias-only list everyone else's falls back to."""
    found = top_k(
        user_vectors,
        item_vectors,
        k,
        item_bias=item_bias,
        exclude=exclude,
        eligible_items=eligible_items,
        num_threads=num_threads,
    )
    return _without_rows(found, ~np.any(user_vectors != 0, axis=1))


def content_candidates(
    profiles: np.ndarray,
    item_embeddings: np.ndarray,
    k: int,
    *,
    exclude: sp.spmatrix | None = None,
    eligible_items: np.ndarray | None = None,
    num_threads: int = 2,
) -> TopK:
    """Nearest items to each user's profile by cosine (dot product of normalised vectors)."""
    found = top_k(
        profiles,
        normalize_rows(item_embeddings),
        k,
        exclude=exclude,
        eligible_items=eligible_items,
        num_threads=num_threads,
    )
    return _without_rows(found, ~np.any(profiles != 0, axis=1))


def trending_candidates(
    trending_scores: np.ndarray,
    n_users: int,
    k: int,
    *,
    exclude: sp.spmatrix | None = None,
    eligible_items: np.ndarray | None = None,
) -> TopK:
    """The same trending list for everyone, minus each user's exclusions. Items without a trending
    score should be NaN or -inf: they are never candidates."""
    scores = np.nan_to_num(np.asarray(trending_scores, np.float32), nan=-np.inf)
    allowed = np.isfinite(scores) if eligible_items is None else np.isfinite(scores) & eligible_items
    blocked = 0 if exclude is None else int(np.diff(sp.csr_matrix(exclude).indptr).max(initial=0))
    shortlist = min(int(allowed.sum()), k + blocked)
    # Users only differ by exclusions: rank a shortlist long enough to survive any user's exclusions.
    order = np.flatnonzero(allowed)[np.argsort(-scores[allowed], kind="stable")[:shortlist]]
    found = top_k(
        np.zeros((n_users, 0), np.float32),
        np.zeros((len(order), 0), np.float32),
        k,
        item_bias=scores[order],
        exclude=None if exclude is None else sp.csr_matrix(exclude)[:, order],
    )
    return TopK(np.where(found.items >= 0, order[np.maximum(found.items, 0)], -1), found.scores)


def follow_candidates(
    follows: sp.spmatrix,
    user_rows: np.ndarray,
    k: int,
    *,
    user_vectors: np.ndarray | None = None,
    exclude: sp.spmatrix | None = None,
    num_threads: int = 2,
) -> dict[str, TopK]:
    """Accounts to follow for `user_rows`, per signal, never the user or anyone already followed.

    `follows` is users × users (row follows column). Signals: `graph`, accounts followed by the
    accounts you follow (friends of friends) plus accounts followed by people who follow what you
    follow (co-followed); `similarity`, users whose interest vectors (model or content profile) are
    nearest to yours; `popular`, the most followed accounts (what a brand-new user gets).
    `exclude` adds per-user blocks aligned with `user_rows`.
    """
    graph = sp.csr_matrix(follows, dtype=np.float32)
    graph.data[:] = 1.0
    mine = graph[user_rows]
    blocked = mine + sp.csr_matrix(
        (np.ones(len(user_rows), np.float32), (np.arange(len(user_rows)), user_rows)), shape=mine.shape
    )
    if exclude is not None:
        blocked = blocked + sp.csr_matrix(exclude, dtype=np.float32)
    friends_of_friends = mine @ graph
    co_followed = (mine @ graph.T) @ graph
    candidates = {"graph": sparse_top_k(friends_of_friends + co_followed, k, exclude=blocked)}
    if user_vectors is not None:
        unit = normalize_rows(user_vectors)
        found = top_k(unit[user_rows], unit, k, exclude=blocked, num_threads=num_threads)
        candidates["similarity"] = _without_rows(found, ~np.any(unit[user_rows] != 0, axis=1))
    followers = np.asarray(graph.sum(axis=0), dtype=np.float32).ravel()
    followers[followers == 0] = np.nan
    candidates["popular"] = trending_candidates(followers, len(user_rows), k, exclude=blocked)
    return candidates


def _without_rows(found: TopK, rows: np.ndarray) -> TopK:
    items, scores = found.items.copy(), found.scores.copy()
    items[rows] = -1
    scores[rows] = -np.inf
    return TopK(items, scores)
