"""Top-k of users × items dot products, fast enough to score every active user every hour.

Scores come from one BLAS matrix product per batch of users (the item bias rides along as an extra
column). Selecting the top k of 100,000 scores per user with a plain `np.argpartition` costs more
than the product itself, so the selection first takes the maximum over groups of items (contiguous,
vectorised), keeps the k groups with the largest maxima (which must hold the top k items: k group
maxima are at least the k-th largest group maximum, so the k-th best item is too) and
`np.argpartition`s only those items. The product uses BLAS's threads; the selection runs on a thread
pool (numpy releases the GIL) overlapping the next batch's product. (Several single-threaded BLAS
calls from Python threads were measured slower here: OpenBLAS serialises them.)
"""

from __future__ import annotations

import math
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp


@dataclass(frozen=True)
class TopK:
    """Per user row, the best `k` item columns (best first) and their scores; -1 / -inf pad rows with
    fewer than `k` eligible items."""

    items: np.ndarray  # int64 [n_users, k]
    scores: np.ndarray  # float32 [n_users, k]


def top_k(
    user_vectors: np.ndarray,
    item_vectors: np.ndarray,
    k: int,
    *,
    item_bias: np.ndarray | None = None,
    exclude: sp.spmatrix | None = None,
    eligible_items: np.ndarray | None = None,
    batch_size: int = 512,
    num_threads: int = 2,
) -> TopK:
    """Best `k` items per user by `user · item + item_bias`.

    `exclude` (users × items, aligned with `user_vectors` rows) removes each user's own, consumed or
    rejected items; `eligible_items` (bool per item) restricts the catalog for everyone at once (a
    content type, items not rejected by moderation), which also shrinks the product.
    """
    users = np.ascontiguousarray(user_vectors, dtype=np.float32)
    items = np.asarray(item_vectors, dtype=np.float32)
    bias = np.zeros(len(items), np.float32) if item_bias is None else np.asarray(item_bias, np.float32)
    columns = np.arange(len(items)) if eligible_items is None else np.flatnonzero(eligible_items)
    width = padded_width(len(columns), k)
    # Bias as one more factor: [u, 1] · [v, b]; transposed once, padded to whole groups, so each batch
    # is one GEMM written into a reused buffer (fresh 100 MB blocks per batch cost page faults).
    catalog = np.zeros((items.shape[1] + 1, width), np.float32)
    catalog[:-1, : len(columns)] = items[columns].T
    catalog[-1, : len(columns)] = bias[columns]
    users = np.hstack([users, np.ones((len(users), 1), np.float32)])
    return scored_top_k(
        lambda start, stop, out: np.matmul(users[start:stop], catalog, out=out),
        len(users),
        len(items),
        k,
        exclude=exclude,
        eligible_items=eligible_items,
        batch_size=batch_size,
        num_threads=num_threads,
    )


def padded_width(n_columns: int, k: int) -> int:
    """Columns of the score buffers `scored_top_k` hands out: `n_columns` rounded up to whole groups."""
    k_eff = min(k, n_columns)
    if k_eff == 0:
        return n_columns
    group = _group_size(n_columns, k_eff)
    return math.ceil(n_columns / group) * group


def scored_top_k(
    score_batch: Callable[[int, int, np.ndarray], object],
    n_users: int,
    n_items: int,
    k: int,
    *,
    exclude: sp.spmatrix | None = None,
    eligible_items: np.ndarray | None = None,
    batch_size: int = 512,
    num_threads: int = 2,
) -> TopK:
    """Best `k` items per user of scores that `score_batch(start, stop, out)` writes for users
    `start:stop` into `out` ([stop - start, padded_width(n_eligible, k)], float32): column c of `out`
    is the c-th eligible item; columns past the eligible ones are ignored. Any scorer (factor
    products, item-item models, blends) gets the same grouped selection, exclusions and threads.
    """
    columns = np.arange(n_items) if eligible_items is None else np.flatnonzero(eligible_items)
    k_eff = min(k, len(columns))
    result_items = np.full((n_users, k), -1, dtype=np.int64)
    result_scores = np.full((n_users, k), -np.inf, dtype=np.float32)
    if k_eff == 0 or n_users == 0:
        return TopK(result_items, result_scores)
    group = _group_size(len(columns), k_eff)
    width = padded_width(len(columns), k)
    remap = _column_remap(columns, n_items) if eligible_items is not None else None
    excluded = None if exclude is None else sp.csr_matrix(exclude)
    buffers = [np.empty((min(batch_size, n_users), width), np.float32) for _ in range(2)]

    def select_rows(scores: np.ndarray, start: int) -> None:
        best, best_scores = _select(scores, k_eff, group)
        stop = start + len(scores)
        result_items[start:stop, :k_eff] = np.where(np.isfinite(best_scores), columns[best], -1)
        result_scores[start:stop, :k_eff] = best_scores

    # The product runs on the calling thread with BLAS's own threads; the selection of one batch runs
    # on the pool, split by rows, while the next batch's product is computed into the other buffer.
    with ThreadPoolExecutor(max(1, num_threads)) as pool:
        in_flight: list = []
        for batch, start in enumerate(range(0, n_users, batch_size)):
            stop = min(start + batch_size, n_users)
            # This buffer's previous batch (two back) was selected before the last batch was submitted.
            scores = buffers[batch % 2][: stop - start]
            score_batch(start, stop, scores)
            scores[:, len(columns) :] = -np.inf
            if excluded is not None:
                _mask_excluded(scores, excluded[start:stop], remap)
            for future in in_flight:
                future.result()
            chunk = math.ceil(len(scores) / max(1, num_threads))
            in_flight = [
                pool.submit(select_rows, scores[offset : offset + chunk], start + offset)
                for offset in range(0, len(scores), chunk)
            ]
        for future in in_flight:
            future.result()
    return TopK(result_items, result_scores)


def _group_size(n_cols: int, k: int) -> int:
    """Items per group: sqrt(n/k) balances the two partitions (n/group maxima, k*group items); 1 (a
    plain argpartition) when the catalog is too small for groups to pay off."""
    group = int(math.sqrt(n_cols / k))
    return group if group >= 4 else 1


def _column_remap(columns: np.ndarray, n_items: int) -> np.ndarray:
    remap = np.full(n_items, -1, dtype=np.int64)
    remap[columns] = np.arange(len(columns))
    return remap


def _mask_excluded(scores: np.ndarray, excluded: sp.csr_matrix, remap: np.ndarray | None) -> None:
    rows = np.repeat(np.arange(excluded.shape[0]), np.diff(excluded.indptr))
    cols = excluded.indices.astype(np.int64)
    if remap is not None:
        cols = remap[cols]
        rows, cols = rows[cols >= 0], cols[cols >= 0]
    scores[rows, cols] = -np.inf


def _select(scores: np.ndarray, k: int, group: int) -> tuple[np.ndarray, np.ndarray]:
    """Column indices and values of each row's k largest scores, best first; the row width must be a
    multiple of `group`."""
    n_rows, n_cols = scores.shape
    if group == 1:
        candidates = np.broadcast_to(np.arange(n_cols), scores.shape)
        values = scores
    else:
        n_groups = n_cols // group
        # Group g holds columns g, g + n_groups, g + 2 n_groups, ...: the max is an elementwise
        # reduction over contiguous rows, which vectorises well.
        maxima = scores.reshape(n_rows, group, n_groups).max(axis=1)
        best_groups = np.argpartition(maxima, n_groups - k, axis=1)[:, n_groups - k :]
        candidates = (best_groups[:, :, None] + n_groups * np.arange(group)).reshape(n_rows, -1)
        values = np.take_along_axis(scores, candidates, axis=1)
    chosen = np.argpartition(values, values.shape[1] - k, axis=1)[:, -k:]
    chosen_values = np.take_along_axis(values, chosen, axis=1)
    order = np.argsort(-chosen_values, axis=1, kind="stable")
    best = np.take_along_axis(np.take_along_axis(candidates, chosen, axis=1), order, axis=1)
    return best, np.take_along_axis(chosen_values, order, axis=1)


# Past this share of stored entries a score matrix is selected densely, row block by row block:
# a linear pass per row beats sorting tens of millions of entries (co-follow counts at 20,000
# users fill most of each row: the sort was 70% of the hourly job).
DENSE_SHARE = 0.02
DENSE_BLOCK_CELLS = 16_000_000  # cells per dense block: 64 MB of float32


def sparse_top_k(matrix: sp.spmatrix, k: int, *, exclude: sp.spmatrix | None = None) -> TopK:
    """Best `k` stored entries per row of a sparse score matrix (e.g. friend-of-friend counts),
    skipping entries present in `exclude`, ties in column order; rows with fewer entries are
    padded with -1 / -inf."""
    scores = sp.csr_matrix(matrix, dtype=np.float32)
    if exclude is not None:
        blocked = sp.csr_matrix(exclude, dtype=bool).astype(np.float32)
        scores = scores - scores.multiply(blocked)
    scores.eliminate_zeros()
    n_rows, n_cols = scores.shape
    if n_rows and n_cols and scores.nnz > DENSE_SHARE * n_rows * n_cols:
        block = max(1, DENSE_BLOCK_CELLS // n_cols)
        parts = [_dense_top_k(scores[start : start + block], k) for start in range(0, n_rows, block)]
        return TopK(np.vstack([p.items for p in parts]), np.vstack([p.scores for p in parts]))
    coo = scores.tocoo()
    order = np.lexsort((coo.col, -coo.data, coo.row))
    rows, cols, values = coo.row[order], coo.col[order], coo.data[order]
    starts = np.searchsorted(rows, np.arange(scores.shape[0]))
    rank = np.arange(len(rows)) - starts[rows]
    keep = rank < k
    items = np.full((scores.shape[0], k), -1, dtype=np.int64)
    best = np.full((scores.shape[0], k), -np.inf, dtype=np.float32)
    items[rows[keep], rank[keep]] = cols[keep]
    best[rows[keep], rank[keep]] = values[keep]
    return TopK(items, best)


def _dense_top_k(scores: sp.csr_matrix, k: int) -> TopK:
    """`sparse_top_k` of a block of rows through a dense array: the k-th largest stored value per
    row by partition, then everything above it and, of the entries equal to it, the first columns;
    best first, ties in column order. Entries not stored are not candidates."""
    n_rows, n_cols = scores.shape
    dense = np.full((n_rows, n_cols), -np.inf, dtype=np.float32)
    rows = np.repeat(np.arange(n_rows), np.diff(scores.indptr))
    dense[rows, scores.indices] = scores.data
    width = min(k, n_cols)
    kth = -np.partition(-dense, width - 1, axis=1)[:, width - 1 : width]
    above = dense > kth
    tied = (dense == kth) & np.isfinite(dense)
    needed = width - above.sum(axis=1, keepdims=True)
    chosen = above | (tied & (np.cumsum(tied, axis=1, dtype=np.int32) <= needed))
    picked_rows, picked_cols = np.nonzero(chosen)  # row-major: columns ascending within a row
    values = dense[picked_rows, picked_cols]
    order = np.lexsort((picked_cols, -values, picked_rows))
    picked_rows, picked_cols, values = picked_rows[order], picked_cols[order], values[order]
    starts = np.searchsorted(picked_rows, np.arange(n_rows))
    rank = np.arange(len(picked_rows)) - starts[picked_rows]
    items = np.full((n_rows, k), -1, dtype=np.int64)
    best = np.full((n_rows, k), -np.inf, dtype=np.float32)
    items[picked_rows, rank] = picked_cols
    best[picked_rows, rank] = values
    return TopK(items, best)
