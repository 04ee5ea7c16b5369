"""Moderation: text models retrained from human reviews, every item's decision written back, and
the sensor that judges new content within a minute.

- `spam_model`, `toxicity_model`, `hate_speech_model` (daily): retrain from `moderation_reviews`
  once enough human labels exist; a held-out evaluation is stored with each version, and the
  `not_worse_than_published` check gates publication.
- `moderation_results` (daily partitions by creation date): per item scores, model versions,
  signals, decision and flags into `ml.moderation_results`, the app's moderation columns and Redis.
  A human reviewer's decision is never overwritten.
- `new_content_sensor`: batches new posts, comments and videos into `moderation_job` runs.
"""

import hashlib
import json
from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

import dagster as dg
import polars as pl
import sqlalchemy as sa
from pydantic import Field

from socialflow_pipelines.config import get_settings
from socialflow_pipelines.defs.common import (
    PARTITIONS_START,
    SEED_RETRY_POLICY,
    ItemScopeConfig,
    daily_partitions,
    markdown_table,
)
from socialflow_pipelines.defs.resources import DatabaseResource, ModelStoreResource, RedisResource
from socialflow_pipelines.domains.moderation.service import (
    CONTENT_TYPES,
    ModerationRecord,
    ModerationRuntime,
    model_name,
    population_texts,
    read_results,
    read_reviews,
    reviewed_training_texts,
    utc,
)
from socialflow_pipelines.ml.moderation import DECISIONS, LABELS, TEXT_LABELS, text_model_params
from socialflow_pipelines.ml.text_classifier import train_with_holdout
from socialflow_pipelines.platform.cache import moderation_key
from socialflow_pipelines.platform.db import schema
from socialflow_pipelines.platform.db.engine import Database
from socialflow_pipelines.platform.model_store import Gate, mirror_model_versions
from socialflow_pipelines.platform.time import utc_now

GATE_METRIC = "pr_auc"
APP_DEPS = ["posts", "comments", "videos", "moderation_reviews"]

# --------------------------------------------------------------------------------------------
# Models retrained from human reviews


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


def _data_fingerprint(texts: Sequence[str], labels: Sequence[int]) -> str:
    """Order-free hash of the training set: unchanged labels mean nothing to retrain."""
    digest = hashlib.sha256()
    for text, label in sorted(zip(texts, labels, strict=True)):
        digest.update(f"{label}\t{text}\n".encode())
    return digest.hexdigest()[:16]


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
        check_specs=[
            dg.AssetCheckSpec(
                "not_worse_than_published",
                asset=name,
                description=f"New version's held-out {GATE_METRIC} within tolerance of the published one.",
            )
        ],
    )
    def text_model(
        context: dg.AssetExecutionContext,
        config: TextModelConfig,
        database: DatabaseResource,
        model_store: ModelStoreResource,
    ) -> dg.MaterializeResult:
        db, registry = database.database, model_store.store
        texts, labels = reviewed_training_texts(db, label)
        positives = int(sum(labels))
        published = registry.published_version(name)
        facts: dict[str, Any] = {
            "reviews_with_verdict": len(texts),
            "positives": positives,
            "negatives": len(texts) - positives,
            "positive_share": round(positives / len(texts), 4) if texts else 0.0,
            "published_version": published or "none",
        }
        fingerprint = _data_fingerprint(texts, labels)
        reason = _skip_reason(config, len(texts), positives)
        if reason is None and published is not None:
            previous = registry.describe(name, published)
            if previous.params.get("training_data") == fingerprint:
                reason = f"no new human labels since the published version {published}"
        if reason is not None:
            context.log.info(f"{name}: not retrained: {reason}")
            return dg.MaterializeResult(
                metadata={"status": "skipped", "reason": reason, **facts},
                check_results=[
                    dg.AssetCheckResult(
                        check_name="not_worse_than_published",
                        passed=True,
                        metadata={"candidate": "none", "reason": reason},
                    )
                ],
            )

        model, metrics = train_with_holdout(
            texts,
            labels,
            holdout=config.holdout,
            seed=config.seed,
            params=text_model_params(label, seed=config.seed),
        )
        # Held-out figures first (on the reviews' distribution), then the platform's base rate.
        population_share = model.adapt_to_population(population_texts(db, utc_now()))
        metrics = {
            **metrics,
            "label": label,
            "source": "moderation_reviews",
            "review_positive_share": round(positives / len(texts), 4),
            "population_positive_share": round(population_share, 4),
        }
        version = registry.save(
            name, model, metrics=metrics, params={**model.describe(), "training_data": fingerprint}
        )
        current = registry.describe(name, published).metrics if published else None
        passed = Gate(GATE_METRIC, config.tolerance).allows(metrics, current)
        if passed:
            registry.publish(name, version.version)
        mirror_model_versions(
            db, version, "published" if passed else "rejected", replaced=published if passed else None
        )
        status = "published" if passed else "rejected"
        context.log.info(f"{name} {version.version}: {status} ({GATE_METRIC} {metrics.get(GATE_METRIC)})")
        held_out = {
            k: metrics[k]
            for k in ("n", "positives", "accuracy", "precision", "recall", "f1", "roc_auc", "pr_auc")
        }
        return dg.MaterializeResult(
            metadata={
                "status": status,
                "version": version.version,
                **facts,
                "published_version": version.version if passed else (published or "none"),
                "held_out": dg.MetadataValue.json(held_out),
                GATE_METRIC: metrics.get(GATE_METRIC),
                "chosen_c": model.chosen_c,
                "family": model.describe()["family"],
                "population_positive_share": metrics["population_positive_share"],
            },
            check_results=[
                dg.AssetCheckResult(
                    check_name="not_worse_than_published",
                    passed=passed,
                    severity=dg.AssetCheckSeverity.WARN,
                    metadata={
                        "candidate": version.version,
                        f"candidate_{GATE_METRIC}": metrics.get(GATE_METRIC),
                        "published": published or "none",
                        f"published_{GATE_METRIC}": None if current is None else current.get(GATE_METRIC),
                        "tolerance": config.tolerance,
                    },
                )
            ],
        )

    return text_model


def _skip_reason(config: TextModelConfig, n: int, positives: int) -> str | None:
    if n < config.min_reviews:
        return f"only {n} reviews with a verdict; training needs {config.min_reviews}"
    if min(positives, n - positives) < config.min_per_class:
        return (
            f"{positives} positive and {n - positives} negative verdicts; "
            f"training needs {config.min_per_class} of each"
        )
    return None


spam_model, toxicity_model, hate_speech_model = (build_text_model_asset(label) for label in TEXT_LABELS)
MODEL_ASSETS = (spam_model, toxicity_model, hate_speech_model)

# --------------------------------------------------------------------------------------------
# Decisions for every item


RESULT_SCHEMA = {
    "content_type": pl.String(),
    "content_id": pl.Int64(),
    "created_date": pl.Date(),
    "scores": pl.String(),
    "model_versions": pl.String(),
    "signals": pl.String(),
    "decision": pl.String(),
    "flags": pl.String(),
    "human_reviewed": pl.Boolean(),
    "moderated_at": pl.Datetime("us", "UTC"),
}


@dg.asset(
    group_name="moderation",
    partitions_def=daily_partitions,
    backfill_policy=dg.BackfillPolicy.single_run(),
    deps=[*APP_DEPS, *MODEL_ASSETS],
    retry_policy=SEED_RETRY_POLICY,
    kinds={"scikitlearn", "sql", "redis"},
    check_specs=[
        dg.AssetCheckSpec(
            "scores_in_unit_interval",
            asset="moderation_results",
            description="Every stored score is a probability in [0, 1].",
        ),
        dg.AssetCheckSpec(
            "every_item_moderated",
            asset="moderation_results",
            description="Every item in the run's scope has a moderation_results row.",
        ),
    ],
)
def moderation_results(
    context: dg.AssetExecutionContext,
    config: ItemScopeConfig,
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
    settings = get_settings()
    db = database.database
    item_scope = config.scope(context)
    items = item_scope.read_items(db)
    scope = item_scope.describe()
    keys = [item.key for item in items]
    runtime = ModerationRuntime(settings, model_store.store)
    records = runtime.moderate(items, read_reviews(db, keys), utc_now())
    existing = read_results(db, keys)
    for record in records:
        previous = existing.get((record.content_type, record.content_id))
        if previous is not None and record.same_outcome(previous):
            record.moderated_at = previous.moderated_at
    write_records(db, records)
    cached = publish_moderation(redis, records, settings.model_cache_ttl)
    context.log.info(f"moderated {len(records)} items ({scope}); redis: {cached}")

    unmoderated = item_scope.count_missing(db, schema.moderation_results)
    stored = {key: record.scores for key, record in read_results(db, keys).items()}
    checks = moderation_checks(stored, unmoderated, scope)
    return dg.MaterializeResult(
        metadata={
            "scope": scope,
            "items": len(records),
            "items_by_type": dg.MetadataValue.json(dict(Counter(r.content_type for r in records))),
            "decisions": dg.MetadataValue.json({d: n for d, n in _decision_counts(records).items() if n}),
            "flags_by_label": dg.MetadataValue.json(dict(Counter(f for r in records for f in r.flags))),
            "human_reviewed": sum(r.human_reviewed for r in records),
            "model_versions": dg.MetadataValue.json(
                {label: v for label, v in _versions_used(records).items()}
            ),
            "models_by_label": dg.MetadataValue.json(runtime.describe_models()),
            "redis_keys": cached,
            "preview": markdown_table(_preview(records), limit=20),
        },
        check_results=checks,
    )


def moderation_checks(
    stored_scores: Mapping[tuple[str, int], Mapping[str, Any]], unmoderated: int, scope: str
) -> list[dg.AssetCheckResult]:
    """The run's checks, on what the store holds: the scores stored for the run's items (as read
    back by `read_results`) and the scope's items without a result row (`count_unmoderated`).

    A score counts as out of range when it is not a number in [0, 1] (NaN included); null means the
    label had no model and is fine.
    """
    out_of_range = [
        f"{content_type}:{content_id}"
        for (content_type, content_id), scores in stored_scores.items()
        for label, value in scores.items()
        if value is not None and not _is_probability(value)
        if label in LABELS
    ]
    return [
        dg.AssetCheckResult(
            check_name="scores_in_unit_interval",
            passed=not out_of_range,
            metadata={
                "scores_checked": sum(v is not None for s in stored_scores.values() for v in s.values()),
                "out_of_range": len(out_of_range),
                "out_of_range_items": ", ".join(out_of_range[:20]) or "none",
            },
        ),
        dg.AssetCheckResult(
            check_name="every_item_moderated",
            passed=unmoderated == 0,
            metadata={"unmoderated": unmoderated, "scope": scope},
        ),
    ]


def _is_probability(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and 0.0 <= value <= 1.0


def write_records(db: Database, records: Sequence[ModerationRecord]) -> None:
    """Upsert the results and set the app's moderation columns, all in one transaction."""
    if not records:
        return
    frame = pl.DataFrame([r.row() for r in records], schema=RESULT_SCHEMA)
    with db.begin() as conn:
        db.upsert(schema.moderation_results, frame, keys=["content_type", "content_id"], connection=conn)
        videos = [r for r in records if r.content_type == "video"]
        if videos:
            table = schema.videos
            conn.execute(
                table.update()
                .where(table.c.id == sa.bindparam("item_id"))
                .values(
                    moderation_status=sa.bindparam("status"),
                    moderation_flags=sa.bindparam("flags"),
                    moderated_at=sa.bindparam("at"),
                ),
                [
                    {"item_id": r.content_id, "status": r.decision, "flags": r.flags, "at": r.moderated_at}
                    for r in videos
                ],
            )
        for content_type in ("post", "comment"):
            rows = [r for r in records if r.content_type == content_type]
            if not rows:
                continue
            table = schema.APP_CONTENT_TABLES[content_type]
            conn.execute(
                table.update()
                .where(table.c.id == sa.bindparam("item_id"))
                .values(
                    is_flagged=sa.bindparam("flagged"),
                    flag_reason=sa.bindparam("reason"),
                    moderated_at=sa.bindparam("at"),
                ),
                [
                    {
                        "item_id": r.content_id,
                        "flagged": r.is_flagged,
                        "reason": r.flag_reason,
                        "at": r.moderated_at,
                    }
                    for r in rows
                ],
            )


def publish_moderation(redis: RedisResource, records: Sequence[ModerationRecord], ttl_s: int) -> int | str:
    """`moderation:{type}:{id}` per item with the API's payload; returns keys written."""
    items = ((moderation_key(str(r.content_type), int(r.content_id or 0)), r.payload()) for r in records)
    return redis.publish(items, ttl_s, "moderation results")


def _decision_counts(records: Sequence[ModerationRecord]) -> dict[str, int]:
    counts = Counter(r.decision for r in records)
    return {
        decision: counts.get(decision, 0) for decision in (*DECISIONS, *sorted(set(counts) - set(DECISIONS)))
    }


def _versions_used(records: Sequence[ModerationRecord]) -> dict[str, list[str]]:
    used: dict[str, set[str]] = {}
    for record in records:
        for label, version in record.model_versions.items():
            if version is not None:
                used.setdefault(label, set()).add(version)
    return {label: sorted(versions) for label, versions in sorted(used.items())}


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


# --------------------------------------------------------------------------------------------
# Jobs, schedule and the new-content sensor

moderation_job = dg.define_asset_job(
    "moderation_job",
    selection=dg.AssetSelection.assets(moderation_results),
    partitions_def=daily_partitions,
    # One step: the multiprocess executor would only add a second Python start per run, which
    # under load costs most of the minute a new item may wait for its decision.
    executor_def=dg.in_process_executor,
    description="Moderate the listed new items (sensor runs) or every item of a day range (backfills).",
)
moderation_models_job = dg.define_asset_job(
    "moderation_models_job",
    selection=dg.AssetSelection.assets(*MODEL_ASSETS),
    description="Retrain the moderation text models from the human reviews.",
)
retrain_moderation_models_daily = dg.ScheduleDefinition(
    name="retrain_moderation_models_daily",
    job=moderation_models_job,
    cron_schedule="0 3 * * *",
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Daily at 03:00: retrain the text models from human reviews; publish if not worse.",
)

SENSOR_BATCH = 500  # items per run: a run finishes in seconds, and a burst spreads over several
SENSOR_MAX_RUNS_PER_TICK = 20


def _new_items(
    db: Database, content_type: str, after_id: int, limit: int
) -> list[tuple[int, datetime, bool]]:
    """(id, created_at, already moderated) of the items past the cursor, oldest id first."""
    table = schema.APP_CONTENT_TABLES[content_type]
    results = schema.moderation_results
    joined = table.outerjoin(
        results, sa.and_(results.c.content_type == content_type, results.c.content_id == table.c.id)
    )
    query = (
        sa.select(table.c.id, table.c.created_at, results.c.content_id.is_not(None))
        .select_from(joined)
        .where(table.c.id > after_id)
        .order_by(table.c.id)
        .limit(limit)
    )
    with db.engine.connect() as conn:
        return [(int(r[0]), r[1], bool(r[2])) for r in conn.execute(query)]


def plan_moderation_runs(
    db: Database,
    cursor: dict[str, int],
    *,
    today: date,
    batch: int = SENSOR_BATCH,
    max_runs: int = SENSOR_MAX_RUNS_PER_TICK,
) -> tuple[list[dg.RunRequest], dict[str, int], list[str]]:
    """Run requests for the unmoderated items past `cursor`, and the cursor after them.

    Items are grouped by creation date (the partition) and cut into runs of at most `batch`; each
    run's key names its day and the id range per content type, so the same batch never runs
    twice, even if the cursor is lost. Items already moderated (by a backfill) are passed over.
    """
    scan = batch * max_runs
    new_cursor = dict(cursor)
    pending: dict[str, list[tuple[str, int]]] = {}
    skipped: list[str] = []
    last_day = (today + timedelta(days=1)).isoformat()
    for content_type in CONTENT_TYPES:
        rows = _new_items(db, content_type, cursor.get(content_type, 0), scan)
        if rows:
            new_cursor[content_type] = rows[-1][0]
        for content_id, created_at, moderated in rows:
            if moderated:
                continue
            day = utc(created_at).date().isoformat()  # partitions are UTC days
            if not PARTITIONS_START <= day <= last_day:
                skipped.append(f"{content_type}:{content_id} ({day})")
                continue
            pending.setdefault(day, []).append((content_type, content_id))
    requests = []
    for day, keys in sorted(pending.items()):
        for start in range(0, len(keys), batch):
            chunk = keys[start : start + batch]
            ids = {ct: [i for t, i in chunk if t == ct] for ct in CONTENT_TYPES}
            ranges = "-".join(f"{ct}{min(v)}_{max(v)}" for ct, v in ids.items() if v)
            requests.append(
                dg.RunRequest(
                    run_key=f"moderation-{day}-{ranges}",
                    partition_key=day,
                    run_config={
                        "ops": {"moderation_results": {"config": {f"{ct}s": v for ct, v in ids.items()}}}
                    },
                    tags={"socialflow/trigger": "new_content_sensor", "socialflow/items": str(len(chunk))},
                )
            )
    return requests, new_cursor, skipped


@dg.sensor(
    job=moderation_job,
    minimum_interval_seconds=15,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Moderates new posts, comments and videos: batches past its cursor into moderation_job runs.",
)
def new_content_sensor(context: dg.SensorEvaluationContext, database: DatabaseResource) -> dg.SensorResult:
    cursor = {k: int(v) for k, v in json.loads(context.cursor).items()} if context.cursor else {}
    requests, new_cursor, skipped = plan_moderation_runs(
        database.database, cursor, today=datetime.now(UTC).date()
    )
    if skipped:
        context.log.warning(
            f"{len(skipped)} items outside the partition range, not moderated: {skipped[:10]}"
        )
    if not requests:
        return dg.SensorResult(
            skip_reason=dg.SkipReason("no new content"), cursor=json.dumps(new_cursor, sort_keys=True)
        )
    context.log.info(f"{len(requests)} moderation runs for new content")
    return dg.SensorResult(run_requests=requests, cursor=json.dumps(new_cursor, sort_keys=True))


jobs = [moderation_job, moderation_models_job]
schedules = [retrain_moderation_models_daily]
sensors = [new_content_sensor]
