"""Content analysis: features and embeddings for every item, and the topics of recent content.

- `content_features` + `content_embeddings` (one multi-asset, daily partitions by creation date):
  one analysis pass per item (posts, comments, videos; a video's text is its title, description
  and captions) writes language, sentiment, tags, categories, topics and entities to
  `ml.content_features` and the sentence embedding (little-endian float32) to
  `ml.content_embeddings`. A run lists item ids (after moderation) or covers whole partitions.
- `topic_model` (daily): k-means over the embeddings of the last days' content, labelled by
  class-based TF-IDF; the version is published and its topics written to `ml.topics`. Content
  analysed afterwards carries topic ids of that version.
- `content_after_moderation_sensor`: every `moderation_results` materialization launches a content
  run for the same items (the moderation run's ids, or its whole partition).
"""

import json
import random
import time
from collections import Counter
from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

import dagster as dg
import numpy as np
import polars as pl
import sqlalchemy as sa
from pydantic import Field

from socialflow_pipelines.defs.common import (
    PARTITIONS_START,
    SEED_RETRY_POLICY,
    ItemScopeConfig,
    daily_partitions,
    markdown_table,
)
from socialflow_pipelines.defs.resources import DatabaseResource, ModelStoreResource
from socialflow_pipelines.domains.content.service import (
    TOPIC_MODEL,
    AnalysedItem,
    current_runtime,
    embedding_frame,
    feature_frame,
    shared_analyzer,
    topics_payload,
    write_analyses,
)
from socialflow_pipelines.domains.moderation.service import CONTENT_TYPES, ContentItem, read_items
from socialflow_pipelines.ml.content import TextEmbedder, TopicModel, fit_topic_model, vector_from_bytes
from socialflow_pipelines.platform.db import schema
from socialflow_pipelines.platform.db.engine import Database
from socialflow_pipelines.platform.model_store import mirror_model_versions
from socialflow_pipelines.platform.time import utc_now

MODERATION_ASSET = dg.AssetKey("moderation_results")
CONTENT_DEPS = ["posts", "comments", "videos", MODERATION_ASSET]
ANALYSIS_CHUNK = 2_000  # items per analysis call: bounds memory and gives progress in the run log
_ID_CHUNK = 900

# --------------------------------------------------------------------------------------------
# Features and embeddings for every item


@dg.multi_asset(
    name="content_analysis",
    group_name="content",
    partitions_def=daily_partitions,
    backfill_policy=dg.BackfillPolicy.single_run(),
    retry_policy=SEED_RETRY_POLICY,
    specs=[
        dg.AssetSpec(
            "content_features",
            deps=CONTENT_DEPS,
            kinds={"pytorch", "spacy", "sql"},
            description="Language, sentiment, tags, categories, topics and entities per item.",
        ),
        dg.AssetSpec(
            "content_embeddings",
            deps=CONTENT_DEPS,
            kinds={"pytorch", "sql"},
            description="Sentence embedding per item: L2-normalised little-endian float32.",
        ),
    ],
    check_specs=[
        dg.AssetCheckSpec(
            "sentiment_score_in_range",
            asset="content_features",
            description="Stored sentiment scores lie in [-1, 1] (null: no model for the language).",
        ),
        dg.AssetCheckSpec(
            "every_item_analysed",
            asset="content_features",
            description="Every item in the run's scope has a content_features row.",
        ),
        dg.AssetCheckSpec(
            "every_item_embedded",
            asset="content_embeddings",
            description="Every item in the run's scope has an embedding row.",
        ),
        dg.AssetCheckSpec(
            "embedding_dims_consistent",
            asset="content_embeddings",
            description="One embedding model and dimension per range, each vector exactly dim float32s.",
        ),
    ],
)
def content_analysis(
    context: dg.AssetExecutionContext,
    config: ItemScopeConfig,
    database: DatabaseResource,
    model_store: ModelStoreResource,
) -> Any:
    """One analysis pass per item serves both tables (the embedding also feeds categories and
    topics). Topics come from the published `topic_model`, when there is one.

    A run without ids replaces the rows of its creation dates in both tables in one transaction;
    a run with ids upserts those items' rows. A re-run leaves the same rows (only `analyzed_at`
    moves).
    """
    db = database.database
    item_scope = config.scope(context)
    items = item_scope.read_items(db)
    scope = item_scope.describe()
    runtime = current_runtime(model_store.store)
    started = time.perf_counter()
    analysed: list[AnalysedItem] = []
    for start in range(0, len(items), ANALYSIS_CHUNK):
        analysed += runtime.analyze_items(items[start : start + ANALYSIS_CHUNK])
        context.log.info(f"analysed {len(analysed)} / {len(items)} items")
    seconds = time.perf_counter() - started
    features = feature_frame(analysed, utc_now())
    embeddings = embedding_frame(analysed, runtime.embedding_model)
    days = item_scope.days or _days_of(items)
    write_analyses(db, features, embeddings, days=item_scope.days)
    context.log.info(f"wrote features and embeddings of {len(analysed)} items ({scope}) in {seconds:.1f} s")

    missing_features = item_scope.count_missing(db, schema.content_features)
    missing_embeddings = item_scope.count_missing(db, schema.content_embeddings)
    out_of_range = count_sentiment_out_of_range(db, days)
    variants = embedding_variants(db, days)
    feature_checks = content_feature_checks(out_of_range, missing_features, days, scope)
    embedding_checks = content_embedding_checks(variants, missing_embeddings, days, scope)
    facts = {"scope": scope, "items": len(analysed)}
    yield dg.MaterializeResult(
        asset_key="content_features",
        metadata={
            **facts,
            "items_by_type": dg.MetadataValue.json(dict(Counter(a.item.content_type for a in analysed))),
            "items_per_s": round(len(analysed) / seconds, 1) if seconds > 0 and analysed else 0.0,
            "languages": dg.MetadataValue.json(_distribution(features["language"])),
            "sentiments": dg.MetadataValue.json(_distribution(features["sentiment"].fill_null("none"))),
            "top_categories": dg.MetadataValue.json(_distribution(pl.Series(_top_categories(analysed)))),
            "topic_model_version": runtime.topic_model_version or "none published yet",
            "preview": markdown_table(_preview(analysed), limit=20),
        },
        check_results=feature_checks,
    )
    yield dg.MaterializeResult(
        asset_key="content_embeddings",
        metadata={
            **facts,
            "model": runtime.embedding_model,
            "dim": runtime.analyzer.embedder.dim,
            "bytes": sum(len(v) for v in embeddings["vector"]) if embeddings.height else 0,
        },
        check_results=embedding_checks,
    )


def content_feature_checks(
    out_of_range: int, unanalysed: int, days: tuple[date, date], scope: str
) -> list[dg.AssetCheckResult]:
    """`content_features`' checks from what was read back: stored sentiment scores outside [-1, 1]
    in the run's creation dates (`count_sentiment_out_of_range`) and the scope's items without a
    features row (`count_unanalysed`)."""
    return [
        dg.AssetCheckResult(
            asset_key="content_features",
            check_name="sentiment_score_in_range",
            passed=out_of_range == 0,
            metadata={"out_of_range": out_of_range, "days": f"{days[0]} .. {days[1]}"},
        ),
        dg.AssetCheckResult(
            asset_key="content_features",
            check_name="every_item_analysed",
            passed=unanalysed == 0,
            metadata={"unanalysed": unanalysed, "scope": scope},
        ),
    ]


def content_embedding_checks(
    variants: Sequence[dict[str, Any]], unembedded: int, days: tuple[date, date], scope: str
) -> list[dg.AssetCheckResult]:
    """`content_embeddings`' checks from what was read back: the (model, dim) variants stored for
    the run's creation dates (`embedding_variants`: one at most, no vector of the wrong length) and
    the scope's items without an embedding row (`count_unanalysed`)."""
    dims_ok = len(variants) <= 1 and all(v["bad_length"] == 0 for v in variants)
    return [
        dg.AssetCheckResult(
            asset_key="content_embeddings",
            check_name="every_item_embedded",
            passed=unembedded == 0,
            metadata={"unembedded": unembedded, "scope": scope},
        ),
        dg.AssetCheckResult(
            asset_key="content_embeddings",
            check_name="embedding_dims_consistent",
            passed=dims_ok,
            metadata={"variants": dg.MetadataValue.json(list(variants)), "days": f"{days[0]} .. {days[1]}"},
        ),
    ]


def _days_of(items: Sequence[ContentItem]) -> tuple[date, date]:
    """[first, end) creation dates of `items`."""
    if not items:
        today = utc_now().date()
        return today, today
    dates = [item.created_at.date() for item in items]
    return min(dates), max(dates) + timedelta(days=1)


def count_sentiment_out_of_range(db: Database, days: tuple[date, date]) -> int:
    """Stored rows of those creation dates whose sentiment_score is outside [-1, 1] (null is fine)."""
    table = schema.content_features
    query = (
        sa.select(sa.func.count())
        .select_from(table)
        .where(
            table.c.created_date >= days[0],
            table.c.created_date < days[1],
            sa.or_(table.c.sentiment_score < -1.0, table.c.sentiment_score > 1.0),
        )
    )
    with db.engine.connect() as conn:
        return int(conn.execute(query).scalar_one())


def embedding_variants(db: Database, days: tuple[date, date]) -> list[dict[str, Any]]:
    """(model, dim) pairs stored for those creation dates, with rows whose bytes are not dim float32s."""
    table = schema.content_embeddings
    bad = sa.func.sum(sa.case((sa.func.length(table.c.vector) != table.c.dim * 4, 1), else_=0))
    query = (
        sa.select(table.c.model, table.c.dim, sa.func.count(), bad)
        .where(table.c.created_date >= days[0], table.c.created_date < days[1])
        .group_by(table.c.model, table.c.dim)
    )
    with db.engine.connect() as conn:
        return [
            {"model": model, "dim": int(dim), "rows": int(rows), "bad_length": int(bad_rows or 0)}
            for model, dim, rows, bad_rows in conn.execute(query)
        ]


def _distribution(values: pl.Series) -> dict[str, int]:
    if values.is_empty():
        return {}
    counts = values.value_counts(sort=True)
    return {str(value): int(count) for value, count in counts.iter_rows()}


def _top_categories(analysed: Sequence[AnalysedItem]) -> list[str]:
    return [a.analysis.categories[0].name if a.analysis.categories else "none" for a in analysed]


def _preview(analysed: Sequence[AnalysedItem]) -> pl.DataFrame:
    rows = [
        {
            "type": a.item.content_type,
            "id": a.item.content_id,
            "language": a.analysis.language,
            "sentiment": a.analysis.sentiment.label or "-",
            "score": a.analysis.sentiment.score,
            "category": category,
            "topic": a.analysis.topics[0].label if a.analysis.topics else "-",
            "tags": ", ".join(a.analysis.tags[:4]) or "-",
            "text": a.item.text[:60].replace("|", "/").replace("\n", " "),
        }
        for a, category in zip(analysed, _top_categories(analysed), strict=True)
    ]
    return pl.DataFrame(rows, schema_overrides={"score": pl.Float64()}) if rows else pl.DataFrame()


# --------------------------------------------------------------------------------------------
# Topics of recent content


class TopicModelConfig(dg.Config):
    """Which content the topics are discovered in, and how many."""

    lookback_days: int = Field(default=7, ge=1, le=90, description="Content created this many days back.")
    max_items: int = Field(
        default=20_000, ge=100, description="Random sample cap: k-means cost grows with items x topics."
    )
    n_topics: int | None = Field(default=None, ge=2, le=200, description="None: chosen by silhouette.")
    max_topics: int = Field(default=30, ge=2, le=200)
    seed: int = 0


MIN_TOPIC_ITEMS = 20  # below this, clusters are noise: keep the published version


@dg.asset(
    group_name="content",
    deps=["posts", "comments", "videos", "content_embeddings"],
    retry_policy=SEED_RETRY_POLICY,
    kinds={"scikitlearn", "sql"},
)
def topic_model(
    context: dg.AssetExecutionContext,
    config: TopicModelConfig,
    database: DatabaseResource,
    model_store: ModelStoreResource,
) -> dg.MaterializeResult:
    """Topics over recent content: k-means on sentence embeddings (k by silhouette), each topic
    labelled by its class-based TF-IDF top terms. Stored embeddings are reused; items without one
    are embedded here. The new version is published and its topics written to `ml.topics`."""
    db, registry = database.database, model_store.store
    now = utc_now()
    items = [
        item
        for item in read_items(db, window=(now - timedelta(days=config.lookback_days), now))
        if item.text.strip()
    ]
    recent = len(items)
    if len(items) > config.max_items:
        items = random.Random(config.seed).sample(items, config.max_items)
    published = registry.published_version(TOPIC_MODEL)
    if len(items) < MIN_TOPIC_ITEMS:
        reason = f"{len(items)} items in the last {config.lookback_days} days; topics need {MIN_TOPIC_ITEMS}"
        context.log.info(f"topic_model not refitted: {reason}")
        return dg.MaterializeResult(
            metadata={"status": "skipped", "reason": reason, "published_version": published or "none"}
        )

    embedder = shared_analyzer().embedder
    vectors, reused = item_embeddings(db, items, embedder)
    model = fit_topic_model(
        [item.text for item in items],
        vectors,
        n_topics=config.n_topics,
        max_topics=config.max_topics,
        random_state=config.seed,
    )
    metrics = {"n_items": len(items), "n_topics": len(model.topics), "recent_items": recent}
    version = registry.save(
        TOPIC_MODEL,
        model,
        metrics=metrics,
        params={**config.model_dump(), "embedding_model": embedder.model_name, "min_score": model.min_score},
    )
    topics = topics_frame(model, version.version)
    db.replace(schema.topics, topics, schema.topics.c.model_version == version.version)
    registry.publish(TOPIC_MODEL, version.version)
    mirror_model_versions(db, version, "published", replaced=published)
    context.log.info(f"topic_model {version.version}: {len(model.topics)} topics over {len(items)} items")
    return dg.MaterializeResult(
        metadata={
            "status": "published",
            "version": version.version,
            "replaced": published or "none",
            "n_items": len(items),
            "recent_items": recent,
            "reused_embeddings": reused,
            "n_topics": len(model.topics),
            "topics": markdown_table(
                topics.select(
                    pl.col("topic_id").alias("id"),
                    "label",
                    "size",
                    pl.col("top_terms")
                    .str.json_decode(pl.List(pl.String()))
                    .list.join(", ")
                    .alias("top terms"),
                ).sort("size", descending=True),
                limit=len(model.topics),
            ),
        }
    )


class ContentTopicsConfig(dg.Config):
    """Which stored analyses get the published topic model's assignments."""

    top: int = Field(
        default=1, ge=1, le=10, description="Topics kept per item, best first (analysis keeps 1)."
    )


@dg.asset(
    group_name="content",
    partitions_def=daily_partitions,
    backfill_policy=dg.BackfillPolicy.single_run(),
    deps=["content_embeddings", topic_model],
    retry_policy=SEED_RETRY_POLICY,
    kinds={"numpy", "sql"},
    check_specs=[
        dg.AssetCheckSpec(
            "topics_from_published_model",
            asset="content_topics",
            description="Every analysed item of the range carries topic ids of the published topic model.",
        )
    ],
)
def content_topics(
    context: dg.AssetExecutionContext,
    config: ContentTopicsConfig,
    database: DatabaseResource,
    model_store: ModelStoreResource,
) -> dg.MaterializeResult:
    """The published topic model's topics for every analysed item of the creation dates, from the
    stored embeddings (no model but a matrix product runs), written to `content_features.topics`.

    Its own asset so the graph stays acyclic (features -> topic_model -> topics): after a new topic
    model, this step re-labels the recent items in seconds instead of re-analysing them.
    """
    db, registry = database.database, model_store.store
    window = context.partition_time_window
    days = (window.start.date(), window.end.date())
    version = registry.published_version(TOPIC_MODEL)
    if version is None:
        reason = "no topic_model published yet"
        return dg.MaterializeResult(
            metadata={"status": "skipped", "reason": reason},
            check_results=[
                dg.AssetCheckResult(
                    check_name="topics_from_published_model", passed=True, metadata={"reason": reason}
                )
            ],
        )
    model, published = registry.load(TOPIC_MODEL, version)
    # The embeddings the topics were fitted on: no analysis model needs loading for a matrix product.
    embedding_model, dim = str(published.params["embedding_model"]), int(model.centroids.shape[1])
    keys, vectors = stored_embeddings(db, days, embedding_model, dim)
    assignments = model.assign(vectors, top=config.top) if keys else []
    payloads = [json.dumps(topics_payload(item_topics, version)) for item_topics in assignments]
    updated = write_topics(db, keys, payloads)
    stale = count_stale_topics(db, days, version)
    sizes = Counter(item_topics[0].label for item_topics in assignments if item_topics)
    context.log.info(f"topics of {updated} items from topic_model {version}")
    return dg.MaterializeResult(
        metadata={
            "status": "assigned",
            "topic_model_version": version,
            "days": f"{days[0]} .. {days[1]}",
            "items": updated,
            "without_topic": sum(not item_topics for item_topics in assignments),
            "items_per_topic": markdown_table(
                pl.DataFrame(
                    {"topic": list(sizes), "items": list(sizes.values())},
                    schema={"topic": pl.String(), "items": pl.Int64()},
                ).sort("items", descending=True),
                limit=50,
            ),
        },
        check_results=[
            dg.AssetCheckResult(
                check_name="topics_from_published_model",
                passed=stale == 0,
                metadata={"items_with_other_topics": stale, "topic_model_version": version},
            )
        ],
    )


def stored_embeddings(
    db: Database, days: tuple[date, date], model: str, dim: int
) -> tuple[list[tuple[str, int]], np.ndarray]:
    """Keys and `model`'s embedding matrix of the analysed items created in [days[0], days[1])."""
    table, features = schema.content_embeddings, schema.content_features
    joined = table.join(
        features,
        sa.and_(features.c.content_type == table.c.content_type, features.c.content_id == table.c.content_id),
    )
    query = (
        sa.select(table.c.content_type, table.c.content_id, table.c.vector)
        .select_from(joined)
        .where(
            table.c.created_date >= days[0],
            table.c.created_date < days[1],
            table.c.model == model,
            table.c.dim == dim,
        )
        .order_by(table.c.content_type, table.c.content_id)
    )
    with db.engine.connect() as conn:
        rows = conn.execute(query).all()
    vectors = np.zeros((len(rows), dim), dtype=np.float32)
    for i, row in enumerate(rows):
        vectors[i] = vector_from_bytes(bytes(row.vector), dim)
    return [(str(row.content_type), int(row.content_id)) for row in rows], vectors


def write_topics(db: Database, keys: Sequence[tuple[str, int]], payloads: Sequence[str]) -> int:
    """Set `content_features.topics` of the given items, in one transaction."""
    if not keys:
        return 0
    table = schema.content_features
    statement = (
        table.update()
        .where(table.c.content_type == sa.bindparam("key_type"), table.c.content_id == sa.bindparam("key_id"))
        .values(topics=sa.bindparam("new_topics"))
    )
    with db.begin() as conn:
        conn.execute(
            statement,
            [
                {"key_type": t, "key_id": i, "new_topics": payload}
                for (t, i), payload in zip(keys, payloads, strict=True)
            ],
        )
    return len(keys)


def count_stale_topics(db: Database, days: tuple[date, date], version: str) -> int:
    """Analysed items of those dates whose topics name another topic model version."""
    table = schema.content_features
    query = sa.select(table.c.topics).where(table.c.created_date >= days[0], table.c.created_date < days[1])
    with db.engine.connect() as conn:
        topics = [_json_list(row.topics) for row in conn.execute(query)]
    return sum(any(t.get("model_version") != version for t in item_topics) for item_topics in topics)


def _json_list(value: Any) -> list[dict[str, Any]]:
    parsed = json.loads(value) if isinstance(value, str) else value
    return list(parsed) if isinstance(parsed, list) else []


def item_embeddings(
    db: Database, items: Sequence[ContentItem], embedder: TextEmbedder
) -> tuple[np.ndarray, int]:
    """Row-aligned embeddings of `items`: stored ones of this embedder's model where present, the
    rest computed now. Returns the matrix and how many were reused."""
    table = schema.content_embeddings
    stored: dict[tuple[str, int], bytes] = {}
    with db.engine.connect() as conn:
        for content_type in CONTENT_TYPES:
            ids = sorted({item.content_id for item in items if item.content_type == content_type})
            for start in range(0, len(ids), _ID_CHUNK):
                query = sa.select(table.c.content_id, table.c.vector).where(
                    table.c.content_type == content_type,
                    table.c.content_id.in_(ids[start : start + _ID_CHUNK]),
                    table.c.model == embedder.model_name,
                    table.c.dim == embedder.dim,
                )
                stored |= {(content_type, int(i)): bytes(v) for i, v in conn.execute(query)}
    vectors = np.zeros((len(items), embedder.dim), dtype=np.float32)
    missing = []
    for row, item in enumerate(items):
        blob = stored.get(item.key)
        if blob is None:
            missing.append(row)
        else:
            vectors[row] = vector_from_bytes(blob, embedder.dim)
    if missing:
        vectors[missing] = embedder.embed([items[row].text for row in missing])
    return vectors, len(items) - len(missing)


def topics_frame(model: TopicModel, version: str) -> pl.DataFrame:
    """The `ml.topics` rows of one model version."""
    return pl.DataFrame(
        [
            {
                "model_version": version,
                "topic_id": topic.id,
                "label": topic.label,
                "top_terms": json.dumps(topic.top_terms),
                "size": topic.size,
            }
            for topic in model.topics
        ],
        schema={
            "model_version": pl.String(),
            "topic_id": pl.Int64(),
            "label": pl.String(),
            "top_terms": pl.String(),
            "size": pl.Int64(),
        },
    )


# --------------------------------------------------------------------------------------------
# Jobs, schedule and the sensor after moderation

content_job = dg.define_asset_job(
    "content_job",
    selection=dg.AssetSelection.assets(content_analysis),
    partitions_def=daily_partitions,
    description="Analyse the listed items (runs after moderation) or every item of a day range (backfills).",
)
topic_model_job = dg.define_asset_job(
    "topic_model_job",
    selection=dg.AssetSelection.assets(topic_model),
    description="Rediscover the topics of recent content and publish them.",
)
topic_model_daily = dg.ScheduleDefinition(
    name="topic_model_daily",
    job=topic_model_job,
    cron_schedule="30 2 * * *",
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Daily at 02:30: rediscover the topics of the last days' content and publish them.",
)

content_topics_job = dg.define_asset_job(
    "content_topics_job",
    selection=dg.AssetSelection.assets(content_topics),
    partitions_def=daily_partitions,
    description="Label the recent analysed items with the published topic model's topics.",
)


@dg.schedule(
    job=content_topics_job,
    cron_schedule="45 2 * * *",
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Daily at 02:45, after topic_model: re-label the items of the model's lookback days.",
)
def content_topics_daily(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
    """One run over the last `TopicModelConfig.lookback_days` days, up to the day in progress."""
    tick = context.scheduled_execution_time
    last = tick.date()
    # Never before the first partition (a new deployment's first week, a short demo history).
    first = max(
        last - timedelta(days=TopicModelConfig().lookback_days - 1), date.fromisoformat(PARTITIONS_START)
    )
    return dg.RunRequest(
        run_key=f"content-topics-{last.isoformat()}",
        tags={
            "dagster/asset_partition_range_start": first.isoformat(),
            "dagster/asset_partition_range_end": last.isoformat(),
        },
    )


SENSOR_EVENTS_PER_TICK = 200
MODERATION_ID_FIELDS = ("posts", "comments", "videos")


def plan_content_runs(
    instance: dg.DagsterInstance, records: Sequence[dg.EventLogRecord]
) -> list[dg.RunRequest]:
    """One content run per (moderation run, partition) among `records` (materialization records of
    `moderation_results`): the same ids when the moderation run listed ids, else its whole
    partition. The run key names the moderation run, so the same items never run twice."""
    requests: list[dg.RunRequest] = []
    seen: set[tuple[str, str]] = set()
    for record in records:
        partition = record.partition_key
        if partition is None or (record.run_id, partition) in seen:
            continue
        seen.add((record.run_id, partition))
        run = instance.get_run_by_id(record.run_id) if record.run_id else None
        ids = _listed_ids(run.run_config if run is not None else {})
        requests.append(
            dg.RunRequest(
                run_key=f"content-{record.run_id or record.storage_id}-{partition}",
                partition_key=partition,
                run_config={"ops": {"content_analysis": {"config": ids}}},
                tags={
                    "socialflow/trigger": "content_after_moderation_sensor",
                    "socialflow/moderation_run": record.run_id or "-",
                    "socialflow/items": str(sum(len(v) for v in ids.values())) if ids else "partition",
                },
            )
        )
    return requests


def _listed_ids(run_config: dict[str, Any]) -> dict[str, list[int]]:
    """The item ids a moderation run was given (empty: it covered whole partitions)."""
    op_config = run_config.get("ops", {}).get(MODERATION_ASSET.path[-1], {}).get("config") or {}
    ids = {name: [int(i) for i in op_config.get(name) or []] for name in MODERATION_ID_FIELDS}
    return ids if any(ids.values()) else {}


@dg.sensor(
    job=content_job,
    minimum_interval_seconds=30,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="After each moderation_results materialization, analyses the same items (content_job).",
)
def content_after_moderation_sensor(context: dg.SensorEvaluationContext) -> dg.SensorResult:
    """The cursor is the last materialization's storage id. A first tick starts at the newest one:
    history is for backfills, not for a sensor switched on later."""
    if context.cursor is None:
        latest = context.instance.fetch_materializations(MODERATION_ASSET, limit=1).records
        cursor = str(latest[0].storage_id) if latest else "0"
        return dg.SensorResult(
            skip_reason=dg.SkipReason("started; watching moderation_results"), cursor=cursor
        )
    records = context.instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=MODERATION_ASSET, after_storage_id=int(context.cursor)),
        limit=SENSOR_EVENTS_PER_TICK,
        ascending=True,
    ).records
    if not records:
        return dg.SensorResult(skip_reason=dg.SkipReason("no new moderation results"), cursor=context.cursor)
    cursor = str(max(record.storage_id for record in records))
    requests = plan_content_runs(context.instance, records)
    context.log.info(f"{len(requests)} content runs for {len(records)} moderation materializations")
    return dg.SensorResult(run_requests=requests, cursor=cursor)


jobs = [content_job, topic_model_job, content_topics_job]
schedules = [topic_model_daily, content_topics_daily]
sensors = [content_after_moderation_sensor]
