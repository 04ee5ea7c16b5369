"""Recommendations: the interaction matrix, the LightFM hybrid trained daily, and the hourly top 100 per
active user and content type (video, post, accounts to follow) into the results store and Redis.

- `interaction_matrix` (daily): implicit feedback from engagement, weighted by event type and decayed
  by age (settings `REC_WEIGHT_*`, `REC_HALF_LIFE_DAYS`). Users and items keep their rows and columns
  across runs: the matrix and its indexes are published in the model store and the next run extends them.
- `recommendation_model` (daily): WARP LightFM over identity + content features (categories, topics,
  tags) and the user's language, EASE over the most engaged items, and their blend; the best on
  held-out precision@k is served. Every model's held-out precision@k, recall@k, AUC (and a popularity
  baseline) are stored with the version; the `not_worse_than_published` check gates publication.
- `recommendations` (hourly): collaborative + content-based + trending blended (`REC_BLEND_*`,
  40/40/20 by default) after rank normalisation; own, consumed and rejected items excluded; at most
  `REC_MAX_PER_CREATOR` items of one creator in any ten. Accounts to follow from the follow graph,
  interest similarity and popularity.

The work is `domains.recommendations.service`; each asset asks it once and reports what it did.
"""

from itertools import islice
from typing import Literal

import dagster as dg
import polars as pl
from pydantic import Field

from socialflow_pipelines.defs.common import (
    SEED_RETRY_POLICY,
    gate_check_spec,
    markdown_table,
    published_model_result,
    skipped_model_result,
)
from socialflow_pipelines.defs.recommendations.checks import (
    RECOMMENDATION_CHECK_SPECS,
    recommendation_checks,
)
from socialflow_pipelines.defs.resources import (
    DatabaseResource,
    ModelStoreResource,
    RedisResource,
    SettingsResource,
)
from socialflow_pipelines.domains.recommendations import service
from socialflow_pipelines.domains.recommendations.records import ROW_SCHEMA, RecommendationList
from socialflow_pipelines.ml.recommendations import DEFAULT_MAX_ITEMS
from socialflow_pipelines.platform.time import utc_now

GROUP = "recommendations"
CONTENT_ASSETS = ["content_features", "content_embeddings"]


@dg.asset(
    group_name=GROUP,
    deps=["engagement_events"],
    retry_policy=SEED_RETRY_POLICY,
    kinds={"polars", "scipy"},
)
def interaction_matrix(
    context: dg.AssetExecutionContext,
    settings: SettingsResource,
    database: DatabaseResource,
    model_store: ModelStoreResource,
) -> dg.MaterializeResult:
    """Users × items implicit feedback over the last `REC_LOOKBACK_DAYS`, indexed stably: last run's
    users and items keep their positions, new ones are appended. Published in the model store,
    where `recommendation_model` reads it."""
    built = service.build_interaction_matrix(settings.get(), database.database, model_store.store, utc_now())
    version = built.publication.candidate.version
    facts = built.facts
    context.log.info(
        f"interactions {version}: {facts['users']} users x {facts['items']} items, {facts['nnz']} entries"
    )
    return dg.MaterializeResult(
        metadata={**facts, "version": version, "events_by_type": dg.MetadataValue.json(built.events_by_type)}
    )


class RecommendationModelConfig(dg.Config):
    """LightFM's hyperparameters, EASE's vocabulary, which collaborative model to serve, and how the
    candidate is judged before it replaces the published one."""

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
    collaborative: Literal["auto", "lightfm", "ease", "blend"] = Field(
        default="auto", description="auto: the best of LightFM, EASE and their blend on the held-out split."
    )
    ease_max_items: int = Field(
        default=DEFAULT_MAX_ITEMS,
        ge=10,
        le=20_000,
        description="EASE's dense vocabulary: its cost grows as N^3.",
    )


@dg.asset(
    group_name=GROUP,
    deps=[interaction_matrix, *CONTENT_ASSETS, "users"],
    retry_policy=SEED_RETRY_POLICY,
    kinds={"lightfm", "sql"},
    check_specs=[gate_check_spec("recommendation_model", "precision@k")],
)
def recommendation_model(
    config: RecommendationModelConfig, database: DatabaseResource, model_store: ModelStoreResource
) -> dg.MaterializeResult:
    """WARP LightFM with item features (categories, topics, tags) and user features (language), so new
    items and users are placed by their features, and EASE over the most engaged items. LightFM,
    EASE and their blend are trained on a random 80% of the interactions and scored on the rest
    (train items excluded from the ranking), next to a popularity ranking; the best is refitted on
    everything and published."""
    params = service.TrainingParams(**config.model_dump())
    outcome = service.train_model(database.database, model_store.store, params)
    if isinstance(outcome, service.NotTrained):
        return skipped_model_result(outcome.reason, outcome.published_version, {})
    metrics, gate = outcome.candidate.metrics, params.gate_metric
    return published_model_result(
        outcome,
        {
            "collaborative_choice": metrics["collaborative_choice"],
            gate: metrics[gate],
            f"recall_at_{params.k}": metrics[f"recall_at_{params.k}"],
            "auc": metrics["auc"],
            f"popularity_{gate}": metrics[f"popularity_{gate}"],
            "held_out_by_model": markdown_table(held_out_table(metrics, params.k)),
            "held_out": dg.MetadataValue.json(metrics),
        },
    )


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
    check_specs=RECOMMENDATION_CHECK_SPECS,
)
def recommendations(
    context: dg.AssetExecutionContext,
    config: RecommendationsConfig,
    settings: SettingsResource,
    database: DatabaseResource,
    redis: RedisResource,
    model_store: ModelStoreResource,
) -> dg.MaterializeResult:
    """Top `REC_TOP_K` per active user (engaged in the last `REC_ACTIVE_DAYS`) and content type. Each
    content type's rows replace its previous rows in one transaction; Redis gets one `SET ... EX` per
    (user, content type). Users the model has not seen get content and trending."""
    tunables = settings.get()
    run = service.recommend_for_active_users(
        tunables,
        database.database,
        model_store.store,
        content_types=config.content_types,
        embedding_dim=config.embedding_dim,
        num_threads=config.num_threads,
        now=utc_now(),
    )
    cached = redis.publish(run.cache_items(), tunables.rec_cache_ttl, "recommendations")
    seconds = run.scoring_s
    context.log.info(f"scored {run.users} users x {len(run.scored)} content types in {seconds:.1f} s")
    return dg.MaterializeResult(
        metadata={
            "users_scored": run.users,
            "users_per_s": round(run.users / seconds, 1) if seconds > 0 else 0.0,  # all types per user
            "scoring_s": round(seconds, 2),
            "model_version": run.model_version,
            "rows": sum(len(found.items) for lists in run.lists_by_type.values() for found in lists),
            "coverage": dg.MetadataValue.json({t: scored.coverage for t, scored in run.scored.items()}),
            "redis_keys": cached,
            "blend_weights": dg.MetadataValue.json(run.blend_weights),
            "preview": markdown_table(_preview(run.lists_by_type), limit=30),
        },
        check_results=recommendation_checks(run.lists_by_type, run.excluded_hits),
    )


def held_out_table(metrics: dict, k: int) -> pl.DataFrame:
    """One row per model measured on the held-out split: precision and recall at k, AUC."""
    columns = (f"precision_at_{k}", f"recall_at_{k}", "auc")
    return pl.DataFrame(
        [
            {"model": name, **{column: metrics[f"{name}_{column}"] for column in columns}}
            for name in ("lightfm", "ease", "blend", "popularity")
            if f"{name}_{columns[0]}" in metrics
        ]
    )


def _preview(lists_by_type: dict[str, list[RecommendationList]]) -> pl.DataFrame:
    """The first ten rows of each content type."""
    rows = [
        row
        for lists in lists_by_type.values()
        for row in islice((row for found in lists for row in found.rows()), 10)
    ]
    frame = pl.DataFrame(rows, schema=ROW_SCHEMA)
    return frame.select("content_type", "user_id", "rank", "item_id", "score", "sources")


ASSETS = (interaction_matrix, recommendation_model, recommendations)
