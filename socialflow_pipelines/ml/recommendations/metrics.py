"""Offline ranking metrics with train interactions excluded from the ranking.

Protocol: every user with at least one held-out positive is ranked over the whole catalog minus
what they had in training (as the product does: it never re-recommends consumed items); positives
that also appear in training are dropped from the test set since they cannot be recommended.
precision@k, recall@k, NDCG@k (binary gain) and MAP@k come from the top k; AUC is the chance a
held-out positive outranks an item the user never touched (ties count half), averaged over users.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import scipy.sparse as sp

from socialflow_pipelines.ml.recommendations.ranking import top_k


def hits_matrix(top_items: np.ndarray, relevant: sp.spmatrix) -> np.ndarray:
    """bool [n_users, k]: whether the item at each position is a relevant (held-out) item of that user."""
    truth = sp.csr_matrix(relevant, dtype=bool)
    rows = np.repeat(np.arange(top_items.shape[0]), top_items.shape[1])
    cols = top_items.ravel()
    valid = cols >= 0
    hit = np.zeros(len(cols), dtype=bool)
    hit[valid] = np.asarray(truth[rows[valid], cols[valid]]).ravel()
    return hit.reshape(top_items.shape)


def precision_at_k(hits: np.ndarray) -> np.ndarray:
    """Per user: hits in the top k divided by k."""
    return hits.sum(axis=1) / hits.shape[1]


def recall_at_k(hits: np.ndarray, n_relevant: np.ndarray) -> np.ndarray:
    """Per user: hits in the top k divided by the user's number of relevant items."""
    return hits.sum(axis=1) / np.maximum(n_relevant, 1)


def ndcg_at_k(hits: np.ndarray, n_relevant: np.ndarray) -> np.ndarray:
    """Per user: DCG of the top k (gain 1 per hit, discount log2(position + 1)) over the ideal DCG."""
    discounts = 1.0 / np.log2(np.arange(2, hits.shape[1] + 2))
    dcg = (hits * discounts).sum(axis=1)
    ideal = np.cumsum(discounts)[np.clip(n_relevant, 1, hits.shape[1]) - 1]
    return dcg / ideal


def average_precision_at_k(hits: np.ndarray, n_relevant: np.ndarray) -> np.ndarray:
    """Per user: mean of precision@i over the positions i of hits, divided by min(k, relevant)."""
    precision_at_each = np.cumsum(hits, axis=1) / np.arange(1, hits.shape[1] + 1)
    return (precision_at_each * hits).sum(axis=1) / np.clip(n_relevant, 1, hits.shape[1])


def auc_scores(scores: np.ndarray, positives: sp.spmatrix, excluded: sp.spmatrix | None = None) -> np.ndarray:
    """Per user row of `scores`: P(positive outranks negative), negatives being items neither positive
    nor excluded; ties count half. NaN for a row without positives or negatives."""
    positive = sp.csr_matrix(positives, dtype=bool)
    blocked = positive if excluded is None else (positive + sp.csr_matrix(excluded, dtype=bool))
    result = np.full(scores.shape[0], np.nan)
    for row in range(scores.shape[0]):
        pos_cols = positive.indices[positive.indptr[row] : positive.indptr[row + 1]]
        if len(pos_cols) == 0:
            continue
        negative = np.ones(scores.shape[1], dtype=bool)
        negative[blocked.indices[blocked.indptr[row] : blocked.indptr[row + 1]]] = False
        negative_scores = np.sort(scores[row, negative])
        if len(negative_scores) == 0:
            continue
        pos_scores = scores[row, pos_cols]
        below = np.searchsorted(negative_scores, pos_scores, side="left")
        not_above = np.searchsorted(negative_scores, pos_scores, side="right")
        result[row] = ((below + not_above) / 2.0).sum() / (len(pos_cols) * len(negative_scores))
    return result


def evaluate_ranking(
    user_vectors: np.ndarray,
    item_vectors: np.ndarray,
    item_bias: np.ndarray,
    train: sp.spmatrix,
    test: sp.spmatrix,
    k: int = 10,
    *,
    batch_size: int = 512,
    num_threads: int = 2,
) -> dict[str, float]:
    """Mean precision/recall/NDCG/MAP@k and AUC of `user · item + bias` over users with held-out
    positives, train interactions excluded from the ranking (rows of `train`/`test` = user rows)."""
    vectors = np.asarray(user_vectors, np.float32)
    items = np.asarray(item_vectors, np.float32)
    with_bias = np.hstack([items, np.asarray(item_bias, np.float32)[:, None]])

    def ranked(users: np.ndarray, train_rows: sp.csr_matrix) -> np.ndarray:
        return top_k(
            vectors[users], items, k, item_bias=item_bias, exclude=train_rows, num_threads=num_threads
        ).items

    def scores(users: np.ndarray) -> np.ndarray:
        return np.hstack([vectors[users], np.ones((len(users), 1), np.float32)]) @ with_bias.T

    return evaluate_scorer(ranked, scores, train, test, k, batch_size=batch_size)


def evaluate_scorer(
    ranked: Callable[[np.ndarray, sp.csr_matrix], np.ndarray],
    scores: Callable[[np.ndarray], np.ndarray],
    train: sp.spmatrix,
    test: sp.spmatrix,
    k: int = 10,
    *,
    batch_size: int = 512,
) -> dict[str, float]:
    """`evaluate_ranking` for any scorer: `ranked(user rows, their train rows)` gives the top-k item
    columns (train items excluded), `scores(user rows)` the full score rows the AUC needs."""
    train_csr = sp.csr_matrix(train, dtype=bool)
    test_csr = sp.csr_matrix(test, dtype=bool)
    test_csr = test_csr - test_csr.multiply(train_csr)
    test_csr.eliminate_zeros()
    users = np.flatnonzero(np.diff(test_csr.indptr) > 0)
    train_rows, test_rows = train_csr[users], test_csr[users]
    hits = hits_matrix(ranked(users, train_rows), test_rows)
    n_relevant = np.diff(test_rows.indptr)
    auc = np.empty(len(users))
    for start in range(0, len(users), batch_size):
        stop = min(start + batch_size, len(users))
        auc[start:stop] = auc_scores(scores(users[start:stop]), test_rows[start:stop], train_rows[start:stop])
    return {
        f"precision_at_{k}": float(precision_at_k(hits).mean()),
        f"recall_at_{k}": float(recall_at_k(hits, n_relevant).mean()),
        f"ndcg_at_{k}": float(ndcg_at_k(hits, n_relevant).mean()),
        f"map_at_{k}": float(average_precision_at_k(hits, n_relevant).mean()),
        "auc": float(np.nanmean(auc)) if len(users) else float("nan"),
        "n_users_evaluated": len(users),
    }


def popularity_ranking(
    train: sp.spmatrix, test: sp.spmatrix, k: int = 10, *, num_threads: int = 2
) -> dict[str, float]:
    """`evaluate_ranking` of the baseline every model must beat: items ranked by how many users
    had them in training, the same for everyone."""
    popularity = np.asarray((sp.csr_matrix(train) > 0).sum(axis=0), np.float32).ravel()
    return evaluate_ranking(
        np.zeros((train.shape[0], 1), np.float32),
        np.zeros((train.shape[1], 1), np.float32),
        popularity,
        train,
        test,
        k,
        num_threads=num_threads,
    )
