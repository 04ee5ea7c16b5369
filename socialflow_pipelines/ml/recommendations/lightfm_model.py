"""LightFM hybrid model (WARP) whose users and items are ids, not matrix rows.

LightFM represents an item as the sum of the embeddings of its features. With an identity feature
per item plus its categories/topics/tags, a known item learns its own vector while a brand-new item
is still placed by its features; the same holds for users with user features. The model exports
those representations (vectors and biases), so scoring everyone is a matrix product done elsewhere
(`ranking.top_k`) and new items or users are scored without retraining.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence

import numpy as np
import scipy.sparse as sp
from lightfm import LightFM

from socialflow_pipelines.ml.recommendations.interactions import IdIndex

# Per id: feature names (weight 1 each) or feature name → weight.
FeatureValues = Mapping[Hashable, Iterable[str] | Mapping[str, float]]


class HybridRecommender:
    """WARP LightFM over identity + side features, keyed by ids; picklable for the ModelStore."""

    def __init__(
        self,
        *,
        no_components: int = 64,
        learning_rate: float = 0.05,
        item_alpha: float = 0.0,
        user_alpha: float = 0.0,
        max_sampled: int = 10,
        loss: str = "warp",
        random_state: int = 42,
    ) -> None:
        self.params = {
            "no_components": no_components,
            "learning_rate": learning_rate,
            "item_alpha": item_alpha,
            "user_alpha": user_alpha,
            "max_sampled": max_sampled,
            "loss": loss,
            "random_state": random_state,
        }
        self.users = IdIndex()
        self.items = IdIndex()
        self.item_vocabulary: dict[str, int] = {}
        self.user_vocabulary: dict[str, int] = {}
        self._item_features: sp.csr_matrix | None = None
        self._user_features: sp.csr_matrix | None = None
        self._model: LightFM | None = None

    @property
    def no_components(self) -> int:
        return int(self.params["no_components"])

    def fit(
        self,
        interactions: sp.spmatrix,
        users: IdIndex,
        items: IdIndex,
        *,
        item_features: FeatureValues | None = None,
        user_features: FeatureValues | None = None,
        use_weights: bool = False,
        epochs: int = 30,
        num_threads: int = 2,
    ) -> HybridRecommender:
        """Train from scratch on users × items `interactions` (rows/columns named by `users`/`items`).

        Any stored entry is a positive. With `use_weights`, log1p of the weight scales each positive's
        gradient, so a shared item counts more than a viewed one without letting one heavy user
        dominate. The result is deterministic for a given `random_state` when `num_threads=1`
        (LightFM's threads update shared parameters without locks).
        """
        matrix = sp.csr_matrix(interactions, dtype=np.float32)
        if matrix.shape != (len(users), len(items)):
            raise ValueError(f"interactions are {matrix.shape}, indexes are {(len(users), len(items))}")
        self.users, self.items = users.extended(()), items.extended(())
        self.item_vocabulary = _vocabulary(item_features)
        self.user_vocabulary = _vocabulary(user_features)
        self._item_features = (
            _feature_matrix(items.ids, item_features, self.item_vocabulary, n_identity=len(items))
            if self.item_vocabulary
            else None
        )
        self._user_features = (
            _feature_matrix(users.ids, user_features, self.user_vocabulary, n_identity=len(users))
            if self.user_vocabulary
            else None
        )
        coo = matrix.tocoo()
        positives = sp.coo_matrix((np.ones_like(coo.data), (coo.row, coo.col)), shape=coo.shape)
        weights = (
            sp.coo_matrix((np.log1p(coo.data).astype(np.float32), (coo.row, coo.col)), shape=coo.shape)
            if use_weights
            else None
        )
        self._model = LightFM(**self.params)
        self._model.fit(
            positives,
            user_features=self._user_features,
            item_features=self._item_features,
            sample_weight=weights,
            epochs=epochs,
            num_threads=num_threads,
        )
        return self

    def item_representations(
        self, item_ids: Sequence[Hashable] | None = None, item_features: FeatureValues | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """(vectors [n, d], biases [n]) as float32 for `item_ids` (default: every trained item).

        A trained item uses its identity and training-time features; an item the model has not seen
        is placed by the features given for it in `item_features` (zeros when it has none).
        """
        model = self._fitted()
        ids = self.items.ids if item_ids is None else list(item_ids)
        rows = _representation_rows(
            ids, self.items, self._item_features, item_features, self.item_vocabulary, len(self.items)
        )
        return _project(rows, model.item_embeddings, model.item_biases)

    def user_representations(
        self, user_ids: Sequence[Hashable] | None = None, user_features: FeatureValues | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """(vectors [n, d], biases [n]) as float32 for `user_ids`; unseen users are placed by their
        `user_features` (zeros without any, so the caller falls back to content and trending)."""
        model = self._fitted()
        ids = self.users.ids if user_ids is None else list(user_ids)
        rows = _representation_rows(
            ids, self.users, self._user_features, user_features, self.user_vocabulary, len(self.users)
        )
        return _project(rows, model.user_embeddings, model.user_biases)

    def _fitted(self) -> LightFM:
        if self._model is None:
            raise RuntimeError("HybridRecommender is not fitted")
        return self._model


def _vocabulary(features: FeatureValues | None) -> dict[str, int]:
    names: set[str] = set()
    for values in (features or {}).values():
        names.update(values.keys() if isinstance(values, Mapping) else values)
    return {name: position for position, name in enumerate(sorted(names))}


def _feature_matrix(
    ids: Sequence[Hashable],
    features: FeatureValues | None,
    vocabulary: Mapping[str, int],
    *,
    n_identity: int,
    identity_rows: np.ndarray | None = None,
) -> sp.csr_matrix:
    """Rows [identity columns | feature columns], each row summing to 1 (LightFM's own convention, so an
    item with many tags is not a louder item)."""
    rows: list[int] = []
    cols: list[int] = []
    values: list[float] = []
    identity = np.arange(len(ids)) if identity_rows is None else identity_rows
    for row, item_id in enumerate(ids):
        if identity[row] >= 0:
            rows.append(row)
            cols.append(int(identity[row]))
            values.append(1.0)
        given = (features or {}).get(item_id, ())
        pairs = given.items() if isinstance(given, Mapping) else ((name, 1.0) for name in given)
        for name, weight in pairs:
            column = vocabulary.get(name)
            if column is not None and weight:
                rows.append(row)
                cols.append(n_identity + column)
                values.append(float(weight))
    matrix = sp.csr_matrix(
        (np.asarray(values, np.float32), (rows, cols)), shape=(len(ids), n_identity + len(vocabulary))
    )
    totals = np.asarray(abs(matrix).sum(axis=1)).ravel()
    totals[totals == 0] = 1.0
    return sp.csr_matrix(sp.diags(1.0 / totals) @ matrix, dtype=np.float32)


def _representation_rows(
    ids: Sequence[Hashable],
    index: IdIndex,
    trained: sp.csr_matrix | None,
    features: FeatureValues | None,
    vocabulary: Mapping[str, int],
    n_trained: int,
) -> sp.csr_matrix:
    positions = index.positions(ids)
    if trained is None:
        # Identity only: known ids select their own row; unknown ones stay empty.
        known = positions >= 0
        return sp.csr_matrix(
            (np.ones(int(known.sum()), np.float32), (np.flatnonzero(known), positions[known])),
            shape=(len(ids), n_trained),
        )
    unknown = np.flatnonzero(positions < 0)
    if len(unknown) == 0:
        return sp.csr_matrix(trained[positions])
    known = np.flatnonzero(positions >= 0)
    fresh = _feature_matrix(
        [ids[i] for i in unknown],
        features,
        vocabulary,
        n_identity=n_trained,
        identity_rows=np.full(len(unknown), -1),
    )
    stacked = sp.vstack([trained[positions[known]], fresh]).tocsr()
    order = np.empty(len(ids), dtype=np.int64)
    order[known] = np.arange(len(known))
    order[unknown] = len(known) + np.arange(len(unknown))
    return sp.csr_matrix(stacked[order])


def _project(
    rows: sp.csr_matrix, embeddings: np.ndarray, biases: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    vectors = np.asarray(rows @ embeddings, dtype=np.float32)
    return vectors, np.asarray(rows @ biases, dtype=np.float32).ravel()
