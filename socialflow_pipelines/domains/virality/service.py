"""Viral prediction on the platform: learn from matured items, predict for young ones.

- `train_viral_model`: per content type, items older than the horizon (matured) from the last
  `VIRAL_LOOKBACK_DAYS`, each seen at several ages (so one model serves an item 10 minutes or 10
  hours old); the earlier 75% by creation time train the candidate, scored on the later 25% (a
  later time slice: no look into the future) and published through the model store's gate on
  that held-out ROC AUC.
- `predict_young`: every item younger than the horizon, at its own age, into
  `ml.viral_predictions` and Redis.
- `predict_item` / `predict_counts`: one item from its stored history, or the counts a caller
  gives (the API).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import polars as pl
from scipy.stats import spearmanr
from sklearn.metrics import roc_auc_score

from socialflow_pipelines.config import Settings
from socialflow_pipelines.domains.virality import store
from socialflow_pipelines.domains.virality.records import Basis, ViralPrediction
from socialflow_pipelines.ml import virality
from socialflow_pipelines.platform.cache import prediction_key
from socialflow_pipelines.platform.db.engine import Database
from socialflow_pipelines.platform.model_store import Gate, ModelStore, Publication

MODEL_NAME = "viral_model"
CONTENT_TYPES = ("video", "post")
PREDICTION_MODEL = "viral"  # the seed's key: ml_prediction:viral:{content_type}:{content_id}
MAX_GIVEN_EVENTS = 1_000_000  # counts a request may give (one synthetic observation each)


@dataclass(frozen=True)
class TrainingParams:
    observe_ages_minutes: tuple[int, ...] = (10, 60, 360, 1440)
    holdout: float = 0.25  # the latest share of matured items, by creation time
    min_items: int = 50  # matured items a content type needs for a model
    tolerance: float = 0.02  # held-out ROC AUC the candidate may lose against the published one


@dataclass
class ViralModels:
    """The published artifact: one model per content type, and its held-out ROC AUC per age."""

    models: dict[str, virality.ViralityModel]
    held_out_auc: dict[str, dict[int, float]] = field(default_factory=dict)
    # Per content type, creator id -> median log outcome of their matured items (the creator's
    # influence as the model learned it; a creator without matured items has none).
    creator_influence: dict[str, pl.DataFrame] = field(default_factory=dict)

    def item_info(self, content_type: str, items: pl.DataFrame) -> pl.DataFrame:
        """What the model reads besides engagement, for items not matured yet."""
        influence = self.creator_influence.get(content_type)
        if influence is None:
            return _item_info(items, None)
        known = items.select("item_id", "creator_id").join(influence, on="creator_id", how="left")
        return _item_info(items, known.select("item_id", "creator_median_log_outcome"))

    # Per content type and trained age, the held-out ROC AUC per evidence band (`evidence_band`):
    # an item with no engagement yet is judged on its creator and content alone.
    held_out_auc_by_evidence: dict[str, dict[int, dict[str, float]]] = field(default_factory=dict)

    def confidence(self, content_type: str, age_minutes: float, observations: int) -> float:
        """The held-out discrimination, as 2·AUC − 1 (0: no better than chance, 1: perfect), of
        items seen at the trained age nearest below `age_minutes` with as much evidence (events
        seen) as this one; the age's over all items where that band had too few to measure."""
        by_age = self.held_out_auc.get(content_type) or {}
        if not by_age:
            return 0.0
        ages = sorted(by_age)
        band = max([age for age in ages if age <= age_minutes], default=ages[0])
        # Versions published before the evidence bands have none.
        by_evidence = getattr(self, "held_out_auc_by_evidence", {}).get(content_type, {}).get(band, {})
        auc = by_evidence.get(evidence_band(observations), by_age[band])
        return float(np.clip(2 * auc - 1, 0.0, 1.0))


EVIDENCE_BANDS = ((0, "none"), (1, "some"), (10, "many"))  # events seen: 0, 1-9, 10 or more
MIN_BAND_ITEMS = 30  # held-out items a band needs (with both outcomes) for its own AUC


def evidence_band(observations: int) -> str:
    return [name for floor, name in EVIDENCE_BANDS if observations >= floor][-1]


@dataclass(frozen=True)
class NotTrained:
    reason: str
    published_version: str | None


def _features_at_ages(
    series: store.ItemSeries, items: pl.DataFrame, ages: tuple[int, ...], info: pl.DataFrame
) -> pl.DataFrame:
    """The items' features at each of `ages` (rows stacked, age first)."""
    return pl.concat(
        [
            virality.series_features(series.events, items["item_id"].to_list(), age, info, series.typed)
            for age in ages
        ]
    )


def _item_info(items: pl.DataFrame, influence: pl.DataFrame | None) -> pl.DataFrame:
    """What the model reads of the items besides engagement: publishing time, what the item is
    (where known), and the creator's influence."""
    known = [
        name for name in (*virality.CREATOR_FEATURES, *virality.CONTENT_FEATURES) if name in items.columns
    ]
    info = items.select("item_id", "published_at", *known)
    return info if influence is None else info.join(influence, on="item_id", how="left")


def train_viral_model(
    settings: Settings, db: Database, models: ModelStore, now: datetime, params: TrainingParams
) -> Publication | NotTrained:
    horizon = settings.viral_horizon_minutes
    learned: dict[str, virality.ViralityModel] = {}
    held_out: dict[str, dict[int, float]] = {}
    held_out_by_evidence: dict[str, dict[int, dict[str, float]]] = {}
    influence: dict[str, pl.DataFrame] = {}
    metrics: dict[str, Any] = {}
    for content_type in CONTENT_TYPES:
        series = store.item_series(
            db,
            content_type,
            now - timedelta(days=settings.viral_lookback_days),
            now - timedelta(minutes=horizon),
            now,
            horizon,
        )
        outcomes = virality.outcomes(series.observations, horizon)
        items = series.items.join(outcomes, on="item_id").sort("published_at", "item_id")
        if items.height < params.min_items or items["outcome"].n_unique() < 2:
            metrics[f"{content_type}_matured_items"] = items.height
            continue
        cut = int(items.height * (1 - params.holdout))
        earlier, later = items.head(cut), items.tail(items.height - cut)
        creators = items.select("item_id", "creator_id")
        own, later_influence = virality.creator_influence(
            creators, earlier.select("item_id", "outcome"), later.select("item_id", "creator_id")
        )
        ages = params.observe_ages_minutes
        candidate = virality.fit(
            _features_at_ages(series, earlier, ages, _item_info(earlier, own)),
            np.tile(earlier["outcome"].to_numpy(), len(ages)),
        )
        later_viral = later["outcome"].to_numpy() >= candidate.threshold
        by_age: dict[int, float] = {}
        by_evidence: dict[int, dict[str, float]] = {}
        for age in ages:
            x = virality.series_features(
                series.events,
                later["item_id"].to_list(),
                age,
                _item_info(later, later_influence),
                series.typed,
            )
            probability, predicted_log = candidate.predict(x)
            if 0 < later_viral.sum() < len(later_viral):
                by_age[age] = round(float(roc_auc_score(later_viral, probability)), 4)
            bands = np.array([evidence_band(int(n)) for n in x["observations"]])
            for _, name in EVIDENCE_BANDS:
                inside = bands == name
                viral_inside = later_viral[inside]
                if inside.sum() >= MIN_BAND_ITEMS and 0 < viral_inside.sum() < inside.sum():
                    auc = round(float(roc_auc_score(viral_inside, probability[inside])), 4)
                    by_evidence.setdefault(age, {})[name] = auc
                    metrics[f"{content_type}_roc_auc_at_{age}m_{name}_engagement"] = auc
            rho = (  # a constant prediction ranks nothing
                spearmanr(predicted_log, np.log1p(later["outcome"].to_numpy())).statistic
                if np.std(predicted_log) > 0
                else 0.0
            )
            metrics[f"{content_type}_spearman_at_{age}m"] = round(float(rho), 4)
        held_out[content_type] = by_age
        held_out_by_evidence[content_type] = by_evidence
        metrics |= {f"{content_type}_roc_auc_at_{age}m": auc for age, auc in by_age.items()}
        metrics[f"{content_type}_matured_items"] = items.height
        # The candidate itself is published: its held-out figures are then the published model's
        # own (a refit on every matured item doubled the training time for the latest quarter).
        learned[content_type] = candidate
        influence[content_type] = virality.creator_medians(creators, items.select("item_id", "outcome"))
    if not learned:
        return NotTrained(
            f"no content type has {params.min_items} matured items (older than {horizon} minutes)",
            models.published_version(MODEL_NAME),
        )
    aucs = [auc for by_age in held_out.values() for auc in by_age.values()]
    metrics["roc_auc"] = round(float(np.mean(aucs)), 4) if aucs else None
    return models.publish_candidate(
        MODEL_NAME,
        ViralModels(learned, held_out, influence, held_out_by_evidence),
        metrics=metrics,
        params={"observe_ages_minutes": list(params.observe_ages_minutes), "horizon_minutes": horizon},
        gate=Gate("roc_auc", params.tolerance),
        mirror_to=db,
    )


def _predictions(
    settings: Settings,
    published: ViralModels,
    version: str,
    content_type: str,
    features: pl.DataFrame,
    now: datetime,
    basis: Basis,
) -> list[ViralPrediction]:
    model = published.models[content_type]
    probability, predicted_log = model.predict(features)
    contributions, _ = model.contributions(features)
    names = virality.factor_names(model.classifier.features)
    return [
        ViralPrediction(
            content_type=content_type,
            content_id=item_id,
            viral_score=round(float(score), 5),
            is_likely_viral=bool(score >= settings.viral_threshold),
            confidence=round(published.confidence(content_type, age, int(seen)), 4),
            predicted_count=round(float(np.expm1(max(log_count, 0.0))), 2),
            factors={name: round(float(value), 5) for name, value in zip(names, row, strict=True)},
            age_minutes=round(float(age), 1),
            observations=int(seen),
            model_version=version,
            predicted_at=now,
            basis=basis,
        )
        for item_id, age, seen, score, log_count, row in zip(
            features["item_id"],
            features["age_minutes"],
            features["observations"],  # the events seen by the item's age
            probability,
            predicted_log,
            contributions,
            strict=True,
        )
    ]


def _published(models: ModelStore) -> tuple[ViralModels, str] | None:
    loaded = models.load_published(MODEL_NAME)
    return None if loaded is None else (loaded[0], loaded[1].version)


@dataclass(frozen=True)
class PredictionRun:
    records: dict[str, list[ViralPrediction]]  # per content type
    written: dict[str, int]
    model_version: str | None
    reason: str | None = None

    def cache_items(self) -> list[tuple[str, dict[str, Any]]]:
        """The Redis values: the seed's key and response shape per item."""
        return [
            (prediction_key(PREDICTION_MODEL, f"{record.content_type}:{record.content_id}"), record.payload())
            for records in self.records.values()
            for record in records
        ]


def predict_young(
    settings: Settings,
    db: Database,
    models: ModelStore,
    now: datetime,
    listed: dict[str, list[str]] | None = None,
) -> PredictionRun:
    """Every item younger than the horizon, at its own age, into its content type's store rows
    (replacing them in one transaction: a re-run writes the same rows). With `listed` (ids per
    content type: new items a sensor found), only those of them still younger than the horizon,
    their rows alone replaced."""
    found = _published(models)
    if found is None:
        return PredictionRun({}, {}, None, "no viral_model published yet")
    published, version = found
    horizon = settings.viral_horizon_minutes
    young_from = now - timedelta(minutes=horizon)
    records, written = {}, {}
    for content_type in published.models:
        ids = None if listed is None else listed.get(content_type, [])
        if ids == []:
            continue
        series = store.item_series(db, content_type, young_from, now, now, horizon, ids=ids)
        if ids is not None:  # listed items past the horizon are the full run's to drop
            series = series.only(series.items.filter(pl.col("published_at") > young_from)["item_id"])
        records[content_type] = _for_items(settings, published, version, content_type, series, now)
        written[content_type] = store.replace_predictions(
            db, content_type, [record.row() for record in records[content_type]], ids
        )
    return PredictionRun(records, written, version)


def _for_items(
    settings: Settings,
    published: ViralModels,
    version: str,
    content_type: str,
    series: store.ItemSeries,
    now: datetime,
) -> list[ViralPrediction]:
    items = series.items
    if items.is_empty():
        return []
    info = published.item_info(content_type, items)
    features = virality.series_features(
        series.events, items["item_id"].to_list(), items["age_minutes"].to_list(), info, series.typed
    )
    return _predictions(settings, published, version, content_type, features, now, "stored history")


def predict_item(
    settings: Settings, db: Database, models: ModelStore, content_type: str, content_id: str, now: datetime
) -> ViralPrediction | None:
    """One stored item from its engagement so far (None when it does not exist or no model is
    published for its type)."""
    found = _published(models)
    if found is None or content_type not in found[0].models:
        return None
    horizon = settings.viral_horizon_minutes
    series = store.item_series(db, content_type, now, now, now, horizon, ids=[content_id])
    records = _for_items(settings, found[0], found[1], content_type, series, now)
    return records[0] if records else None


def predict_counts(
    settings: Settings,
    models: ModelStore,
    content_type: str,
    counts: dict[str, int],
    age_minutes: float,
    now: datetime,
    content_id: str,
) -> ViralPrediction | None:
    """From counts alone (views, likes, comments, shares) at `age_minutes`: each type's events
    taken to have come evenly over the item's age (no history was given). None without a model."""
    found = _published(models)
    if found is None or content_type not in found[0].models:
        return None
    # One observation per event, as the store's series have them (the model counts observations).
    typed = given_events(counts, age_minutes, content_id)
    total = typed.height
    observations = pl.DataFrame(
        {
            "item_id": [content_id] * total,
            "minutes": typed["minutes"],
            "count": np.arange(1, total + 1, dtype=float),
        }
    )
    items = pl.DataFrame(
        {
            "item_id": [content_id],
            "creator_id": [None],
            "published_at": [now - timedelta(minutes=age_minutes)],
        },
        schema={"item_id": pl.String, "creator_id": pl.String, "published_at": pl.Datetime("us", "UTC")},
    )
    info = found[0].item_info(content_type, items)
    features = virality.series_features(observations, [content_id], age_minutes, info, typed)
    (record,) = _predictions(settings, found[0], found[1], content_type, features, now, "given counts")
    return record


def given_events(counts: dict[str, int], age_minutes: float, content_id: str) -> pl.DataFrame:
    """(item_id, minutes, event_type) for the given counts per event type ("views", ...), each
    type's events spread evenly over the age, in time order; `MAX_GIVEN_EVENTS` at most in all
    (each type scaled down alike past it)."""
    given = {event: max(int(counts.get(f"{event}s", 0)), 0) for event in virality.EVENT_TYPES}
    scale = min(1.0, MAX_GIVEN_EVENTS / max(sum(given.values()), 1))
    frames = [
        pl.DataFrame(
            {
                "minutes": np.linspace(age_minutes / max(n, 1), age_minutes, n),
                "event_type": [event] * n,
            },
            schema={"minutes": pl.Float64, "event_type": pl.String},
        )
        for event, n in ((event, int(count * scale)) for event, count in given.items())
    ]
    return (
        pl.concat(frames)
        .sort("minutes", "event_type")
        .select(pl.lit(content_id, pl.String).alias("item_id"), "minutes", "event_type")
    )
