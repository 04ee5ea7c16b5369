"""What the content assets and `POST /api/v1/ml/analyze` ask for: analyse a run's items and store
the features and embeddings, refit and publish the topic model, label stored items with the
published topics, and analyse one item (stored, cached or live) or raw text.

Every path analyses with `current_runtime`, so an item gets the same features whichever path
analysed it; items are read through the catalog, so a video's text (title, description and
captions) is the text moderation judged.
"""

from __future__ import annotations

import functools
import random
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

import anyio
import numpy as np

from socialflow_pipelines.config import Settings
from socialflow_pipelines.domains.catalog.records import ContentItem
from socialflow_pipelines.domains.catalog.scope import ItemScope
from socialflow_pipelines.domains.content import store
from socialflow_pipelines.domains.content.records import (
    ContentEmbedding,
    ContentFeatures,
    TopicRecord,
    topics_payload,
)
from socialflow_pipelines.domains.content.store import Days
from socialflow_pipelines.ml.content import ContentAnalysis, ContentAnalyzer, TopicModel, fit_topic_model
from socialflow_pipelines.ml.content.sentiment import VADER_METHOD, LearnedSentiment
from socialflow_pipelines.platform.cache import RedisCache, prediction_key, read_or_load
from socialflow_pipelines.platform.db import schema
from socialflow_pipelines.platform.db.engine import Database
from socialflow_pipelines.platform.model_store import Gate, ModelStore, Publication
from socialflow_pipelines.platform.time import utc_now

TOPIC_MODEL = "topic_model"
SENTIMENT_MODEL = "sentiment_model"  # trained by `socialflow train sentiment`
ENTITY_MODEL = "entity_model"  # trained by `socialflow train entities`
PREDICTION_MODEL = "content_analysis"  # the API's Redis key: ml_prediction:content_analysis:{type}:{id}
ANALYSIS_CHUNK = 2_000  # items per analysis call: bounds memory and gives progress in the run log
MIN_TOPIC_ITEMS = 20  # below this, clusters are noise: keep the published version

Progress = Callable[[int, int], None]

# --------------------------------------------------------------------------------------------
# The analyzer


@functools.cache
def base_analyzer() -> ContentAnalyzer:
    """The models without topics (embedder, language, sentiment, keywords, entities, categories),
    loaded once per process. The one cache of the analyzer: loading takes seconds, and these are
    pinned files that never change while the process runs. The topic model, which does change
    daily, is not held here but loaded per published version by `ModelStore.load_published`."""
    return ContentAnalyzer()


# One analysis at a time over the shared models: the API calls from a thread pool, and spaCy and
# torch are not documented as safe for concurrent calls on one model (2 cores gain nothing from it).
_analysis_lock = threading.Lock()


class ContentRuntime:
    """The shared models plus the models published now: topics, and the learned sentiment and
    entity models where `socialflow train` has published them (VADER and spaCy sm until then)."""

    def __init__(
        self,
        topic_model: TopicModel | None,
        topic_model_version: str | None,
        *,
        sentiment: LearnedSentiment | None = None,
        entities: tuple[Any, str] | None = None,
    ) -> None:
        base = base_analyzer()
        self.topic_model_version = topic_model_version
        self.sentiment_method = sentiment.method if sentiment is not None else VADER_METHOD
        self.entity_method = entities[1] if entities is not None else "spacy:en_core_web_sm"
        self.analyzer = ContentAnalyzer(
            base.embedder,
            topic_model=topic_model,
            language_detector=base.language_detector,
            sentiment_scorer=sentiment or base.sentiment_scorer,
            keyword_extractor=base.keyword_extractor,
            entity_recognizer=entities[0] if entities is not None else base.entity_recognizer,
            category_classifier=base.category_classifier,
        )

    @property
    def embedding_model(self) -> str:
        return self.analyzer.embedding_model

    @property
    def embedding_dim(self) -> int:
        return self.analyzer.embedder.dim

    def analyze(self, texts: Sequence[str]) -> list[ContentAnalysis]:
        with _analysis_lock:
            return self.analyzer.analyze(texts)

    def features(
        self, item: ContentItem | None, analysis: ContentAnalysis, analyzed_at: datetime | None
    ) -> ContentFeatures:
        return ContentFeatures.build(
            item,
            analysis,
            topic_model_version=self.topic_model_version,
            embedding_model=self.embedding_model,
            entity_method=self.entity_method,
            analyzed_at=analyzed_at,
        )

    def analyze_text(self, text: str) -> ContentFeatures:
        """Raw text (no stored item): the same analysis, with no key, date or time."""
        return self.features(None, self.analyze([text])[0], None)


def published_method(name: str, version: str) -> str:
    """How a row names the published model that produced it: `sentiment_model:<version>`."""
    return f"{name}:{version}"


def current_runtime(models: ModelStore) -> ContentRuntime:
    """The runtime for the models published now: cheap to build per call (the models are shared
    and loaded once per version), and it picks up a new publication as soon as it lands."""
    topics = models.load_published(TOPIC_MODEL)
    sentiment = models.load_published(SENTIMENT_MODEL)
    entities = models.load_published(ENTITY_MODEL)
    return ContentRuntime(
        None if topics is None else topics[0],
        None if topics is None else topics[1].version,
        sentiment=None
        if sentiment is None
        else LearnedSentiment(sentiment[0], published_method(SENTIMENT_MODEL, sentiment[1].version)),
        entities=None
        if entities is None
        else (entities[0], published_method(ENTITY_MODEL, entities[1].version)),
    )


# --------------------------------------------------------------------------------------------
# A run's items


@dataclass(frozen=True)
class AnalysisRun:
    """What one content_analysis run wrote and what the store holds after it (for its checks)."""

    scope: str
    items: list[ContentItem]
    features: list[ContentFeatures]  # row-aligned with items
    embeddings: list[ContentEmbedding]  # row-aligned with items
    seconds: float
    topic_model_version: str | None
    embedding_model: str
    embedding_dim: int
    checked_days: Days  # the creation dates the range checks read
    unanalysed: int  # items in scope without a features row, after the write
    unembedded: int
    sentiment_out_of_range: int
    embedding_variants: list[dict[str, Any]]

    @property
    def items_per_s(self) -> float:
        return round(len(self.items) / self.seconds, 1) if self.seconds > 0 and self.items else 0.0

    def distribution(self, value: Callable[[ContentFeatures], str]) -> dict[str, int]:
        """Items per `value` of their features, most frequent first."""
        return dict(Counter(value(features) for features in self.features).most_common())

    def preview(self, limit: int) -> list[dict[str, Any]]:
        """The first items with what was found in them, one line each (for the UI)."""
        return [
            {
                "type": item.content_type,
                "id": item.content_id,
                "language": features.language,
                "sentiment": features.sentiment["label"] or "-",
                "score": features.sentiment["score"],
                "category": features.top_category,
                "topic": features.topics[0]["label"] if features.topics else "-",
                "tags": ", ".join(features.tags[:4]) or "-",
                "text": item.text[:60].replace("|", "/").replace("\n", " "),
            }
            for item, features in zip(self.items[:limit], self.features, strict=False)
        ]


def analyse(
    scope: ItemScope, database: Database, models: ModelStore, *, progress: Progress | None = None
) -> AnalysisRun:
    """Analyse every item in `scope` once (the embedding also feeds categories and topics) and
    write both tables: a window replaces its creation dates' rows, listed ids upsert theirs, so a
    re-run leaves the same rows (only `analyzed_at` moves). Then read back what the checks judge."""
    items = scope.read_items(database)
    runtime = current_runtime(models)
    started = time.perf_counter()
    analyses: list[ContentAnalysis] = []
    for start in range(0, len(items), ANALYSIS_CHUNK):
        analyses += runtime.analyze([item.text for item in items[start : start + ANALYSIS_CHUNK]])
        if progress is not None:
            progress(len(analyses), len(items))
    seconds = time.perf_counter() - started
    analyzed_at = utc_now()
    features = [runtime.features(i, a, analyzed_at) for i, a in zip(items, analyses, strict=True)]
    embeddings = [
        ContentEmbedding.build(i, a, runtime.embedding_model) for i, a in zip(items, analyses, strict=True)
    ]
    store.write_analyses(database, features, embeddings, days=scope.days)
    days = scope.days or _days_of(items)
    return AnalysisRun(
        scope=scope.describe(),
        items=items,
        features=features,
        embeddings=embeddings,
        seconds=seconds,
        topic_model_version=runtime.topic_model_version,
        embedding_model=runtime.embedding_model,
        embedding_dim=runtime.embedding_dim,
        checked_days=days,
        unanalysed=scope.count_missing(database, schema.content_features),
        unembedded=scope.count_missing(database, schema.content_embeddings),
        sentiment_out_of_range=store.count_sentiment_out_of_range(database, days),
        embedding_variants=store.embedding_variants(database, days),
    )


def _days_of(items: Sequence[ContentItem]) -> Days:
    """[first, end) creation dates of `items` (today's empty range when there are none)."""
    if not items:
        today = utc_now().date()
        return today, today
    dates = [item.created_at.date() for item in items]
    return min(dates), max(dates) + timedelta(days=1)


# --------------------------------------------------------------------------------------------
# The topic model and the topics of stored items


@dataclass(frozen=True)
class TopicParams:
    """Which content the topics are discovered in, and how many (the asset's config)."""

    lookback_days: int
    max_items: int
    n_topics: int | None
    max_topics: int
    seed: int


@dataclass(frozen=True)
class TopicsRefitted:
    publication: Publication
    topics: list[TopicRecord]
    n_items: int
    recent_items: int  # before sampling down to max_items
    reused_embeddings: int


@dataclass(frozen=True)
class TopicsNotRefitted:
    reason: str
    published_version: str | None


def refit_topics(
    database: Database, models: ModelStore, params: TopicParams, now: datetime
) -> TopicsRefitted | TopicsNotRefitted:
    """Topics over the last `lookback_days` of content: k-means on sentence embeddings (stored
    ones reused, the rest embedded here), labelled by class-based TF-IDF, published, and written
    to `ml.topics`. Always published (`Gate(None)`): the topics are refitted on new data each day,
    and no held-out measure compares one day's clustering with another's."""
    window = (now - timedelta(days=params.lookback_days), now)
    items = [item for item in ItemScope.created_in(*window).read_items(database) if item.text.strip()]
    recent = len(items)
    if len(items) > params.max_items:
        items = random.Random(params.seed).sample(items, params.max_items)
    if len(items) < MIN_TOPIC_ITEMS:
        return TopicsNotRefitted(
            f"{len(items)} items in the last {params.lookback_days} days; topics need {MIN_TOPIC_ITEMS}",
            models.published_version(TOPIC_MODEL),
        )
    embedder = base_analyzer().embedder
    stored = store.stored_vectors(database, [item.key for item in items], embedder.model_name, embedder.dim)
    vectors = np.zeros((len(items), embedder.dim), dtype=np.float32)
    missing = []
    for row, item in enumerate(items):
        if item.key in stored:
            vectors[row] = stored[item.key]
        else:
            missing.append(row)
    if missing:
        vectors[missing] = embedder.embed([items[row].text for row in missing])
    model = fit_topic_model(
        [item.text for item in items],
        vectors,
        n_topics=params.n_topics,
        max_topics=params.max_topics,
        random_state=params.seed,
    )
    publication = models.publish_candidate(
        TOPIC_MODEL,
        model,
        metrics={"n_items": len(items), "n_topics": len(model.topics), "recent_items": recent},
        params={**asdict(params), "embedding_model": embedder.model_name, "min_score": model.min_score},
        gate=Gate(None),
        mirror_to=database,
    )
    version = publication.candidate.version
    topics = TopicRecord.of_model(model, version)
    store.write_topics(database, topics, version)
    return TopicsRefitted(publication, topics, len(items), recent, len(items) - len(missing))


@dataclass(frozen=True)
class TopicLabelling:
    """What content_topics wrote: the version whose topics the items now carry, and the check's count."""

    version: str
    items: int
    without_topic: int
    items_per_topic: dict[str, int]  # by the item's best topic, most items first
    stale: int  # items of the range still carrying another version's topics


def assign_topics(database: Database, models: ModelStore, days: Days, *, top: int) -> TopicLabelling | None:
    """The published topic model's `top` topics for every analysed item of those creation dates,
    from the stored embeddings (only a matrix product runs), written to `content_features.topics`.
    None when no topic model is published yet."""
    loaded = models.load_published(TOPIC_MODEL)
    if loaded is None:
        return None
    model, published = loaded
    # The embeddings the topics were fitted on: no analysis model needs loading for a matrix product.
    embedding_model, dim = str(published.params["embedding_model"]), int(model.centroids.shape[1])
    embeddings = store.analysed_embeddings(database, days, embedding_model, dim)
    assignments = model.assign(np.stack([e.vector for e in embeddings]), top=top) if embeddings else []
    topics = {
        embedding.key: topics_payload(item_topics, published.version)
        for embedding, item_topics in zip(embeddings, assignments, strict=True)
    }
    updated = store.write_item_topics(database, topics)
    per_topic = Counter(item_topics[0].label for item_topics in assignments if item_topics)
    return TopicLabelling(
        version=published.version,
        items=updated,
        without_topic=sum(not item_topics for item_topics in assignments),
        items_per_topic=dict(per_topic.most_common()),
        stale=store.count_stale_topics(database, days, published.version),
    )


# --------------------------------------------------------------------------------------------
# One item or raw text, for the API


@dataclass(frozen=True)
class ItemAnalysis:
    payload: dict[str, Any]  # ContentFeatures.payload()
    source: Literal["store", "cache", "model"]


async def analyse_item(
    settings: Settings,
    database: Database,
    models: ModelStore,
    cache: RedisCache | None,
    content_type: str,
    content_id: str,
) -> ItemAnalysis | None:
    """The pipeline's stored features first; else a live analysis with the pipeline's models,
    cached in Redis for ML_MODEL_CACHE_TTL (never stored: the next content run stores it).
    None when there is no such item."""
    stored = await anyio.to_thread.run_sync(store.read_features, database, content_type, content_id)
    if stored is not None:
        return ItemAnalysis(stored.payload(), "store")

    def analysed() -> dict[str, Any] | None:
        items = ItemScope.listed({content_type: [content_id]}).read_items(database)
        if not items:
            return None
        runtime = current_runtime(models)
        return runtime.features(items[0], runtime.analyze([items[0].text])[0], utc_now()).payload()

    key = prediction_key(PREDICTION_MODEL, f"{content_type}:{content_id}")
    payload, source = await read_or_load(cache, key, settings.model_cache_ttl, analysed, lambda found: found)
    if payload is None:
        return None
    return ItemAnalysis(payload, "cache" if source == "cache" else "model")


def analyse_text(models: ModelStore, text: str) -> dict[str, Any]:
    """Raw text, analysed live and not cached (it has no id)."""
    return current_runtime(models).analyze_text(text).payload()
