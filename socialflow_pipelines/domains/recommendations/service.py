"""What the recommendation assets and the API ask for: the interaction matrix, the collaborative
model (LightFM, EASE or their blend, published when not worse than the published one), the
hourly lists of every active user, and one user's list on request (cached, stored, or cold start).

The interaction matrix and the model live in the model store under `INTERACTIONS_NAME` and
`MODEL_NAME`; everything here reads them through `ModelStore.load_published`.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

import anyio
import numpy as np
import polars as pl
import scipy.sparse as sp
from lightfm.cross_validation import random_train_test_split
from threadpoolctl import threadpool_limits

from socialflow_pipelines.config import Settings
from socialflow_pipelines.domains.recommendations import store
from socialflow_pipelines.domains.recommendations.records import RecommendationList, RecommendedItem
from socialflow_pipelines.domains.recommendations.scoring import (
    HourlyScorer,
    ScoredLists,
    blend_weights,
    creator_codes,
    event_weights,
    recommendation_lists,
)
from socialflow_pipelines.ml.recommendations import (
    DEFAULT_MAX_ITEMS,
    Choice,
    CollaborativeModel,
    EaseRecommender,
    HybridRecommender,
    Interactions,
    as_collaborative_model,
    build_interactions,
    choose,
    evaluate_choices,
    popularity_ranking,
    recommend_items,
)
from socialflow_pipelines.platform.cache import RedisCache, read_or_load, recommendations_key
from socialflow_pipelines.platform.db.engine import Database
from socialflow_pipelines.platform.model_store import Gate, ModelStore, Publication

INTERACTIONS_NAME = "interaction_matrix"
MODEL_NAME = "recommendation_model"
MIN_INTERACTIONS = 50  # below this a held-out split holds a handful of positives: keep the published model
ListSource = Literal["cache", "store", "cold_start"]

# --------------------------------------------------------------------------------------------
# The interaction matrix


@dataclass(frozen=True)
class InteractionsBuilt:
    """The new matrix's publication, its sizes and growth (`facts`), and the events behind it."""

    publication: Publication
    facts: dict[str, Any]
    events_by_type: dict[str, int]


def build_interaction_matrix(
    settings: Settings, db: Database, models: ModelStore, now: datetime
) -> InteractionsBuilt:
    """Users × items implicit feedback over the last `REC_LOOKBACK_DAYS`, indexed stably: the
    published matrix's users and items keep their positions, new ones are appended. Every new
    matrix is published (there is nothing to gate it on)."""
    published = models.load_published(INTERACTIONS_NAME)
    previous: Interactions | None = published[0] if published else None
    events = store.read_engagement(db, now - timedelta(days=settings.rec_lookback_days))
    interactions = build_interactions(
        events.select("user_id", "item_id", "event_type", "created_at"),
        event_weights=event_weights(settings),
        half_life_days=settings.rec_half_life_days,
        users=previous.users if previous else None,
        items=previous.items if previous else None,
    )
    n_users, n_items = interactions.matrix.shape
    nnz = int(interactions.matrix.nnz)
    facts = {
        "events": events.height,
        "users": n_users,
        "items": n_items,
        "nnz": nnz,
        "density": round(nnz / max(n_users * n_items, 1), 6),
        "new_users": n_users - (len(previous.users) if previous else 0),
        "new_items": n_items - (len(previous.items) if previous else 0),
    }
    publication = models.publish_candidate(
        INTERACTIONS_NAME,
        interactions,
        metrics=facts,
        params={
            "event_weights": event_weights(settings),
            "half_life_days": settings.rec_half_life_days,
            "lookback_days": settings.rec_lookback_days,
        },
        gate=Gate(None),
    )
    by_type = dict(events.group_by("event_type").len().iter_rows()) if events.height else {}
    return InteractionsBuilt(publication, facts, by_type)


# --------------------------------------------------------------------------------------------
# The model


@dataclass(frozen=True)
class TrainingParams:
    """LightFM's hyperparameters, EASE's vocabulary limit, which collaborative model to serve
    (`auto`: the best of LightFM, EASE and their blend on the held-out split), the held-out split
    and the gate's cut-off and tolerance."""

    no_components: int
    epochs: int
    learning_rate: float
    item_alpha: float
    user_alpha: float
    use_weights: bool
    holdout: float
    k: int
    tolerance: float
    num_threads: int
    seed: int
    collaborative: Choice | Literal["auto"] = "auto"
    ease_max_items: int = DEFAULT_MAX_ITEMS

    @property
    def gate_metric(self) -> str:
        return f"precision_at_{self.k}"


@dataclass(frozen=True)
class NotTrained:
    """Too little data for a candidate: the published version (if any) stays."""

    reason: str
    published_version: str | None


def train_model(db: Database, models: ModelStore, params: TrainingParams) -> Publication | NotTrained:
    """LightFM with item features (categories, topics, tags) and user features (language), so new
    items and users are placed by their features, and EASE over the most engaged items. Each of
    LightFM, EASE and their blend is fitted on a random share of the interactions and scored on the
    rest, next to a popularity ranking; the best on precision@k is chosen (or the configured one),
    refitted on everything and published unless its held-out precision@k is worse than the
    published model's by more than the tolerance."""
    published = models.load_published(INTERACTIONS_NAME)
    have = 0 if published is None else published[0].matrix.nnz
    if published is None or have < MIN_INTERACTIONS:
        return NotTrained(
            f"{have} interactions; training needs {MIN_INTERACTIONS}", models.published_version(MODEL_NAME)
        )
    interactions, interactions_version = published
    item_features = store.read_item_features(db)
    user_features = store.read_user_features(db)
    started = time.perf_counter()
    metrics, ease_scale = held_out_metrics(interactions, item_features, user_features, params)
    choice: Choice = metrics["collaborative_choice"]
    ease = None
    if choice != "lightfm":
        # The scale chosen on the split: one inverse on everything instead of the grid again.
        ease = fit_ease(params, lambda_scales=(ease_scale,)).fit(interactions.matrix, interactions.items)
    model = CollaborativeModel(
        lightfm=fit_model(params, interactions.matrix, interactions, item_features, user_features),
        ease=ease,
        choice=choice,
    )
    metrics |= {
        "users": len(interactions.users),
        "items": len(interactions.items),
        "interactions": int(interactions.matrix.nnz),
        "items_with_features": sum(1 for key in interactions.items.ids if item_features.get(key)),
        "item_features": len(model.lightfm.item_vocabulary),
        "user_features": len(model.lightfm.user_vocabulary),
        "ease_items": 0 if ease is None else len(ease.items),
        "training_s": round(time.perf_counter() - started, 2),
    }
    return models.publish_candidate(
        MODEL_NAME,
        model,
        metrics=metrics,
        params={**asdict(params), "interactions_version": interactions_version.version},
        gate=Gate(params.gate_metric, params.tolerance),
        mirror_to=db,
    )


def fit_model(
    params: TrainingParams,
    matrix: sp.csr_matrix,
    interactions: Interactions,
    item_features: dict[str, dict[str, float]],
    user_features: dict[str, list[str]],
) -> HybridRecommender:
    """One configured LightFM fit, for the held-out measurement and for the published model alike."""
    return HybridRecommender(
        no_components=params.no_components,
        learning_rate=params.learning_rate,
        item_alpha=params.item_alpha,
        user_alpha=params.user_alpha,
        random_state=params.seed,
    ).fit(
        matrix,
        interactions.users,
        interactions.items,
        item_features=item_features or None,
        user_features=user_features or None,
        use_weights=params.use_weights,
        epochs=params.epochs,
        num_threads=params.num_threads,
    )


def fit_ease(params: TrainingParams, **overrides: Any) -> EaseRecommender:
    """An unfitted EASE configured as `params` say (its λ picked on its own validation share)."""
    return EaseRecommender(max_items=params.ease_max_items, k=params.k, seed=params.seed, **overrides)


def held_out_metrics(
    interactions: Interactions,
    item_features: dict[str, dict[str, float]],
    user_features: dict[str, list[str]],
    params: TrainingParams,
) -> tuple[dict[str, Any], float]:
    """(metrics, EASE's λ scale) on one random split: precision/recall/NDCG/MAP@k and AUC of LightFM,
    EASE, their blend and popularity, each under its prefix; the chosen one's also unprefixed (what
    the gate compares) with `collaborative_choice`."""
    train, test = random_train_test_split(
        interactions.matrix.tocoo(),
        test_percentage=params.holdout,
        random_state=np.random.RandomState(params.seed),
    )
    train, test = train.tocsr(), test.tocsr()
    lightfm = fit_model(params, train, interactions, item_features, user_features)
    users, _ = lightfm.user_representations()
    items, bias = lightfm.item_representations()
    ease = fit_ease(params).fit(train, interactions.items)
    by_choice = evaluate_choices(
        lightfm,
        ease,
        (users, items, bias),
        interactions.items.ids,
        train,
        test,
        params.k,
        num_threads=params.num_threads,
    )
    gate = params.gate_metric
    choice = choose({c: found[gate] for c, found in by_choice.items()})
    if params.collaborative != "auto":
        choice = params.collaborative
    baseline = popularity_ranking(train, test, params.k, num_threads=params.num_threads)
    metrics = {
        **{name: round(float(value), 5) for name, value in by_choice[choice].items()},
        **{
            f"{prefix}_{name}": round(float(value), 5)
            for prefix, found in (*by_choice.items(), ("popularity", baseline))
            for name, value in found.items()
        },
        "collaborative_choice": choice,
        "ease_l2": round(ease.l2, 3),
        "split": f"random {1 - params.holdout:.0%}/{params.holdout:.0%} of interactions, seed {params.seed}",
    }
    return metrics, ease.scale


# --------------------------------------------------------------------------------------------
# Hourly recommendations


@dataclass(frozen=True)
class HourlyRecommendations:
    """One hourly run: every active user's lists per content type, as stored."""

    users: int
    model_version: str
    scored: dict[str, ScoredLists]
    scoring_s: float
    blend_weights: dict[str, float]

    @property
    def lists_by_type(self) -> dict[str, list[RecommendationList]]:
        return {content_type: scored.lists for content_type, scored in self.scored.items()}

    @property
    def excluded_hits(self) -> int:
        return sum(scored.excluded_hits for scored in self.scored.values())

    def cache_items(self) -> Iterator[tuple[str, dict[str, Any]]]:
        """One Redis key per (user, content type) with its list, built as the cache takes them
        (nothing is built when there is no Redis: 60,000 payloads at 20,000 users)."""
        for lists in self.lists_by_type.values():
            for found in lists:
                yield recommendations_key(found.user_id, found.content_type), found.payload()


def recommend_for_active_users(
    settings: Settings,
    db: Database,
    models: ModelStore,
    *,
    content_types: Iterable[str],
    embedding_dim: int,
    num_threads: int,
    now: datetime,
) -> HourlyRecommendations:
    """Top `REC_TOP_K` per user engaged in the last `REC_ACTIVE_DAYS` and content type, scored
    with the published model (content and trending only while there is none); each content type's
    rows replace its previous ones in one transaction."""
    users = store.active_users(db, now - timedelta(days=settings.rec_active_days))
    published = models.load_published(MODEL_NAME)
    model = (as_collaborative_model(published[0]), published[1].version) if published else None
    scorer = HourlyScorer(
        db, settings, users, model, now=now, embedding_dim=embedding_dim, num_threads=num_threads
    )
    started = time.perf_counter()
    with threadpool_limits(limits=num_threads):
        scored = {content_type: scorer.score(content_type) for content_type in content_types}
    seconds = time.perf_counter() - started
    run = HourlyRecommendations(len(users), scorer.model_version, scored, seconds, blend_weights(settings))
    store.write_recommendations(db, run.lists_by_type)
    return run


# --------------------------------------------------------------------------------------------
# One user's list, on request


async def recommendations_for(
    settings: Settings,
    db: Database,
    cache: RedisCache | None,
    user_id: str,
    content_type: str,
    *,
    limit: int,
    excluded: set[str],
) -> tuple[RecommendationList, ListSource]:
    """(the list served, where it came from): Redis first; the results store when the key is
    missing (written back to Redis) or Redis is down; a cold-start list when the hourly job has
    not scored the user (computed in a worker thread: it reads the store)."""
    found, source = await read_or_load(
        cache,
        recommendations_key(user_id, content_type),
        settings.rec_cache_ttl,
        lambda: store.read_list(db, user_id, content_type),
        RecommendationList.payload,
    )
    if source == "cache":
        # Build only what can be served: the stored list is longer than most limits, and the
        # exclusions remove at most len(excluded) of its first limit + len(excluded) items.
        head = {**found, "items": found["items"][: limit + len(excluded)]}
        return RecommendationList.from_payload(user_id, content_type, head).served(excluded, limit), "cache"
    if found is not None:  # written back: the next read is a hit
        return found.served(excluded, limit), "store"
    cold = await anyio.to_thread.run_sync(cold_start, settings, db, user_id, content_type, limit, excluded)
    return cold.served(excluded, limit), "cold_start"


def cold_start(
    settings: Settings, db: Database, user_id: str, content_type: str, limit: int, exclude: set[str]
) -> RecommendationList:
    """What a user without precomputed recommendations gets: trending items (the blend's trending
    strategy alone) minus their own, consumed, rejected and excluded items, with the hourly job's
    creator-diversity cap; or the most followed accounts they do not follow yet."""
    if content_type == "user":
        accounts = store.popular_accounts(db, user_id, limit, exclude)
        shares = [1.0 - position / max(len(accounts), 1) for position in range(len(accounts))]
        items = tuple(
            RecommendedItem(account, share, position + 1, {"popular": share})
            for position, (account, share) in enumerate(zip(accounts, shares, strict=True))
        )
        return RecommendationList(user_id, content_type, items)
    trending = store.read_trending(db, content_type, settings.rec_trending_window)
    catalog = store.read_catalog(db, content_type).filter(pl.col("content_id").is_in(list(trending)))
    if catalog.is_empty():
        return RecommendationList(user_id, content_type, ())
    ids = catalog["content_id"].to_numpy()
    blocked = exclude | store.consumed_ids(db, user_id, content_type)
    blocked_mask = np.isin(ids, list(blocked)) | (catalog["creator_id"].to_numpy() == user_id)
    found = recommend_items(
        limit,
        n_users=1,
        trending_scores=np.array([trending[i] for i in ids], np.float32),
        exclude=sp.csr_matrix(blocked_mask[None, :].astype(np.float32)),
        creators=creator_codes(catalog["creator_id"].to_numpy()),
        weights={"trending": 1.0},
        max_per_creator=settings.rec_max_per_creator,
        num_threads=1,
    )
    lists = recommendation_lists(found, [user_id], ids, content_type, model_version=None, generated_at=None)
    return lists[0] if lists else RecommendationList(user_id, content_type, ())
