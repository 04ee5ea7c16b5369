"""Moderation: text models retrained from human reviews, and every item's decision written back.

- `spam_model`, `toxicity_model`, `hate_speech_model` (daily): retrain from `moderation_reviews`
  once enough human labels exist; a held-out evaluation is stored with each version, and the
  `not_worse_than_published` check gates publication.
- `moderation_results` (daily partitions by creation date): per item scores, model versions,
  signals, decision and flags into `ml.moderation_results`, the app's moderation columns and Redis.
  A human reviewer's decision is never overwritten.
"""

from collections import Counter
from collections.abc import Sequence

import dagster as dg
import polars as pl
from pydantic import Field

from socialflow_pipelines.defs.common import (
    SEED_RETRY_POLICY,
    ItemScopeConfig,
    daily_partitions,
    gate_check_spec,
    markdown_table,
    published_model_result,
    skipped_model_result,
)
from socialflow_pipelines.defs.moderation.checks import RESULT_CHECKS, moderation_checks
from socialflow_pipelines.defs.resources import (
    DatabaseResource,
    ModelStoreResource,
    RedisResource,
    SettingsResource,
)
from socialflow_pipelines.domains.moderation import service
from socialflow_pipelines.domains.moderation.records import ModerationRecord
from socialflow_pipelines.domains.moderation.runtime import model_name
from socialflow_pipelines.ml.moderation import TEXT_LABELS
from socialflow_pipelines.platform.time import utc_now

APP_DEPS = ["posts", "comments", "videos", "moderation_reviews"]


class TextModelConfig(dg.Config):
    """When a label has enough human verdicts to train on, and how the candidate is judged.

    200 reviews with 20 of each class is the smallest set where a 20% held-out part still holds
    about 4 positives and a PR-AUC means something; below it the current version is kept.
    """

    min_reviews: int = Field(default=200, ge=10, description="Reviews with a verdict on the label.")
    min_per_class: int = Field(default=20, ge=5, description="Least examples of each class.")
    holdout: float = Field(default=0.2, gt=0, lt=1, description="Held-out share for the stored metrics.")
    tolerance: float = Field(
        default=0.02, ge=0, le=1, description="Held-out PR-AUC the candidate may lose (noise)."
    )
    seed: int = 0


def build_text_model_asset(label: str) -> dg.AssetsDefinition:
    name = model_name(label)

    @dg.asset(
        name=name,
        group_name="moderation_models",
        deps=APP_DEPS,
        retry_policy=SEED_RETRY_POLICY,
        kinds={"scikitlearn", "sql"},
        description=(
            f"The {label} text classifier (TF-IDF word+char n-grams, calibrated linear SVM) retrained "
            "daily from the human verdicts in moderation_reviews, published only when its held-out "
            "PR-AUC is not worse than the published version's."
        ),
        check_specs=[gate_check_spec(name, service.GATE_METRIC)],
    )
    def text_model(
        config: TextModelConfig, database: DatabaseResource, model_store: ModelStoreResource
    ) -> dg.MaterializeResult:
        rules = service.TrainingRules(
            min_reviews=config.min_reviews,
            min_per_class=config.min_per_class,
            holdout=config.holdout,
            tolerance=config.tolerance,
            seed=config.seed,
        )
        training = service.train_text_model(database.database, model_store.store, label, rules, utc_now())
        if training.publication is None:
            return skipped_model_result(str(training.skipped), training.published, training.facts)
        facts = {**training.facts, **training.model_facts}
        return published_model_result(
            training.publication, {**facts, "held_out": dg.MetadataValue.json(facts["held_out"])}
        )

    return text_model


spam_model, toxicity_model, hate_speech_model = (build_text_model_asset(label) for label in TEXT_LABELS)
MODEL_ASSETS = (spam_model, toxicity_model, hate_speech_model)


@dg.asset(
    group_name="moderation",
    partitions_def=daily_partitions,
    backfill_policy=dg.BackfillPolicy.single_run(),
    deps=[*APP_DEPS, *MODEL_ASSETS],
    retry_policy=SEED_RETRY_POLICY,
    kinds={"scikitlearn", "sql", "redis"},
    check_specs=RESULT_CHECKS,
)
def moderation_results(
    context: dg.AssetExecutionContext,
    config: ItemScopeConfig,
    settings: SettingsResource,
    database: DatabaseResource,
    redis: RedisResource,
    model_store: ModelStoreResource,
) -> dg.MaterializeResult:
    """Scores per label, model versions, signals used and missing, decision and flags per post,
    comment and video, by creation date.

    A sensor run lists the new ids in its config; a run without ids (re)moderates every item
    created in the partition range, e.g. a backfill after a model change. Items a person has
    reviewed keep the reviewer's decision (`human_reviewed`), backfill or not. The results, the
    app columns and nothing else are written in one transaction; a re-run that changes nothing
    leaves the rows as they were, timestamps included. Redis gets `moderation:{type}:{id}`.
    """
    current = settings.get()
    run = service.moderate(current, database.database, model_store.store, config.scope(context), utc_now())
    cached = redis.publish(run.cache_items(), current.model_cache_ttl, "moderation results")
    records = run.records
    context.log.info(f"moderated {len(records)} items ({run.scope}); redis: {cached}")
    return dg.MaterializeResult(
        metadata={
            "scope": run.scope,
            "items": len(records),
            "items_by_type": dg.MetadataValue.json(dict(Counter(r.content_type for r in records))),
            "decisions": dg.MetadataValue.json(run.decisions()),
            "flags_by_label": dg.MetadataValue.json(dict(Counter(f for r in records for f in r.flags))),
            "human_reviewed": sum(r.human_reviewed for r in records),
            "model_versions": dg.MetadataValue.json(run.versions_used()),
            "models_by_label": dg.MetadataValue.json(run.models),
            "redis_keys": cached,
            "preview": markdown_table(_preview(records), limit=20),
        },
        check_results=moderation_checks(run.stored_scores, run.unmoderated, run.scope),
    )


def _preview(records: Sequence[ModerationRecord]) -> pl.DataFrame:
    """The most suspicious items first: what a person opening the run wants to see."""
    rows = [
        {
            "type": r.content_type,
            "id": r.content_id,
            "decision": r.decision,
            "flags": ",".join(r.flags) or "-",
            "human": r.human_reviewed,
            **{label: r.scores.get(label) for label in TEXT_LABELS},
        }
        for r in records
    ]
    if not rows:
        return pl.DataFrame()
    frame = pl.DataFrame(rows, schema_overrides={label: pl.Float64() for label in TEXT_LABELS})
    return frame.sort(pl.max_horizontal(*TEXT_LABELS), descending=True, nulls_last=True)
