"""The collaborative strategy: LightFM factors, EASE item-item weights, or a blend of the two, and
the model artifact that says which one `recommendation_model` chose on its held-out split.

Scores per user row:
- `lightfm`: user · item + bias (the factor product).
- `ease`: the user's engagement row over the EASE vocabulary times B.
- `blend`: `factor_weight` · z(LightFM) + (1 - factor_weight) · z(EASE), z standardising each user's
  scores over the vocabulary items, so neither model's scale dominates.
For `ease` and `blend`, an item outside the EASE vocabulary (a new item, a tail item past the dense
limit) goes where LightFM ranks it among the vocabulary items: just above the item in that position
of the list (placement within the top `depth` only; deeper ones are left out). A user with no
engagement on vocabulary items gets LightFM's list as it is.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import scipy.sparse as sp

from socialflow_pipelines.ml.recommendations.ease import EaseRecommender
from socialflow_pipelines.ml.recommendations.lightfm_model import HybridRecommender
from socialflow_pipelines.ml.recommendations.metrics import evaluate_scorer
from socialflow_pipelines.ml.recommendations.ranking import TopK, scored_top_k, top_k

Choice = Literal["lightfm", "ease", "blend"]
CHOICES: tuple[Choice, ...] = ("lightfm", "ease", "blend")  # simplest first: ties keep the earlier
Factors = tuple[np.ndarray, np.ndarray, np.ndarray]  # user vectors, item vectors, item biases


@dataclass(frozen=True)
class ItemItem:
    """EASE's inputs for one catalog: each user's engagement over the vocabulary, which catalog
    columns are in the vocabulary, and B's columns for those (taken once per catalog, not per batch)."""

    user_rows: sp.csr_matrix  # users × vocabulary, binary
    known: np.ndarray  # int64: the catalog columns inside the vocabulary
    weights: np.ndarray  # float32 [vocabulary, len(known)]
    n_items: int  # catalog columns

    @classmethod
    def of(cls, user_rows: sp.csr_matrix, weights: np.ndarray, positions: np.ndarray) -> ItemItem:
        """From B and each catalog item's vocabulary position (-1 outside it)."""
        known = np.flatnonzero(positions >= 0)
        return cls(user_rows, known, np.ascontiguousarray(weights[:, positions[known]]), len(positions))


@dataclass(frozen=True)
class Collaborative:
    """What the collaborative strategy scores for one catalog: factors, item-item, or both (blend)."""

    factors: Factors | None = None
    item_item: ItemItem | None = None
    factor_weight: float = 0.5

    def __post_init__(self) -> None:
        if self.factors is None and self.item_item is None:
            raise ValueError("Collaborative needs factors, item-item weights or both")

    @property
    def n_users(self) -> int:
        return len(self.factors[0]) if self.factors is not None else self.item_item.user_rows.shape[0]  # type: ignore[union-attr]

    @property
    def n_items(self) -> int:
        return len(self.factors[1]) if self.factors is not None else self.item_item.n_items  # type: ignore[union-attr]

    def rows(self, users: np.ndarray) -> Collaborative:
        """The same inputs for a subset of user rows."""
        factors = None if self.factors is None else (self.factors[0][users], *self.factors[1:])
        item_item = None
        if self.item_item is not None:
            found = self.item_item
            item_item = ItemItem(found.user_rows[users], found.known, found.weights, found.n_items)
        return Collaborative(factors, item_item, self.factor_weight)  # type: ignore[arg-type]

    def silent_users(self) -> np.ndarray:
        """bool per user: neither a factor vector nor engagement on vocabulary items (no candidates)."""
        silent = np.ones(self.n_users, dtype=bool)
        if self.factors is not None:
            silent &= ~np.any(self.factors[0] != 0, axis=1)
        if self.item_item is not None:
            silent &= np.diff(self.item_item.user_rows.indptr) == 0
        return silent

    def scores(
        self, start: int, stop: int, *, exclude: sp.csr_matrix | None = None, depth: int = 100
    ) -> np.ndarray:
        """float32 [stop - start, n_items] for users start:stop; `exclude` (rows start:stop) is -inf,
        and so are items ranked past `depth` where LightFM places items outside the vocabulary."""
        factor_scores = None
        if self.factors is not None:
            users, items, bias = self.factors
            factor_scores = np.asarray(users[start:stop], np.float32) @ np.asarray(items, np.float32).T
            factor_scores += np.asarray(bias, np.float32)
            if exclude is not None:
                _mask(factor_scores, exclude)
        if self.item_item is None:
            return factor_scores  # type: ignore[return-value]
        found = self.item_item
        known = found.known
        inputs = found.user_rows[start:stop]
        item_scores = np.asarray(inputs @ found.weights, np.float32)
        result = np.full((stop - start, found.n_items), -np.inf, np.float32)
        if factor_scores is not None and self.factor_weight > 0 and self.factors is not None:
            blended = self.factor_weight * _standardised(factor_scores[:, known])
            item_scores = blended + (1 - self.factor_weight) * _standardised(item_scores)
        result[:, known] = item_scores
        if exclude is not None:
            _mask(result, exclude)
        if factor_scores is not None:
            unknown = np.setdiff1d(np.arange(found.n_items), known, assume_unique=True)
            _place_by_factors(result, factor_scores, known, unknown, depth)
            no_history = np.diff(inputs.indptr) == 0
            result[no_history] = factor_scores[no_history]
        return result


def _standardised(scores: np.ndarray) -> np.ndarray:
    """Per row: (x - mean) / std over the finite entries; -inf stays -inf, constant rows become 0."""
    finite = np.isfinite(scores)
    count = np.maximum(finite.sum(axis=1, keepdims=True), 1)
    values = np.where(finite, scores, 0.0)
    mean = values.sum(axis=1, keepdims=True) / count
    spread = np.sqrt(np.where(finite, (values - mean) ** 2, 0.0).sum(axis=1, keepdims=True) / count)
    return np.where(finite, (values - mean) / np.where(spread > 0, spread, 1.0), -np.inf).astype(np.float32)


def _mask(scores: np.ndarray, exclude: sp.csr_matrix) -> None:
    rows = np.repeat(np.arange(exclude.shape[0]), np.diff(exclude.indptr))
    scores[rows, exclude.indices] = -np.inf


def _place_by_factors(
    result: np.ndarray, factor_scores: np.ndarray, known: np.ndarray, unknown: np.ndarray, depth: int
) -> None:
    """Give each item outside the vocabulary a score just above the item at the position LightFM
    ranks it among the vocabulary items, when that position is within `depth`."""
    if len(unknown) == 0 or len(known) == 0:
        return
    depth = min(depth, len(known))
    factor_top = _descending_top(factor_scores[:, known], depth)
    item_top = _descending_top(result[:, known], depth)
    outside = factor_scores[:, unknown]
    rows, cols = np.nonzero(outside > factor_top[:, -1:])
    if len(rows) == 0:
        return
    position = (outside[rows, cols][:, None] < factor_top[rows]).sum(axis=1)
    result[rows, unknown[cols]] = np.nextafter(item_top[rows, position], np.float32(np.inf))


def _descending_top(scores: np.ndarray, depth: int) -> np.ndarray:
    part = np.partition(scores, scores.shape[1] - depth, axis=1)[:, -depth:]
    return -np.sort(-part, axis=1)


def collaborative_top_k(
    collaborative: Collaborative,
    k: int,
    *,
    exclude: sp.spmatrix | None = None,
    eligible_items: np.ndarray | None = None,
    batch_size: int = 256,
    num_threads: int = 2,
) -> TopK:
    """Best `k` per user of `collaborative.scores`; users with no signal get no candidates."""
    n_users, n_items = collaborative.n_users, collaborative.n_items
    if collaborative.item_item is None:
        users, items, bias = collaborative.factors  # type: ignore[misc]
        found = top_k(
            users,
            items,
            k,
            item_bias=bias,
            exclude=exclude,
            eligible_items=eligible_items,
            num_threads=num_threads,
        )
    else:
        excluded = None if exclude is None else sp.csr_matrix(exclude)
        columns = np.arange(n_items) if eligible_items is None else np.flatnonzero(eligible_items)

        def score(start: int, stop: int, out: np.ndarray) -> None:
            rows = None if excluded is None else excluded[start:stop]
            full = collaborative.scores(start, stop, exclude=rows, depth=k)
            out[:, : len(columns)] = full if eligible_items is None else full[:, columns]

        found = scored_top_k(
            score,
            n_users,
            n_items,
            k,
            exclude=excluded,
            eligible_items=eligible_items,
            batch_size=batch_size,
            num_threads=num_threads,
        )
    silent = collaborative.silent_users()
    items, scores = found.items.copy(), found.scores.copy()
    items[silent], scores[silent] = -1, -np.inf
    return TopK(items, scores)


@dataclass
class CollaborativeModel:
    """`recommendation_model`'s artifact: LightFM (always: it places new items and users by their
    features and gives the follow-similarity vectors), EASE when the choice needs it, and the choice.
    Versions published before EASE hold a bare `HybridRecommender`: `as_collaborative_model` wraps it."""

    lightfm: HybridRecommender
    ease: EaseRecommender | None = None
    choice: Choice = "lightfm"
    factor_weight: float = 0.5

    def __post_init__(self) -> None:
        if self.choice not in CHOICES:
            raise ValueError(f"choice {self.choice!r} is not one of {CHOICES}")
        if self.choice != "lightfm" and self.ease is None:
            raise ValueError(f"choice {self.choice!r} needs an EASE model")

    def collaborative(
        self,
        factors: Factors,
        *,
        item_ids: Sequence[Hashable] = (),
        history: sp.spmatrix | None = None,
        history_items: Sequence[Hashable] = (),
    ) -> Collaborative:
        """The strategy's inputs for one catalog: LightFM `factors` (users, then the catalog's
        `item_ids` in column order), and for EASE the users' current engagement `history`
        (users × `history_items`)."""
        if self.choice == "lightfm" or self.ease is None or history is None:
            return Collaborative(factors=factors)
        item_item = ItemItem.of(
            self.ease.user_rows(history, history_items), self.ease.weights, self.ease.positions(item_ids)
        )
        weight = self.factor_weight if self.choice == "blend" else 0.0
        return Collaborative(factors=factors, item_item=item_item, factor_weight=weight)


def as_collaborative_model(artifact: CollaborativeModel | HybridRecommender) -> CollaborativeModel:
    """A loaded `recommendation_model` artifact of either generation as a `CollaborativeModel`."""
    if isinstance(artifact, CollaborativeModel):
        return artifact
    if isinstance(artifact, HybridRecommender):
        return CollaborativeModel(lightfm=artifact)
    raise TypeError(f"not a recommendation model: {type(artifact).__name__}")


def choose(precision: Mapping[Choice, float]) -> Choice:
    """The choice with the best held-out precision; on a tie the simpler one (`CHOICES` order)."""
    return max((c for c in CHOICES if c in precision), key=lambda c: (precision[c], -CHOICES.index(c)))


def evaluate_choices(
    lightfm: HybridRecommender,
    ease: EaseRecommender,
    factors: Factors,
    item_ids: Sequence[Hashable],
    train: sp.spmatrix,
    test: sp.spmatrix,
    k: int = 10,
    *,
    num_threads: int = 2,
) -> dict[Choice, dict[str, float]]:
    """Held-out metrics of each choice on one split, scored as served: `lightfm` and `ease` fitted
    on `train` (columns named by `item_ids`), `factors` LightFM's vectors for those columns."""
    found: dict[Choice, dict[str, float]] = {}
    for choice in CHOICES:
        collaborative = CollaborativeModel(lightfm=lightfm, ease=ease, choice=choice).collaborative(
            factors, item_ids=item_ids, history=train, history_items=item_ids
        )
        found[choice] = evaluate_collaborative(collaborative, train, test, k, num_threads=num_threads)
    return found


def evaluate_collaborative(
    collaborative: Collaborative, train: sp.spmatrix, test: sp.spmatrix, k: int = 10, *, num_threads: int = 2
) -> dict[str, float]:
    """`metrics.evaluate_ranking` of the collaborative strategy as it is served (placement of items
    outside the EASE vocabulary, LightFM for users without vocabulary engagement included)."""
    train_csr = sp.csr_matrix(train, dtype=bool)

    def ranked(users: np.ndarray, train_rows: sp.csr_matrix) -> np.ndarray:
        return collaborative_top_k(
            collaborative.rows(users), k, exclude=train_rows, num_threads=num_threads
        ).items

    def scores(users: np.ndarray) -> np.ndarray:
        return collaborative.rows(users).scores(
            0, len(users), exclude=train_csr[users].astype(np.float32), depth=k
        )

    return evaluate_scorer(ranked, scores, train, test, k, batch_size=256)
