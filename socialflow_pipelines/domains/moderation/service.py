"""What the moderation assets and `POST /api/v1/ml/moderate` ask for: moderate a run's items and
store the outcome, judge one item (cache-aside) or raw content, and retrain a text label's model
from the human reviews.

Human reviews win: an item with a row in `moderation_reviews` keeps the reviewer's decision (the
latest review) and flags; the model's scores are still stored beside it for retraining and audit.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from socialflow_pipelines.config import Settings
from socialflow_pipelines.domains.catalog.scope import ItemScope
from socialflow_pipelines.domains.moderation import store
from socialflow_pipelines.domains.moderation.records import ModerationRecord
from socialflow_pipelines.domains.moderation.runtime import ModerationRuntime, current_runtime, model_name
from socialflow_pipelines.ml.moderation import (
    DECISIONS,
    FRAME_LABELS,
    VideoItem,
    text_model_params,
    video_text,
)
from socialflow_pipelines.ml.text_classifier import train_with_holdout
from socialflow_pipelines.platform.cache import RedisCache, moderation_key, read_or_load
from socialflow_pipelines.platform.db import schema
from socialflow_pipelines.platform.db.engine import Database
from socialflow_pipelines.platform.model_store import Gate, ModelStore, Publication

GATE_METRIC = "pr_auc"

# --------------------------------------------------------------------------------------------
# A run's items


@dataclass(frozen=True)
class ModerationRun:
    """What one moderation run did and what the store holds after it (for the run's checks)."""

    scope: str
    records: list[ModerationRecord]
    stored_scores: dict[tuple[str, str], dict[str, Any]]  # read back for the run's items
    unmoderated: int  # items in scope without a result row, after the write
    models: dict[str, str]  # the model behind each label, or why there is none

    def cache_items(self) -> Iterator[tuple[str, dict[str, Any]]]:
        """`moderation:{type}:{id}` with the API's payload, per item."""
        for record in self.records:
            yield moderation_key(record.content_type, record.content_id), record.payload()

    def decisions(self) -> dict[str, int]:
        """Items per decision, the four known decisions first, those that occur only."""
        counts = Counter(r.decision for r in self.records)
        order = (*DECISIONS, *sorted(set(counts) - set(DECISIONS)))
        return {decision: counts[decision] for decision in order if counts[decision]}

    def versions_used(self) -> dict[str, list[str]]:
        """Per label, the model versions that scored the run's items."""
        used: dict[str, set[str]] = {}
        for record in self.records:
            for label, version in record.model_versions.items():
                if version is not None:
                    used.setdefault(label, set()).add(version)
        return {label: sorted(versions) for label, versions in sorted(used.items())}


def moderate(
    settings: Settings, database: Database, models: ModelStore, scope: ItemScope, now: datetime
) -> ModerationRun:
    """Moderate every item in `scope` and write the results and app columns. A record whose
    outcome equals the stored one keeps its moderated_at, so a re-run that changes nothing leaves
    the rows as they were. A batch builds its own runtime: each run is its own process anyway."""
    items = scope.read_items(database)
    keys = [item.key for item in items]
    runtime = ModerationRuntime(settings, models)
    records = runtime.moderate(items, store.read_reviews(database, keys), now)
    existing = store.read_results(database, keys)
    for item, record in zip(items, records, strict=True):
        previous = existing.get(item.key)
        if previous is not None and record.same_outcome(previous):
            record.moderated_at = previous.moderated_at
    store.write_records(database, records)
    return ModerationRun(
        scope=scope.describe(),
        records=records,
        stored_scores={key: r.scores for key, r in store.read_results(database, keys).items()},
        unmoderated=scope.count_missing(database, schema.moderation_results),
        models=runtime.describe_models(),
    )


# --------------------------------------------------------------------------------------------
# One item or raw content, for the API


@dataclass(frozen=True)
class Judgement:
    payload: dict[str, Any]  # ModerationRecord.payload()
    source: Literal["cache", "store", "model"]


async def judge_item(
    settings: Settings,
    database: Database,
    models: ModelStore,
    cache: RedisCache | None,
    content_type: str,
    content_id: str,
    now: datetime,
) -> Judgement | None:
    """Cache-aside: Redis first, then the pipeline's stored result, and only for an item not
    judged yet a live call of the pipeline's models (not stored: the pipeline owns the results).
    What is found or computed goes back to Redis. None when there is no such item."""
    item_key = (content_type, content_id)

    def judged() -> Judgement | None:
        record = store.read_results(database, [item_key]).get(item_key)
        if record is not None:
            return Judgement(record.payload(), "store")
        items = ItemScope.listed({content_type: [content_id]}).read_items(database)
        if not items:
            return None
        runtime = current_runtime(settings, models)
        return Judgement(
            runtime.moderate(items, store.read_reviews(database, [item_key]), now)[0].payload(), "model"
        )

    found, source = await read_or_load(
        cache, moderation_key(content_type, content_id), settings.model_cache_ttl, judged, lambda j: j.payload
    )
    return Judgement(found, "cache") if source == "cache" else found


def judge_content(
    settings: Settings,
    models: ModelStore,
    *,
    text: str | None = None,
    title: str | None = None,
    description: str | None = None,
    now: datetime,
) -> Judgement:
    """Raw content (a post's or comment's `text`, or a video's `title` and `description`), judged
    live and not cached: it has no id. A video sent this way has no frames, and says so."""
    runtime = current_runtime(settings, models)
    if text is not None:
        result = runtime.text_moderator().moderate_texts([text])[0]
    else:
        video = VideoItem(video_text(title, description))
        result = runtime.video_moderator(with_frames=False).moderate_videos([video])[0]
        for label in FRAME_LABELS:
            if result.missing.get(label) == "no frames":
                result.missing[label] = "raw content has no frames; judged on its text"
    return Judgement(ModerationRecord.build(None, result, None, now).payload(), "model")


# --------------------------------------------------------------------------------------------
# Text models retrained from human reviews


@dataclass(frozen=True)
class TrainingRules:
    """When a label has enough human verdicts to train on, and how the candidate is judged."""

    min_reviews: int
    min_per_class: int
    holdout: float
    tolerance: float  # held-out PR-AUC the candidate may lose against the published version
    seed: int


@dataclass(frozen=True)
class TextModelTraining:
    """A text model's retraining: the training set's facts and either the publication of the
    candidate (with its model's facts) or why none was trained."""

    facts: dict[str, Any]
    published: str | None  # the published version before this training
    skipped: str | None = None
    publication: Publication | None = None
    model_facts: dict[str, Any] = field(default_factory=dict)


def train_text_model(
    database: Database, models: ModelStore, label: str, rules: TrainingRules, now: datetime
) -> TextModelTraining:
    """Train `{label}_model` on the latest human verdicts, adapt it to the platform's base rate,
    and publish it through the gate (held-out PR-AUC not worse than the published version's
    beyond `rules.tolerance`). Skipped with a reason when the verdicts are too few or unchanged."""
    name = model_name(label)
    texts, labels = store.reviewed_training_texts(database, label)
    positives = int(sum(labels))
    published = models.published_version(name)
    facts: dict[str, Any] = {
        "reviews_with_verdict": len(texts),
        "positives": positives,
        "negatives": len(texts) - positives,
        "positive_share": round(positives / len(texts), 4) if texts else 0.0,
    }
    fingerprint = _data_fingerprint(texts, labels)
    reason = _skip_reason(rules, len(texts), positives)
    trained_on = models.describe(name, published).params.get("training_data") if published else None
    if reason is None and trained_on == fingerprint:
        reason = f"no new human labels since the published version {published}"
    if reason is not None:
        return TextModelTraining(facts, published, skipped=reason)

    model, metrics = train_with_holdout(
        texts,
        labels,
        holdout=rules.holdout,
        seed=rules.seed,
        params=text_model_params(label, seed=rules.seed),
    )
    # Held-out figures first (on the reviews' distribution), then the platform's base rate.
    population_share = model.adapt_to_population(store.population_texts(database, now))
    metrics = {
        **metrics,
        "label": label,
        "source": "moderation_reviews",
        "review_positive_share": round(positives / len(texts), 4),
        "population_positive_share": round(population_share, 4),
    }
    publication = models.publish_candidate(
        name,
        model,
        metrics=metrics,
        params={**model.describe(), "training_data": fingerprint},
        gate=Gate(GATE_METRIC, rules.tolerance),
        mirror_to=database,
    )
    held_out = ("n", "positives", "accuracy", "precision", "recall", "f1", "roc_auc", "pr_auc")
    return TextModelTraining(
        facts,
        published,
        publication=publication,
        model_facts={
            "held_out": {k: metrics[k] for k in held_out},
            GATE_METRIC: metrics.get(GATE_METRIC),
            "chosen_c": model.chosen_c,
            "family": model.describe()["family"],
            "population_positive_share": metrics["population_positive_share"],
        },
    )


def _data_fingerprint(texts: Sequence[str], labels: Sequence[int]) -> str:
    """Order-free hash of the training set: unchanged labels mean nothing to retrain."""
    digest = hashlib.sha256()
    for text, label in sorted(zip(texts, labels, strict=True)):
        digest.update(f"{label}\t{text}\n".encode())
    return digest.hexdigest()[:16]


def _skip_reason(rules: TrainingRules, n: int, positives: int) -> str | None:
    if n < rules.min_reviews:
        return f"only {n} reviews with a verdict; training needs {rules.min_reviews}"
    if min(positives, n - positives) < rules.min_per_class:
        return (
            f"{positives} positive and {n - positives} negative verdicts; "
            f"training needs {rules.min_per_class} of each"
        )
    return None
