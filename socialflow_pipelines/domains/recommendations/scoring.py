"""The hourly scoring: what the strategies need, read once per run, and each content type's lists.

Videos and posts blend collaborative (the published model: LightFM, EASE or both), content
(embedding profiles) and trending, without the user's own, consumed or rejected items; accounts to
follow blend the follow graph, interest similarity and popularity. The weights come from the
settings (`REC_*`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
import polars as pl
import scipy.sparse as sp
from sklearn.decomposition import PCA

from socialflow_pipelines.config import Settings
from socialflow_pipelines.domains.recommendations import store
from socialflow_pipelines.domains.recommendations.records import RecommendationList, RecommendedItem
from socialflow_pipelines.ml.recommendations import (
    CollaborativeModel,
    IdIndex,
    Recommendations,
    blend,
    build_interactions,
    content_profiles,
    follow_candidates,
    interaction_matrix,
    recommend_items,
)
from socialflow_pipelines.platform.db.engine import Database

FOLLOW_BATCH = 2_000  # users per co-follow product: (batch × users) @ users stays a few MB


def event_weights(settings: Settings) -> dict[str, float]:
    return {
        "view": settings.rec_weight_view,
        "like": settings.rec_weight_like,
        "comment": settings.rec_weight_comment,
        "share": settings.rec_weight_share,
    }


def blend_weights(settings: Settings) -> dict[str, float]:
    return {
        "collaborative": settings.rec_blend_collaborative,
        "content": settings.rec_blend_content,
        "trending": settings.rec_blend_trending,
    }


def follow_weights(settings: Settings) -> dict[str, float]:
    return {
        "graph": settings.rec_follow_graph,
        "similarity": settings.rec_follow_similarity,
        "popular": settings.rec_follow_popular,
    }


@dataclass(frozen=True)
class ScoredLists:
    """One content type's lists, the share of its catalog they cover, and how many own, consumed
    or rejected items they hold (which must be 0)."""

    lists: list[RecommendationList]
    coverage: float
    excluded_hits: int


class HourlyScorer:
    """Reads what the strategies need once per run and scores one content type at a time."""

    def __init__(
        self,
        db: Database,
        settings: Settings,
        users: list[str],
        model: tuple[CollaborativeModel, str] | None,
        *,
        now: datetime,
        embedding_dim: int,
        num_threads: int,
    ) -> None:
        self.db, self.settings, self.users = db, settings, users
        self.model, self.model_version = model if model is not None else (None, "none")
        self.now, self.embedding_dim, self.num_threads = now, embedding_dim, num_threads
        self.events = store.read_engagement(db, now - timedelta(days=settings.rec_lookback_days))
        self.user_features = store.read_user_features(db) if self.model is not None else {}
        self.user_index = IdIndex(users)

    def score(self, content_type: str) -> ScoredLists:
        if content_type == "user":
            return self._accounts()
        return self._items(content_type)

    def _items(self, content_type: str) -> ScoredLists:
        catalog = store.read_catalog(self.db, content_type).with_columns(
            pl.format("{}:{}", pl.lit(content_type), "content_id").alias("key")
        )
        item_index = IdIndex(catalog["key"].to_list())
        # Columns in the index's order, so column c is item_index[c] everywhere below.
        catalog = catalog.sort(pl.col("key").replace_strict(item_index.ids, range(len(item_index))))
        ids = catalog["content_id"].to_numpy()
        creators = catalog["creator_id"].to_numpy()
        keys = catalog["key"].to_list()
        typed = self.events.filter(pl.col("content_type") == content_type)
        weights = build_interactions(
            typed.select("user_id", "item_id", "event_type", "created_at"),
            event_weights=event_weights(self.settings),
            half_life_days=self.settings.rec_half_life_days,
            users=self.user_index,
            items=item_index,
        ).matrix[: len(self.users), : len(keys)]
        consumed = interaction_matrix(
            typed["user_id"].to_list(), typed["item_id"].to_list(), None, self.user_index, item_index
        )
        exclude = (consumed + own_items(self.users, creators)).tocsr()
        collaborative = None
        if self.model is not None and len(keys):
            lightfm = self.model.lightfm
            user_vectors, _ = lightfm.user_representations(self.users, self.user_features)
            item_vectors, item_bias = lightfm.item_representations(keys, store.read_item_features(self.db))
            # EASE scores each user's current engagement (`weights`), so users new since the fit count.
            collaborative = self.model.collaborative(
                (user_vectors, item_vectors, item_bias), item_ids=keys, history=weights, history_items=keys
            )
        content = None
        embeddings = store.read_embeddings(self.db, content_type, ids.tolist())
        if embeddings is not None:
            embeddings = reduce_dimensions(embeddings, self.embedding_dim)
            content = (content_profiles(weights, embeddings), embeddings)
        trending = store.read_trending(self.db, content_type, self.settings.rec_trending_window)
        trending_scores = np.array([trending.get(i, np.nan) for i in ids], np.float32)
        blend_by = blend_weights(self.settings)
        available = {"collaborative": collaborative, "content": content, "trending": trending or None}
        if not self.users or not any(
            blend_by[name] > 0 and found is not None for name, found in available.items()
        ):
            return ScoredLists([], 0.0, 0)
        recs = recommend_items(
            self.settings.rec_top_k,
            n_users=len(self.users),
            collaborative=collaborative,
            content=content,
            trending_scores=trending_scores if trending else None,
            exclude=exclude,
            creators=creator_codes(creators),
            weights=blend_by,
            max_per_creator=self.settings.rec_max_per_creator,
            num_threads=self.num_threads,
        )
        return self._finish(recs, content_type, ids, exclude)

    def _accounts(self) -> ScoredLists:
        follows = store.read_follows(self.db)
        everyone = IdIndex(
            [*self.users, *follows["follower_id"].to_list(), *follows["followee_id"].to_list()]
        )
        graph = interaction_matrix(
            follows["follower_id"].to_list(), follows["followee_id"].to_list(), None, everyone, everyone
        )
        vectors = None
        if self.model is not None:
            vectors, _ = self.model.lightfm.user_representations(everyone.ids, self.user_features)
        rows = everyone.positions(self.users)
        found: list[Recommendations] = []
        for start in range(0, len(rows), FOLLOW_BATCH):
            batch = rows[start : start + FOLLOW_BATCH]
            candidates = follow_candidates(
                graph, batch, self.settings.rec_top_k, user_vectors=vectors, num_threads=self.num_threads
            )
            found.append(blend(candidates, self.settings.rec_top_k, weights=follow_weights(self.settings)))
        if not found:
            return ScoredLists([], 0.0, 0)
        blocked = graph[rows] + sp.csr_matrix(
            (np.ones(len(rows), np.float32), (np.arange(len(rows)), rows)), shape=(len(rows), len(everyone))
        )
        return self._finish(stack(found), "user", np.asarray(everyone.ids, dtype=object), blocked.tocsr())

    def _finish(
        self, recs: Recommendations, content_type: str, ids: np.ndarray, exclude: sp.csr_matrix
    ) -> ScoredLists:
        return scored_lists(
            recs,
            self.users,
            ids,
            exclude,
            content_type=content_type,
            model_version=self.model_version,
            generated_at=self.now,
        )


def scored_lists(
    recs: Recommendations,
    users: Sequence[str],
    ids: np.ndarray,
    exclude: sp.csr_matrix,
    *,
    content_type: str,
    model_version: str,
    generated_at: datetime,
) -> ScoredLists:
    """The lists of `recs` (row r: `users[r]`, column c: item `ids[c]`), their coverage of `ids`,
    and how many of their items `exclude` holds."""
    picked = recs.items >= 0
    rows, positions = np.nonzero(picked)
    excluded_hits = (
        int(np.asarray(exclude[rows, recs.items[rows, positions]]).astype(bool).sum()) if len(rows) else 0
    )
    coverage = round(len(np.unique(recs.items[picked])) / max(len(ids), 1), 4)
    lists = recommendation_lists(
        recs, users, ids, content_type, model_version=model_version, generated_at=generated_at
    )
    return ScoredLists(lists, coverage, excluded_hits)


def recommendation_lists(
    recs: Recommendations,
    users: Sequence[str],
    ids: np.ndarray,
    content_type: str,
    *,
    model_version: str | None,
    generated_at: datetime | None,
) -> list[RecommendationList]:
    """One list per user with at least one item: scores as blended, each strategy's share rounded
    to 5 decimals (strategies that gave nothing left out)."""
    columns, scores = recs.items.tolist(), recs.scores.tolist()
    shares = {name: values.tolist() for name, values in recs.sources.items()}
    item_ids = ids.tolist()
    lists = []
    for row, user in enumerate(users):
        items = tuple(
            RecommendedItem(
                id=str(item_ids[column]),
                score=scores[row][position],
                rank=position + 1,
                sources={name: round(v[row][position], 5) for name, v in shares.items() if v[row][position]},
            )
            for position, column in enumerate(columns[row])
            if column >= 0
        )
        if items:
            lists.append(RecommendationList(user, content_type, items, model_version, generated_at))
    return lists


def creator_codes(creators: np.ndarray) -> np.ndarray:
    """Creator ids as dense integer codes: what the diversity cap in `ml` compares and sorts."""
    return np.unique(creators, return_inverse=True)[1].astype(np.int64)


def own_items(users: list[str], creators: np.ndarray) -> sp.csr_matrix:
    """users × items: 1 where the user created the item."""
    row_of = {user: row for row, user in enumerate(users)}
    columns = [c for c, creator in enumerate(creators) if creator in row_of]
    rows = [row_of[creators[c]] for c in columns]
    return sp.csr_matrix((np.ones(len(rows), np.float32), (rows, columns)), shape=(len(users), len(creators)))


def reduce_dimensions(embeddings: np.ndarray, dim: int) -> np.ndarray:
    """PCA to `dim` components when the embeddings are wider (scoring cost grows with the width);
    items without an embedding stay zero rows, so they add nothing to profiles and match nothing."""
    present = np.any(embeddings != 0, axis=1)
    if embeddings.shape[1] <= dim or present.sum() <= dim:
        return embeddings
    reduced = np.zeros((len(embeddings), dim), np.float32)
    reduced[present] = PCA(n_components=dim, random_state=0).fit_transform(embeddings[present])
    return reduced


def stack(parts: list[Recommendations]) -> Recommendations:
    """Batches of users' recommendations as one, rows in batch order."""
    names = sorted({name for part in parts for name in part.sources})
    return Recommendations(
        np.vstack([p.items for p in parts]),
        np.vstack([p.scores for p in parts]),
        {name: np.vstack([p.sources.get(name, np.zeros_like(p.scores)) for p in parts]) for name in names},
    )
