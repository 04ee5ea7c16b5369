"""Recommendations: the interaction matrix, the LightFM hybrid trained daily, and the hourly top 100 per
active user and content type (video, post, accounts to follow) into the results store and Redis.

- `interaction_matrix` (daily): implicit feedback from engagement, weighted by event type and decayed
  by age (settings `REC_WEIGHT_*`, `REC_HALF_LIFE_DAYS`). Users and items keep their rows and columns
  across runs: the matrix and its indexes are saved in the model store and the next run extends them.
- `recommendation_model` (daily): WARP LightFM over identity + content features (categories, topics,
  tags) and the user's language; held-out precision@k, recall@k, AUC (and a popularity baseline) are
  stored with the version; the `not_worse_than_published` check gates publication.
- `recommendations` (hourly): collaborative + content-based + trending blended (`REC_BLEND_*`,
  40/40/20 by default) after rank normalisation; own, consumed and rejected items excluded; at most
  `REC_MAX_PER_CREATOR` items of one creator in any ten. Accounts to follow from the follow graph,
  interest similarity and popularity.
"""

import json
import time
from datetime import timedelta
from typing import Any

import dagster as dg
import numpy as np
import polars as pl
import scipy.sparse as sp
from lightfm.cross_validation import random_train_test_split
from pydantic import Field
from sklearn.decomposition import PCA
from threadpoolctl import threadpool_limits

from socialflow_pipelines.config import Settings, get_settings
from socialflow_pipelines.defs.common import SEED_RETRY_POLICY, markdown_table
from socialflow_pipelines.defs.resources import DatabaseResource, ModelStoreResource, RedisResource
from socialflow_pipelines.domains.recommendations.store import (
    INTERACTIONS_NAME,
    MODEL_NAME,
    active_users,
    blend_weights,
    event_weights,
    follow_weights,
    read_catalog,
    read_embeddings,
    read_engagement,
    read_follows,
    read_item_features,
    read_trending,
    read_user_features,
)
from socialflow_pipelines.ml.recommendations import (
    HybridRecommender,
    IdIndex,
    Interactions,
    Recommendations,
    blend,
    build_interactions,
    content_profiles,
    evaluate_ranking,
    follow_candidates,
    recommend_items,
    recommendations_frame,
)
from socialflow_pipelines.ml.recommendations import (
    interaction_matrix as sum_interactions,
)
from socialflow_pipelines.platform.cache import recommendations_key
from socialflow_pipelines.platform.db import schema
from socialflow_pipelines.platform.db.engine import Database
from socialflow_pipelines.platform.model_store import Gate, ModelStore, mirror_model_versions
from socialflow_pipelines.platform.time import utc_now

GROUP = "recommendations"
CONTENT_ASSETS = ["content_features", "content_embeddings"]
MIN_INTERACTIONS = 50  # below this a held-out split holds a handful of positives: keep the published model
FOLLOW_BATCH = 2_000  # users per co-follow product: (batch × users) @ users stays a few MB

# --------------------------------------------------------------------------------------------
# The interaction matrix


@dg.asset(
    group_name=GROUP,
    deps=["engagement_events"],
    retry_policy=SEED_RETRY_POLICY,
    kinds={"polars", "scipy"},
)
def interaction_matrix(
    context: dg.AssetExecutionContext, database: DatabaseResource, model_store: ModelStoreResource
) -> dg.MaterializeResult:
    """Users × items implicit feedback over the last `REC_LOOKBACK_DAYS`, indexed stably: last run's
    users and items keep their positions, new ones are appended. Saved (and published) in the model
    store, where `recommendation_model` reads it."""
    settings, db, registry = get_settings(), database.database, model_store.store
    previous = published_interactions(registry)
    events = read_engagement(db, utc_now() - timedelta(days=settings.rec_lookback_days))
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
    version = registry.save(
        INTERACTIONS_NAME,
        interactions,
        metrics=facts,
        params={
            "event_weights": event_weights(settings),
            "half_life_days": settings.rec_half_life_days,
            "lookback_days": settings.rec_lookback_days,
        },
    )
    registry.publish(INTERACTIONS_NAME, version.version)
    context.log.info(f"interactions {version.version}: {n_users} users x {n_items} items, {nnz} entries")
    return dg.MaterializeResult(
        metadata={
            **facts,
            "version": version.version,
            "events_by_type": dg.MetadataValue.json(
                dict(events.group_by("event_type").len().iter_rows()) if events.height else {}
            ),
        }
    )


def published_interactions(registry: ModelStore) -> Interactions | None:
    if registry.published_version(INTERACTIONS_NAME) is None:
        return None
    interactions, _ = registry.load(INTERACTIONS_NAME)
    return interactions


# --------------------------------------------------------------------------------------------
# The model


class RecommendationModelConfig(dg.Config):
    """LightFM's hyperparameters and how the candidate is judged before it replaces the published one."""

    no_components: int = Field(default=64, ge=2, le=512)
    epochs: int = Field(default=30, ge=1, le=500)
    learning_rate: float = Field(default=0.05, gt=0)
    item_alpha: float = Field(default=0.0, ge=0)
    user_alpha: float = Field(default=0.0, ge=0)
    use_weights: bool = Field(default=True, description="log1p of the feedback weight scales each positive.")
    holdout: float = Field(default=0.2, gt=0, lt=1, description="Share of interactions held out for metrics.")
    k: int = Field(default=10, ge=1, le=100, description="Cut-off of precision@k / recall@k.")
    tolerance: float = Field(default=0.02, ge=0, le=1, description="precision@k the candidate may lose.")
    num_threads: int = Field(default=2, ge=1, description="1 makes training reproducible.")
    seed: int = 42


@dg.asset(
    group_name=GROUP,
    deps=[interaction_matrix, *CONTENT_ASSETS, "users"],
    retry_policy=SEED_RETRY_POLICY,
    kinds={"lightfm", "sql"},
    check_specs=[
        dg.AssetCheckSpec(
            "not_worse_than_published",
            asset="recommendation_model",
            description="Held-out precision@k within tolerance of the published version's.",
        )
    ],
)
def recommendation_model(
    context: dg.AssetExecutionContext,
    config: RecommendationModelConfig,
    database: DatabaseResource,
    model_store: ModelStoreResource,
) -> dg.MaterializeResult:
    """WARP LightFM with item features (categories, topics, tags) and user features (language), so new
    items and users are placed by their features. Metrics come from a model trained on a random 80%
    of the interactions and scored on the rest (train items excluded from the ranking), next to a
    popularity ranking; the published model is then refitted on everything."""
    db, registry = database.database, model_store.store
    interactions = published_interactions(registry)
    published = registry.published_version(MODEL_NAME)
    gate = f"precision_at_{config.k}"
    if interactions is None or interactions.matrix.nnz < MIN_INTERACTIONS:
        have = 0 if interactions is None else interactions.matrix.nnz
        reason = f"{have} interactions; training needs {MIN_INTERACTIONS}"
        context.log.info(f"recommendation_model not trained: {reason}")
        return dg.MaterializeResult(
            metadata={"status": "skipped", "reason": reason, "published_version": published or "none"},
            check_results=[
                dg.AssetCheckResult(
                    check_name="not_worse_than_published",
                    passed=True,
                    metadata={"candidate": "none", "reason": reason},
                )
            ],
        )

    item_features = read_item_features(db)
    user_features = read_user_features(db)
    started = time.perf_counter()
    metrics = held_out_metrics(interactions, item_features, user_features, config)
    model = _fit_model(config, interactions.matrix, interactions, item_features, user_features)
    seconds = time.perf_counter() - started
    featured = sum(1 for key in interactions.items.ids if item_features.get(key))
    metrics |= {
        "users": len(interactions.users),
        "items": len(interactions.items),
        "interactions": int(interactions.matrix.nnz),
        "items_with_features": featured,
        "item_features": len(model.item_vocabulary),
        "user_features": len(model.user_vocabulary),
        "training_s": round(seconds, 2),
    }
    version = registry.save(
        MODEL_NAME,
        model,
        metrics=metrics,
        params={**config.model_dump(), "interactions_version": registry.published_version(INTERACTIONS_NAME)},
    )
    current = registry.describe(MODEL_NAME, published).metrics if published else None
    passed = Gate(gate, config.tolerance).allows(metrics, current)
    if passed:
        registry.publish(MODEL_NAME, version.version)
    status = "published" if passed else "rejected"
    mirror_model_versions(db, version, status, replaced=published if passed else None)
    context.log.info(f"{MODEL_NAME} {version.version}: {status} ({gate} {metrics[gate]:.4f})")
    return dg.MaterializeResult(
        metadata={
            "status": status,
            "version": version.version,
            "published_version": version.version if passed else (published or "none"),
            gate: metrics[gate],
            f"recall_at_{config.k}": metrics[f"recall_at_{config.k}"],
            "auc": metrics["auc"],
            f"popularity_{gate}": metrics[f"popularity_{gate}"],
            "held_out": dg.MetadataValue.json(metrics),
        },
        check_results=[
            dg.AssetCheckResult(
                check_name="not_worse_than_published",
                passed=passed,
                severity=dg.AssetCheckSeverity.WARN,
                metadata={
                    "candidate": version.version,
                    f"candidate_{gate}": metrics[gate],
                    "published": published or "none",
                    f"published_{gate}": None if current is None else current.get(gate),
                    "tolerance": config.tolerance,
                },
            )
        ],
    )


def _fit_model(
    config: RecommendationModelConfig,
    matrix: sp.csr_matrix,
    interactions: Interactions,
    item_features: dict[str, dict[str, float]],
    user_features: dict[int, list[str]],
) -> HybridRecommender:
    """One configured fit, for the held-out measurement and for the published model alike."""
    return HybridRecommender(
        no_components=config.no_components,
        learning_rate=config.learning_rate,
        item_alpha=config.item_alpha,
        user_alpha=config.user_alpha,
        random_state=config.seed,
    ).fit(
        matrix,
        interactions.users,
        interactions.items,
        item_features=item_features or None,
        user_features=user_features or None,
        use_weights=config.use_weights,
        epochs=config.epochs,
        num_threads=config.num_threads,
    )


def held_out_metrics(
    interactions: Interactions,
    item_features: dict[str, dict[str, float]],
    user_features: dict[int, list[str]],
    config: RecommendationModelConfig,
) -> dict[str, Any]:
    """precision/recall/NDCG/MAP@k and AUC of the hybrid and of popularity on one random split."""
    train, test = random_train_test_split(
        interactions.matrix.tocoo(),
        test_percentage=config.holdout,
        random_state=np.random.RandomState(config.seed),
    )
    train, test = train.tocsr(), test.tocsr()
    model = _fit_model(config, train, interactions, item_features, user_features)
    users, _ = model.user_representations()
    items, bias = model.item_representations()
    hybrid = evaluate_ranking(users, items, bias, train, test, config.k, num_threads=config.num_threads)
    popularity = np.asarray((train > 0).sum(axis=0), np.float32).ravel()
    baseline = evaluate_ranking(
        np.zeros((train.shape[0], 1), np.float32),
        np.zeros((train.shape[1], 1), np.float32),
        popularity,
        train,
        test,
        config.k,
        num_threads=config.num_threads,
    )
    return {
        **{name: round(float(value), 5) for name, value in hybrid.items()},
        **{f"popularity_{name}": round(float(value), 5) for name, value in baseline.items()},
        "split": f"random {1 - config.holdout:.0%}/{config.holdout:.0%} of interactions, seed {config.seed}",
    }


# --------------------------------------------------------------------------------------------
# Hourly recommendations


class RecommendationsConfig(dg.Config):
    """What the hourly job scores, and with how many threads."""

    content_types: list[str] = Field(default_factory=lambda: ["video", "post", "user"])
    embedding_dim: int = Field(
        default=64, ge=8, description="Embeddings are PCA-reduced to this: scoring cost grows with it."
    )
    num_threads: int = Field(default=2, ge=1)


@dg.asset(
    group_name=GROUP,
    deps=[
        recommendation_model,
        *CONTENT_ASSETS,
        "trending_scores",
        "moderation_results",
        "follows",
        "videos",
        "posts",
    ],
    retry_policy=SEED_RETRY_POLICY,
    kinds={"numpy", "sql", "redis"},
    check_specs=[
        dg.AssetCheckSpec(
            "no_excluded_items",
            asset="recommendations",
            description="No list holds the user's own, consumed or rejected items.",
        ),
        dg.AssetCheckSpec(
            "ranks_contiguous",
            asset="recommendations",
            description="Ranks run 1..n without gaps in every list.",
        ),
    ],
)
def recommendations(
    context: dg.AssetExecutionContext,
    config: RecommendationsConfig,
    database: DatabaseResource,
    redis: RedisResource,
    model_store: ModelStoreResource,
) -> dg.MaterializeResult:
    """Top `REC_TOP_K` per active user (engaged in the last `REC_ACTIVE_DAYS`) and content type. Each
    content type's rows replace its previous rows in one transaction; Redis gets one `SET ... EX` per
    (user, content type). Users the model has not seen get content and trending."""
    settings, db, registry = get_settings(), database.database, model_store.store
    now = utc_now()
    users = active_users(db, now - timedelta(days=settings.rec_active_days))
    model, model_version = _published_model(registry)
    scorer = HourlyScorer(db, settings, users, model, config)
    started = time.perf_counter()
    frames: dict[str, pl.DataFrame] = {}
    facts: dict[str, Any] = {}
    with threadpool_limits(limits=config.num_threads):
        for content_type in config.content_types:
            frame, coverage, excluded_hits = scorer.score(content_type)
            frames[content_type] = frame.with_columns(
                pl.lit(content_type).alias("content_type"),
                pl.lit(model_version).alias("model_version"),
                pl.lit(now).alias("generated_at"),
            )
            facts[content_type] = {"rows": frame.height, "coverage": coverage, "excluded_hits": excluded_hits}
    seconds = time.perf_counter() - started
    write_recommendations(db, frames)
    cached = publish_recommendations(redis, frames, settings.rec_cache_ttl, now)
    checks = recommendation_checks(frames, sum(f["excluded_hits"] for f in facts.values()))
    context.log.info(f"scored {len(users)} users x {len(frames)} content types in {seconds:.1f} s")
    preview = (
        pl.concat([f.head(10) for f in frames.values() if f.height], how="vertical_relaxed")
        if any(f.height for f in frames.values())
        else pl.DataFrame()
    )
    return dg.MaterializeResult(
        metadata={
            "users_scored": len(users),
            "users_per_s": round(len(users) / seconds, 1) if seconds > 0 else 0.0,  # all types per user
            "scoring_s": round(seconds, 2),
            "model_version": model_version,
            "rows": sum(f.height for f in frames.values()),
            "coverage": dg.MetadataValue.json({t: f["coverage"] for t, f in facts.items()}),
            "redis_keys": cached,
            "blend_weights": dg.MetadataValue.json(blend_weights(settings)),
            "preview": markdown_table(
                preview.select("content_type", "user_id", "rank", "item_id", "score", "sources")
                if preview.height
                else preview,
                limit=30,
            ),
        },
        check_results=checks,
    )


def recommendation_checks(frames: dict[str, pl.DataFrame], excluded_hits: int) -> list[dg.AssetCheckResult]:
    """The run's checks: `excluded_hits` own, consumed or rejected items recommended (summed from
    `_finish` over the content types), and ranks 1..n per list in every content type's frame."""
    broken = [
        f"{content_type}:{user}" for content_type, f in frames.items() for user in _broken_rank_lists(f)
    ]
    return [
        dg.AssetCheckResult(
            check_name="no_excluded_items",
            passed=excluded_hits == 0,
            metadata={"own_consumed_or_rejected_recommended": excluded_hits},
        ),
        dg.AssetCheckResult(
            check_name="ranks_contiguous",
            passed=not broken,
            metadata={"lists_with_gaps": len(broken), "lists": ", ".join(sorted(broken)[:20]) or "none"},
        ),
    ]


def _published_model(registry: ModelStore) -> tuple[HybridRecommender | None, str]:
    if registry.published_version(MODEL_NAME) is None:
        return None, "none"
    model, version = registry.load(MODEL_NAME)
    return model, version.version


class HourlyScorer:
    """Reads what the strategies need once per run and scores one content type at a time."""

    def __init__(
        self,
        db: Database,
        settings: Settings,
        users: list[int],
        model: HybridRecommender | None,
        config: RecommendationsConfig,
    ) -> None:
        self.db, self.settings, self.users, self.model, self.config = db, settings, users, model, config
        self.events = read_engagement(
            db, utc_now() - timedelta(days=settings.rec_lookback_days), user_ids=None
        )
        self.user_features = read_user_features(db) if model is not None else {}
        self.user_index = IdIndex(users)

    def score(self, content_type: str) -> tuple[pl.DataFrame, float, int]:
        """(rows user_id, rank, item_id, score, sources JSON; catalog coverage; excluded items
        recommended, which must be 0)."""
        if content_type == "user":
            return self._accounts()
        return self._items(content_type)

    def _items(self, content_type: str) -> tuple[pl.DataFrame, float, int]:
        catalog = read_catalog(self.db, content_type).with_columns(
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
        consumed = sum_interactions(
            typed["user_id"].to_list(), typed["item_id"].to_list(), None, self.user_index, item_index
        )
        exclude = (consumed + _own_items(self.users, creators)).tocsr()
        collaborative = None
        if self.model is not None and len(keys):
            user_vectors, _ = self.model.user_representations(self.users, self.user_features)
            item_vectors, item_bias = self.model.item_representations(keys, read_item_features(self.db))
            collaborative = (user_vectors, item_vectors, item_bias)
        content = None
        embeddings = read_embeddings(self.db, content_type, ids.tolist())
        if embeddings is not None:
            embeddings = reduce_dimensions(embeddings, self.config.embedding_dim)
            content = (content_profiles(weights, embeddings), embeddings)
        trending = read_trending(self.db, content_type, self.settings.rec_trending_window)
        trending_scores = np.array([trending.get(int(i), np.nan) for i in ids], np.float32)
        weights = blend_weights(self.settings)
        available = {"collaborative": collaborative, "content": content, "trending": trending or None}
        if not self.users or not any(
            weights[name] > 0 and found is not None for name, found in available.items()
        ):
            return _finish(None, self.users, ids, exclude)
        recs = recommend_items(
            self.settings.rec_top_k,
            n_users=len(self.users),
            collaborative=collaborative,
            content=content,
            trending_scores=trending_scores if trending else None,
            exclude=exclude,
            creators=creators,
            weights=weights,
            max_per_creator=self.settings.rec_max_per_creator,
            num_threads=self.config.num_threads,
        )
        return _finish(recs, self.users, ids, exclude)

    def _accounts(self) -> tuple[pl.DataFrame, float, int]:
        follows = read_follows(self.db)
        everyone = IdIndex(
            [*self.users, *follows["follower_id"].to_list(), *follows["followee_id"].to_list()]
        )
        graph = sum_interactions(
            follows["follower_id"].to_list(), follows["followee_id"].to_list(), None, everyone, everyone
        )
        vectors = None
        if self.model is not None:
            vectors, _ = self.model.user_representations(everyone.ids, self.user_features)
        rows = everyone.positions(self.users)
        found: list[Recommendations] = []
        for start in range(0, len(rows), FOLLOW_BATCH):
            batch = rows[start : start + FOLLOW_BATCH]
            candidates = follow_candidates(
                graph,
                batch,
                self.settings.rec_top_k,
                user_vectors=vectors,
                num_threads=self.config.num_threads,
            )
            found.append(blend(candidates, self.settings.rec_top_k, weights=follow_weights(self.settings)))
        recs = _stack(found) if found else None
        blocked = graph[rows] + sp.csr_matrix(
            (np.ones(len(rows), np.float32), (np.arange(len(rows)), rows)), shape=(len(rows), len(everyone))
        )
        return _finish(recs, self.users, np.asarray(everyone.ids, np.int64), blocked.tocsr())


def _own_items(users: list[int], creators: np.ndarray) -> sp.csr_matrix:
    """users × items: 1 where the user created the item."""
    row_of = {user: row for row, user in enumerate(users)}
    columns = [c for c, creator in enumerate(creators) if int(creator) in row_of]
    rows = [row_of[int(creators[c])] for c in columns]
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


def _finish(
    recs: Recommendations | None, users: list[int], ids: np.ndarray, exclude: sp.csr_matrix
) -> tuple[pl.DataFrame, float, int]:
    if recs is None:
        return _empty_frame(), 0.0, 0
    picked = recs.items >= 0
    rows, positions = np.nonzero(picked)
    excluded_hits = (
        int(np.asarray(exclude[rows, recs.items[rows, positions]]).astype(bool).sum()) if len(rows) else 0
    )
    coverage = round(len(np.unique(recs.items[picked])) / max(len(ids), 1), 4)
    frame = recommendations_frame(recs, users, ids.tolist())
    if frame.is_empty():
        return _empty_frame(), coverage, excluded_hits
    frame = frame.with_columns(
        pl.col("sources").map_elements(
            lambda s: json.dumps({k: round(v, 5) for k, v in s.items() if v}), return_dtype=pl.String
        )
    )
    return frame, coverage, excluded_hits


def _empty_frame() -> pl.DataFrame:
    return pl.DataFrame(
        schema={
            "user_id": pl.Int64(),
            "rank": pl.Int32(),
            "item_id": pl.Int64(),
            "score": pl.Float64(),
            "sources": pl.String(),
        }
    )


def _stack(parts: list[Recommendations]) -> Recommendations:
    names = sorted({name for part in parts for name in part.sources})
    return Recommendations(
        np.vstack([p.items for p in parts]),
        np.vstack([p.scores for p in parts]),
        {name: np.vstack([p.sources.get(name, np.zeros_like(p.scores)) for p in parts]) for name in names},
    )


def _broken_rank_lists(frame: pl.DataFrame) -> list[int]:
    """Users whose list's ranks are not exactly 1..n (a gap, a duplicate, or not starting at 1)."""
    if frame.is_empty():
        return []
    per_user = frame.group_by("user_id").agg(
        pl.col("rank").min().alias("lo"),
        pl.col("rank").max().alias("hi"),
        pl.len(),
        pl.col("rank").n_unique(),
    )
    ok = (pl.col("lo") == 1) & (pl.col("hi") == pl.col("len")) & (pl.col("rank") == pl.col("len"))
    return sorted(int(u) for u in per_user.filter(~ok)["user_id"])


def write_recommendations(db: Database, frames: dict[str, pl.DataFrame]) -> None:
    """Each content type's rows replace its previous ones, all in one transaction."""
    table = schema.recommendations
    with db.begin() as conn:
        for content_type, frame in frames.items():
            db.replace(table, frame, table.c.content_type == content_type, connection=conn)


def cache_payload(rows: pl.DataFrame, model_version: str, generated_at: Any) -> dict[str, Any]:
    """The Redis value of one (user, content type): what the API returns, items best first."""
    return {
        "items": [
            {"id": r["item_id"], "score": r["score"], "rank": r["rank"], "sources": json.loads(r["sources"])}
            for r in rows.sort("rank").iter_rows(named=True)
        ],
        "model_version": model_version,
        "generated_at": generated_at.isoformat(),
    }


def publish_recommendations(
    redis: RedisResource, frames: dict[str, pl.DataFrame], ttl_s: int, generated_at: Any
) -> int | str:
    """One key per (user, content type) with its list; returns keys written."""
    items = []
    for content_type, frame in frames.items():
        if frame.is_empty():
            continue
        version = str(frame["model_version"][0])
        for (user_id,), rows in frame.group_by("user_id"):
            items.append(
                (recommendations_key(int(user_id), content_type), cache_payload(rows, version, generated_at))
            )
    return redis.publish(items, ttl_s, "recommendations")


# --------------------------------------------------------------------------------------------
# Jobs and schedules

recommendation_model_job = dg.define_asset_job(
    "recommendation_model_job",
    selection=dg.AssetSelection.assets(interaction_matrix, recommendation_model),
    description="Rebuild the interaction matrix, retrain the model; publish it if not worse.",
)
recommendations_job = dg.define_asset_job(
    "recommendations_job",
    selection=dg.AssetSelection.assets(recommendations),
    description="Score every active user and publish to the results store and Redis.",
)
recommendation_model_daily = dg.ScheduleDefinition(
    name="recommendation_model_daily",
    job=recommendation_model_job,
    cron_schedule="0 3 * * *",
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Daily at 03:00: rebuild the interactions, retrain the model; publish if not worse.",
)
# The seed refreshes recommendations hourly; at :20, after the :15 trending refresh.
recommendations_hourly = dg.ScheduleDefinition(
    name="recommendations_hourly",
    job=recommendations_job,
    cron_schedule="20 * * * *",
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Hourly at :20: top recommendations for every active user, to the store and Redis.",
)

ASSETS = (interaction_matrix, recommendation_model, recommendations)
jobs = [recommendation_model_job, recommendations_job]
schedules = [recommendation_model_daily, recommendations_hourly]
