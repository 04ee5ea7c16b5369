"""Viral prediction: a model learned from what went viral on the platform, and the chance of each
young item to end in the top decile of its content type at the horizon (`VIRAL_HORIZON_MINUTES`).

- `viral_model` (daily): matured items of the last `VIRAL_LOOKBACK_DAYS`, each seen at several
  ages; scored on a later time slice than it was trained on; the `not_worse_than_published` check
  gates publication on that held-out ROC AUC.
- `viral_predictions` (hourly, and for new items once moderated): every item younger than the
  horizon, at its own age, into `ml.viral_predictions` and Redis
  (`ml_prediction:viral:{content_type}:{content_id}`), with the model's per-feature contributions
  as its factors.

The work is `domains.virality.service`; each asset asks it once and reports what it did.
"""

import dagster as dg
import polars as pl
from pydantic import Field

from socialflow_pipelines.defs.common import (
    SEED_RETRY_POLICY,
    ItemScopeConfig,
    gate_check_spec,
    markdown_table,
    published_model_result,
    skipped_model_result,
)
from socialflow_pipelines.defs.resources import (
    DatabaseResource,
    ModelStoreResource,
    RedisResource,
    SettingsResource,
)
from socialflow_pipelines.defs.virality.checks import VIRAL_CHECK_SPECS, viral_checks
from socialflow_pipelines.domains.virality import service
from socialflow_pipelines.platform.time import utc_now

GROUP = "virality"


class ViralModelConfig(dg.Config):
    """The ages an item is learned at, the held-out slice, and how the candidate is judged."""

    observe_ages_minutes: list[int] = Field(default=[10, 60, 360, 1440], min_length=1)
    holdout: float = Field(default=0.25, gt=0, lt=1, description="Latest share of matured items held out.")
    tolerance: float = Field(default=0.02, ge=0, le=1, description="Held-out ROC AUC the candidate may lose.")


@dg.asset(
    group_name=GROUP,
    # What the items are (moderation scores, language, sentiment) is read where it exists.
    deps=["engagement_events", "videos", "posts", "moderation_results", "content_features"],
    retry_policy=SEED_RETRY_POLICY,
    kinds={"lightgbm", "sql"},
    check_specs=[gate_check_spec("viral_model", "roc_auc")],
)
def viral_model(
    config: ViralModelConfig,
    settings: SettingsResource,
    database: DatabaseResource,
    model_store: ModelStoreResource,
) -> dg.MaterializeResult:
    """LightGBM per content type on matured items' engagement at 10 minutes, 1, 6 and 24 hours,
    trained on the earlier three quarters of them; its held-out ROC AUC and Spearman per age are
    measured on the latest quarter."""
    params = service.TrainingParams(
        observe_ages_minutes=tuple(config.observe_ages_minutes),
        holdout=config.holdout,
        tolerance=config.tolerance,
    )
    outcome = service.train_viral_model(
        settings.get(), database.database, model_store.store, utc_now(), params
    )
    if isinstance(outcome, service.NotTrained):
        return skipped_model_result(outcome.reason, outcome.published_version, {})
    metrics = outcome.candidate.metrics
    return published_model_result(
        outcome,
        {
            "roc_auc": metrics["roc_auc"],
            "held_out": dg.MetadataValue.json(metrics),
        },
    )


@dg.asset(
    group_name=GROUP,
    deps=[viral_model, "engagement_events", "moderation_results", "content_features"],
    retry_policy=SEED_RETRY_POLICY,
    kinds={"lightgbm", "sql", "redis"},
    check_specs=VIRAL_CHECK_SPECS,
)
def viral_predictions(
    context: dg.AssetExecutionContext,
    config: ItemScopeConfig,
    settings: SettingsResource,
    database: DatabaseResource,
    redis: RedisResource,
    model_store: ModelStoreResource,
) -> dg.MaterializeResult:
    """Every video and post younger than the horizon (or the listed ones: new items the sensor
    found after moderation): its viral score, whether it is likely viral (`ML_VIRAL_THRESHOLD`),
    the confidence and the factors; the rows replaced in one transaction, one Redis key per item."""
    tunables = settings.get()
    listed = {"post": config.posts, "video": config.videos}
    run = service.predict_young(
        tunables,
        database.database,
        model_store.store,
        utc_now(),
        listed if any(listed.values()) else None,
    )
    if run.model_version is None:
        context.log.info(f"nothing predicted: {run.reason}")
    cached = redis.publish(run.cache_items(), tunables.viral_cache_ttl, "viral predictions")
    records = [record for found in run.records.values() for record in found]
    top = sorted(records, key=lambda record: -record.viral_score)[:10]
    preview = pl.DataFrame(
        [
            {
                "content_type": r.content_type,
                "content_id": r.content_id,
                "viral_score": r.viral_score,
                "likely_viral": r.is_likely_viral,
                "age_minutes": r.age_minutes,
                "events": r.observations,
            }
            for r in top
        ]
    )
    return dg.MaterializeResult(
        metadata={
            "model_version": run.model_version or "none",
            "rows": dg.MetadataValue.json(run.written),
            "likely_viral": sum(record.is_likely_viral for record in records),
            "redis_keys": cached,
            "top": markdown_table(preview, limit=10),
        },
        check_results=viral_checks(run.records),
    )


ASSETS = (viral_model, viral_predictions)
