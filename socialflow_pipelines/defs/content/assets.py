"""Content analysis: features and embeddings for every item, and the topics of recent content.

- `content_features` + `content_embeddings` (one multi-asset, daily partitions by creation date):
  language, sentiment, tags, categories, topics and entities, and the sentence embedding, from
  one analysis pass per item. A run lists item ids (after moderation) or covers whole partitions.
- `topic_model` (daily): k-means over recent embeddings, labelled by class-based TF-IDF, published.
- `content_topics` (daily partitions): the published topics of every analysed item, from its
  stored embedding. Its own asset so the graph stays acyclic (features -> topic_model -> topics).

The work is `domains.content.service`; each asset asks it once and reports what it did.
"""

# No `from __future__ import annotations` here: Dagster reads the config classes from the
# parameters' annotations at decoration time.

from collections import Counter
from collections.abc import Iterator

import dagster as dg
import polars as pl

from socialflow_pipelines.defs.common import (
    SEED_RETRY_POLICY,
    ItemScopeConfig,
    daily_partitions,
    markdown_table,
)
from socialflow_pipelines.defs.content.checks import (
    CONTENT_ANALYSIS_CHECK_SPECS,
    CONTENT_TOPICS_CHECK_SPECS,
    content_embedding_checks,
    content_feature_checks,
    content_topics_check,
    no_topic_model_check,
)
from socialflow_pipelines.defs.content.config import ContentTopicsConfig, TopicModelConfig
from socialflow_pipelines.defs.resources import DatabaseResource, ModelStoreResource
from socialflow_pipelines.domains.content import service
from socialflow_pipelines.platform.time import utc_now

GROUP = "content"
CONTENT_DEPS = ["posts", "comments", "videos", "moderation_results"]


@dg.multi_asset(
    name="content_analysis",
    group_name=GROUP,
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
    check_specs=CONTENT_ANALYSIS_CHECK_SPECS,
)
def content_analysis(
    context: dg.AssetExecutionContext,
    config: ItemScopeConfig,
    database: DatabaseResource,
    model_store: ModelStoreResource,
) -> Iterator[dg.MaterializeResult]:
    """One analysis pass per item serves both tables; topics come from the published
    `topic_model`, when there is one. A run without ids replaces its creation dates' rows, a run
    with ids upserts those items' rows."""
    run = service.analyse(
        config.scope(context),
        database.database,
        model_store.store,
        progress=lambda done, total: context.log.info(f"analysed {done} / {total} items"),
    )
    context.log.info(
        f"wrote features and embeddings of {len(run.items)} items ({run.scope}) in {run.seconds:.1f} s"
    )
    facts = {"scope": run.scope, "items": len(run.items)}
    preview = run.preview(limit=20)
    yield dg.MaterializeResult(
        asset_key="content_features",
        metadata={
            **facts,
            "items_by_type": dg.MetadataValue.json(dict(Counter(i.content_type for i in run.items))),
            "items_per_s": run.items_per_s,
            "languages": dg.MetadataValue.json(run.distribution(lambda f: f.language)),
            "sentiments": dg.MetadataValue.json(run.distribution(lambda f: f.sentiment["label"] or "none")),
            "top_categories": dg.MetadataValue.json(run.distribution(lambda f: f.top_category)),
            "topic_model_version": run.topic_model_version or "none published yet",
            "preview": markdown_table(
                pl.DataFrame(preview, schema_overrides={"score": pl.Float64()})
                if preview
                else pl.DataFrame(),
                limit=20,
            ),
        },
        check_results=content_feature_checks(
            run.sentiment_out_of_range, run.unanalysed, run.checked_days, run.scope
        ),
    )
    yield dg.MaterializeResult(
        asset_key="content_embeddings",
        metadata={
            **facts,
            "model": run.embedding_model,
            "dim": run.embedding_dim,
            "bytes": sum(4 * e.dim for e in run.embeddings),
        },
        check_results=content_embedding_checks(
            run.embedding_variants, run.unembedded, run.checked_days, run.scope
        ),
    )


@dg.asset(
    group_name=GROUP,
    deps=["posts", "comments", "videos", "content_embeddings"],
    retry_policy=SEED_RETRY_POLICY,
    kinds={"scikitlearn", "sql"},
)
def topic_model(
    config: TopicModelConfig, database: DatabaseResource, model_store: ModelStoreResource
) -> dg.MaterializeResult:
    """Topics over recent content: k-means on sentence embeddings (k by silhouette), each topic
    labelled by its class-based TF-IDF top terms. Every refit is published (no gate check: no
    held-out measure compares one day's topics with another's) and written to `ml.topics`."""
    params = service.TopicParams(**config.model_dump())
    outcome = service.refit_topics(database.database, model_store.store, params, utc_now())
    if isinstance(outcome, service.TopicsNotRefitted):
        dg.get_dagster_logger().info(f"topic_model not refitted: {outcome.reason}")
        return dg.MaterializeResult(
            metadata={
                "status": "skipped",
                "reason": outcome.reason,
                "published_version": outcome.published_version or "none",
            }
        )
    publication = outcome.publication
    topics = pl.DataFrame(
        {"id": t.topic_id, "label": t.label, "size": t.size, "top terms": ", ".join(t.top_terms)}
        for t in sorted(outcome.topics, key=lambda t: -t.size)
    )
    version = publication.candidate.version
    dg.get_dagster_logger().info(f"topic_model {version}: {len(topics)} topics over {outcome.n_items} items")
    return dg.MaterializeResult(
        metadata={
            "status": publication.status,
            "version": version,
            "replaced": publication.previous.version if publication.previous else "none",
            "n_items": outcome.n_items,
            "recent_items": outcome.recent_items,
            "reused_embeddings": outcome.reused_embeddings,
            "n_topics": len(outcome.topics),
            "topics": markdown_table(topics, limit=len(topics)),
        }
    )


@dg.asset(
    group_name=GROUP,
    partitions_def=daily_partitions,
    backfill_policy=dg.BackfillPolicy.single_run(),
    deps=["content_embeddings", topic_model],
    retry_policy=SEED_RETRY_POLICY,
    kinds={"numpy", "sql"},
    check_specs=CONTENT_TOPICS_CHECK_SPECS,
)
def content_topics(
    context: dg.AssetExecutionContext,
    config: ContentTopicsConfig,
    database: DatabaseResource,
    model_store: ModelStoreResource,
) -> dg.MaterializeResult:
    """The published topic model's topics for every analysed item of the creation dates, from the
    stored embeddings, written to `content_features.topics`: after a new topic model this
    re-labels the recent items in seconds instead of re-analysing them."""
    window = context.partition_time_window
    days = (window.start.date(), window.end.date())
    labelled = service.assign_topics(database.database, model_store.store, days, top=config.top)
    if labelled is None:
        reason = "no topic_model published yet"
        return dg.MaterializeResult(
            metadata={"status": "skipped", "reason": reason}, check_results=[no_topic_model_check(reason)]
        )
    context.log.info(f"topics of {labelled.items} items from topic_model {labelled.version}")
    sizes = labelled.items_per_topic
    return dg.MaterializeResult(
        metadata={
            "status": "assigned",
            "topic_model_version": labelled.version,
            "days": f"{days[0]} .. {days[1]}",
            "items": labelled.items,
            "without_topic": labelled.without_topic,
            "items_per_topic": markdown_table(
                pl.DataFrame(
                    {"topic": list(sizes), "items": list(sizes.values())},
                    schema={"topic": pl.String(), "items": pl.Int64()},
                ),
                limit=50,
            ),
        },
        check_results=[content_topics_check(labelled.stale, labelled.version)],
    )
