"""Viral prediction from an item's early engagement: will it end in the top decile of its kind?

What we chose, and why:

* **Observations, not events.** The input is each item's cumulative engagement observed at some
  minutes after publishing (`item_id, minutes, count`); a negative count means "not observed yet"
  and is dropped, never read as zero. Features use only observations at or before the observation
  time `observe_minutes`, so nothing after it can leak in; the outcome is the count at the
  horizon, defined only for items observed up to it (matured).
* **Features that hold at any age.** The count now and at a quarter, half and three quarters of
  the item's age, on a log scale (engagement is heavy-tailed), the log velocity over the second
  half and its acceleration against the first, the rate per hour, when the first engagement came,
  how many observations there were, and the age itself; optionally the hour and weekday of
  publishing, the creator's followers at publishing and median past outcome (known only from
  earlier items), the count and rate of each event type with the share velocity, and what the
  item is (text length, media, language, sentiment, the highest moderation score), where the
  platform knows them.
* **Gradient boosting (LightGBM), two heads.** A classifier for the top decile (the score is its
  probability, Platt-calibrated on out-of-fold predictions) and a regressor for the log count at
  the horizon. Each head's feature set (all, or the count features alone), leaves and minimum
  leaf size are chosen by 5-fold cross-validation of what its output is used for (ROC AUC for
  the score, Spearman for the count), its tree count by early stopping, all inside `fit`, never
  by looking at a test set.
* **Factors are exact.** LightGBM's TreeSHAP contributions (`pred_contrib`) of the classifier,
  mapped through the calibration's linear part, sum to the calibrated log-odds minus the base
  value: what each feature added to this prediction.
* **The baseline** is Szabo & Huberman (2010): ln N(H) = a + b ln N(M), least squares on the same
  training items (with ln(1 + N), since early counts are often zero).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import lightgbm as lgb
import numpy as np
import polars as pl
from scipy.stats import spearmanr
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import GroupKFold, KFold

TOP_SHARE = 0.10  # viral: the top decile of the training outcomes
SEED = 7
CHECKPOINTS = (0.25, 0.5, 0.75)
# The count features alone: what the early-popularity law uses, shaped by the trees. A richer set
# whose extra columns carry little signal splits items the counts cannot tell apart into large
# blocks, which costs ranking quality; `fit` keeps it only where cross-validation says it helps.
COUNT_FEATURES = (
    "log_count",
    "log_count_q1",
    "log_count_q2",
    "log_count_q3",
    "log_velocity",
    "log_acceleration",
    "rate_per_hour",
)
FEATURES = (
    "age_minutes",
    "observations",
    *COUNT_FEATURES,
    "first_engagement_minutes",
    "first_observation_minutes",
)
EVENT_TYPES = ("view", "like", "comment", "share")
# From events with their type (the platform's own; evaluation files carry totals only).
TYPED_FEATURES = (
    *(f"log_{event}s" for event in EVENT_TYPES),
    *(f"{event}s_per_hour" for event in EVENT_TYPES),
    "share_velocity",
)
# What the item is, where the platform knows it (NaN otherwise: the trees route missing values).
CONTENT_FEATURES = (
    "text_length",
    "has_media",
    "duration_s",
    "is_english",
    "sentiment_score",
    "moderation_max_score",
)
# The creator's reach and track record: followers at publishing, the median outcome of past items.
CREATOR_FEATURES = ("log_creator_followers", "creator_median_log_outcome")
OPTIONAL_FEATURES = ("publish_hour", "publish_weekday", *CREATOR_FEATURES, *CONTENT_FEATURES)
# Seed names for the factors (ml-pipeline-integration.md, section 5), where a feature is one.
FACTOR_NAMES = {
    "rate_per_hour": "engagement_rate",
    "log_velocity": "engagement_velocity",  # all engagement; shares alone are `share_velocity`
    "publish_hour": "timing_score",
    "creator_median_log_outcome": "creator_influence",
}
GRID = tuple(
    {"num_leaves": leaves, "min_child_samples": min_leaf} for leaves in (7, 15, 31) for min_leaf in (20, 80)
)
BASE_PARAMS = {
    "learning_rate": 0.05,
    "feature_fraction": 0.9,
    "bagging_fraction": 0.9,
    "bagging_freq": 1,
    "lambda_l2": 1.0,
    "verbose": -1,
    "num_threads": 2,
    "seed": SEED,
    "deterministic": True,
}
MAX_TREES = 1000
LARGE = 50_000  # training items past which cross-validation uses 3 folds


def clean_observations(observations: pl.DataFrame) -> pl.DataFrame:
    """(item_id, minutes, count) with the not-yet-observed rows (negative counts) dropped."""
    return observations.filter(pl.col("count") >= 0).select(
        pl.col("item_id").cast(pl.String),
        pl.col("minutes").cast(pl.Float64),
        pl.col("count").cast(pl.Float64),
    )


def _count_at(observations: pl.DataFrame, share: float, name: str) -> pl.DataFrame:
    """Each item's last observed count at or before `share` of its age (`age` column)."""
    return (
        observations.filter(pl.col("minutes") <= pl.col("age") * share)
        .sort("minutes")
        .group_by("item_id")
        .agg(pl.col("count").last().alias(name))
    )


def _typed_features(frame: pl.DataFrame, typed_events: pl.DataFrame) -> pl.DataFrame:
    """Per item of `frame` (item_id, age): the log count and the rate per hour of each event type
    by its age, and the log velocity of shares over the second half of it (as `log_velocity`)."""
    seen = (
        typed_events.select(
            pl.col("item_id").cast(pl.String), pl.col("minutes").cast(pl.Float64), pl.col("event_type")
        )
        .join(frame.select("item_id", "age").unique("item_id"), on="item_id")
        .filter(pl.col("minutes") <= pl.col("age"))
    )
    share = pl.col("event_type") == "share"
    counts = seen.group_by("item_id").agg(
        *[(pl.col("event_type") == event).sum().cast(pl.Float64).alias(event) for event in EVENT_TYPES],
        (share & (pl.col("minutes") <= pl.col("age") / 2)).sum().cast(pl.Float64).alias("early_shares"),
    )
    joined = frame.select("item_id", "age").join(counts, on="item_id", how="left")
    hours = pl.max_horizontal(pl.col("age"), pl.lit(1.0)) / 60.0
    half_hours = hours / 2
    return joined.select(
        "item_id",
        *[pl.col(event).fill_null(0.0).log1p().alias(f"log_{event}s") for event in EVENT_TYPES],
        *[(pl.col(event).fill_null(0.0) / hours).alias(f"{event}s_per_hour") for event in EVENT_TYPES],
        (
            (pl.col("share").fill_null(0.0).log1p() - pl.col("early_shares").fill_null(0.0).log1p())
            / half_hours
        ).alias("share_velocity"),
    )


def series_features(
    observations: pl.DataFrame,
    items: Sequence[str],
    observe_minutes: float | Sequence[float],
    item_info: pl.DataFrame | None = None,
    typed_events: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """One row per item in `items` (in that order): the features at `observe_minutes` after
    publishing (one age for all, or each item's own), from observations at or before it only.
    `item_info` may hold `item_id` with `published_at` (a datetime), `creator_median_log_outcome`
    and the `CONTENT_FEATURES`; `typed_events` (item_id, minutes, event_type: one row per event)
    adds the `TYPED_FEATURES`."""
    ages = [float(observe_minutes)] * len(items) if np.isscalar(observe_minutes) else list(observe_minutes)
    frame = pl.DataFrame(
        {"item_id": pl.Series(list(items), dtype=pl.String), "age": pl.Series(ages, dtype=pl.Float64)}
    ).with_row_index("order")
    seen = (
        clean_observations(observations)
        .join(frame.select("item_id", "age").unique("item_id"), on="item_id")
        .filter(pl.col("minutes") <= pl.col("age"))
    )
    for share, name in zip(
        (1.0, *CHECKPOINTS), ("count_now", "count_q1", "count_q2", "count_q3"), strict=True
    ):
        frame = frame.join(_count_at(seen, share, name), on="item_id", how="left")
    summary = seen.group_by("item_id").agg(
        pl.len().alias("observations"),
        pl.col("minutes").min().alias("first_observation_minutes"),
        pl.col("minutes").filter(pl.col("count") > 0).min().alias("first_engagement_minutes"),
    )
    frame = frame.join(summary, on="item_id", how="left")
    hours = pl.max_horizontal(pl.col("age"), pl.lit(1.0)) / 60.0
    log = {
        name: pl.col(name).fill_null(0.0).log1p()
        for name in ("count_now", "count_q1", "count_q2", "count_q3")
    }
    early, late = log["count_q2"] - log["count_q1"], log["count_now"] - log["count_q2"]
    frame = frame.with_columns(
        pl.col("age").alias("age_minutes"),
        pl.col("observations").fill_null(0).cast(pl.Float64),
        log["count_now"].alias("log_count"),
        log["count_q1"].alias("log_count_q1"),
        log["count_q2"].alias("log_count_q2"),
        log["count_q3"].alias("log_count_q3"),
        (late / (hours / 2)).alias("log_velocity"),
        (late - early).alias("log_acceleration"),
        (pl.col("count_now").fill_null(0.0) / hours).alias("rate_per_hour"),
        # No engagement yet: as late as the observation time allows (a tree splits on it).
        pl.col("first_engagement_minutes").fill_null(pl.col("age") * 2),
        pl.col("first_observation_minutes").fill_null(pl.col("age") * 2),
    )
    columns = list(FEATURES)
    if typed_events is not None:
        frame = frame.join(_typed_features(frame, typed_events), on="item_id", how="left")
        columns += TYPED_FEATURES
    if item_info is not None:
        info = item_info.with_columns(pl.col("item_id").cast(pl.String))
        extra = []
        if "published_at" in info.columns:
            extra += [
                pl.col("published_at").dt.hour().cast(pl.Float64).alias("publish_hour"),
                pl.col("published_at").dt.weekday().cast(pl.Float64).alias("publish_weekday"),
            ]
        extra += [
            pl.col(name).cast(pl.Float64)
            for name in (*CREATOR_FEATURES, *CONTENT_FEATURES)
            if name in info.columns
        ]
        if extra:
            frame = frame.join(info.select("item_id", *extra), on="item_id", how="left")
            columns += [c for c in OPTIONAL_FEATURES if c in frame.columns]
    return frame.sort("order").select("item_id", *columns)  # joins need not keep the row order


def creator_influence(
    creators: pl.DataFrame, outcomes: pl.DataFrame, others: pl.DataFrame | None = None
) -> tuple[pl.DataFrame, pl.DataFrame | None]:
    """`creator_median_log_outcome` per item: the median log outcome of the creator's items in
    `outcomes` (item_id, outcome). For those items themselves, of the creator's *other* items
    (leave one out: an item never sees its own outcome); for `others` (item_id, creator_id: items
    without an outcome yet), of all of them. `creators` maps item_id to creator_id."""
    name = "creator_median_log_outcome"
    scored = creators.join(outcomes, on="item_id").with_columns(
        pl.col("outcome").log1p().alias("log_outcome")
    )
    pairs = scored.join(
        scored.select(
            pl.col("item_id").alias("other"), "creator_id", pl.col("log_outcome").alias("other_log")
        ),
        on="creator_id",
    ).filter(pl.col("item_id") != pl.col("other"))
    own = pairs.group_by("item_id").agg(pl.col("other_log").median().alias(name))
    if others is None:
        return own, None
    medians = creator_medians(creators, outcomes)
    return own, others.join(medians, on="creator_id", how="left").select("item_id", name)


def creator_medians(creators: pl.DataFrame, outcomes: pl.DataFrame) -> pl.DataFrame:
    """(creator_id, creator_median_log_outcome) over the creators' items in `outcomes`."""
    return (
        creators.join(outcomes, on="item_id")
        .group_by("creator_id")
        .agg(pl.col("outcome").log1p().median().alias("creator_median_log_outcome"))
    )


def outcomes(observations: pl.DataFrame, horizon_minutes: float) -> pl.DataFrame:
    """(item_id, outcome): the count at the horizon, for the items observed up to it (matured)."""
    seen = clean_observations(observations)
    matured = (
        seen.group_by("item_id")
        .agg(pl.col("minutes").max().alias("last"))
        .filter(pl.col("last") >= horizon_minutes)
    )
    at = _count_at(seen.with_columns(age=pl.lit(float(horizon_minutes))), 1.0, "outcome")
    joined = matured.join(at, on="item_id", how="left")
    # Sorted: the same file gives the same folds, so the same model.
    return joined.select("item_id", pl.col("outcome").fill_null(0.0)).sort("item_id")


def viral_threshold(outcome_counts: np.ndarray, share: float = TOP_SHARE) -> float:
    """The smallest count whose items (those at or above it) are at most `share` of all: the top
    decile's floor, robust to the ties of small counts."""
    values = np.sort(np.asarray(outcome_counts, dtype=float))[::-1]
    allowed = max(1, math.floor(share * len(values)))
    candidates = np.unique(values)[::-1]
    floor = candidates[0]
    for value in candidates:
        if np.count_nonzero(values >= value) > allowed:
            break
        floor = value
    return float(floor)


@dataclass(frozen=True)
class Baseline:
    """Szabo & Huberman (2010): ln(1 + N(H)) = a + b ln(1 + N(M))."""

    intercept: float
    slope: float

    @classmethod
    def fit(cls, log_early: np.ndarray, log_outcome: np.ndarray) -> Baseline:
        slope, intercept = np.polyfit(np.asarray(log_early, float), np.asarray(log_outcome, float), 1)
        return cls(float(intercept), float(slope))

    def predict_log(self, log_early: np.ndarray) -> np.ndarray:
        return self.intercept + self.slope * np.asarray(log_early, float)


@dataclass
class Head:
    """One LightGBM model over its own feature columns."""

    features: list[str]
    booster: lgb.Booster

    def matrix(self, frame: pl.DataFrame) -> np.ndarray:
        """The head's columns of `frame`; one the frame lacks (nothing known of it) is missing."""
        return frame.select(
            [
                pl.col(name).cast(pl.Float64)
                if name in frame.columns
                else pl.lit(None, pl.Float64).alias(name)
                for name in self.features
            ]
        ).to_numpy()


@dataclass
class ViralityModel:
    """The two heads, the calibration, and what cross-validation chose."""

    classifier: Head
    regressor: Head
    calibration: tuple[float, float]  # calibrated log-odds = a * raw + b
    threshold: float  # the viral floor: outcome count at or above it
    params: dict[str, Any] = field(default_factory=dict)
    validation: dict[str, float] = field(default_factory=dict)

    def predict(self, frame: pl.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        """(viral probability, predicted log(1 + count) at the horizon) per row of `frame`."""
        a, b = self.calibration
        raw = self.classifier.booster.predict(self.classifier.matrix(frame), raw_score=True)
        logit = a * raw + b
        return 1.0 / (1.0 + np.exp(-logit)), self.regressor.booster.predict(self.regressor.matrix(frame))

    def contributions(self, frame: pl.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        """(per-feature contributions over `classifier.features`, base value) on the calibrated
        log-odds: each row's contributions plus its base value is its calibrated log-odds
        (TreeSHAP, exact)."""
        a, b = self.calibration
        raw = self.classifier.booster.predict(self.classifier.matrix(frame), pred_contrib=True)
        return a * raw[:, :-1], a * raw[:, -1] + b


@dataclass(frozen=True)
class _Choice:
    score: float  # cross-validated ranking quality (higher is better)
    loss: float
    features: list[str]
    params: dict[str, Any]
    trees: int
    oof: np.ndarray


def _rank_quality(objective: str, y: np.ndarray, raw: np.ndarray) -> float:
    """What the head's output is used for: ranking items (ROC AUC for the viral score, Spearman
    for the predicted count)."""
    if objective == "binary":
        return float(roc_auc_score(y, raw)) if 0 < y.sum() < len(y) else 0.5
    return float(spearmanr(raw, y).statistic) if np.std(raw) > 0 and np.std(y) > 0 else 0.0


def _cross_validated(
    frame: pl.DataFrame, y: np.ndarray, objective: str, folds: int, seed: int, groups: np.ndarray | None
) -> _Choice:
    """The best (feature set, GRID entry) by k-fold ranking quality on out-of-fold predictions,
    the fold loss breaking ties; with its mean early-stopped tree count. With `groups` (the item
    of each row, when an item is seen at several ages), an item's rows share a fold: otherwise
    the trees would recognise an item by what it is (its text length, its creator) in the other
    folds, and cross-validation would favour the richer feature set for memorising items."""
    splitter = (
        KFold(n_splits=folds, shuffle=True, random_state=seed)
        if groups is None
        else GroupKFold(n_splits=folds, shuffle=True, random_state=seed)
    )
    # The folds once for every candidate (integer group codes: GroupKFold's isin on strings is slow).
    codes = None if groups is None else np.unique(groups, return_inverse=True)[1]
    splits = list(splitter.split(np.empty((len(y), 0)), groups=codes))
    feature_sets = [list(frame.columns)]
    counts_only = [c for c in COUNT_FEATURES if c in frame.columns]
    if counts_only != feature_sets[0]:
        feature_sets.append(counts_only)
    best: _Choice | None = None
    for names in feature_sets:
        x = frame.select([pl.col(c).cast(pl.Float64) for c in names]).to_numpy()
        for grid in GRID:
            params = {**BASE_PARAMS, **grid, "objective": objective}
            oof = np.zeros(len(y))
            losses, trees, qualities = [], [], []
            for train_index, valid_index in splits:
                booster = lgb.train(
                    params,
                    lgb.Dataset(x[train_index], y[train_index]),
                    num_boost_round=MAX_TREES,
                    valid_sets=[lgb.Dataset(x[valid_index], y[valid_index])],
                    callbacks=[lgb.early_stopping(50, verbose=False)],
                )
                oof[valid_index] = booster.predict(x[valid_index], raw_score=True)
                # Per fold: pooled out-of-fold scores would rank by fold as much as by item.
                qualities.append(_rank_quality(objective, y[valid_index], oof[valid_index]))
                losses.append(booster.best_score["valid_0"][_metric(objective)])
                trees.append(booster.best_iteration or MAX_TREES)
            choice = _Choice(
                round(float(np.mean(qualities)), 3),
                float(np.mean(losses)),
                names,
                grid,
                max(int(np.mean(trees)), 1),
                oof,
            )
            if best is None or (choice.score, -choice.loss) > (best.score, -best.loss):
                best = choice
    assert best is not None
    return best


def _metric(objective: str) -> str:
    return {"binary": "binary_logloss", "regression": "l2"}[objective]


def fit(
    features: pl.DataFrame, outcome_counts: np.ndarray, *, folds: int = 5, seed: int = SEED
) -> ViralityModel:
    """Train both heads on matured items' features and their outcome counts at the horizon (an
    item may have several rows, one per age it is seen at: cross-validation keeps them together)."""
    groups = None
    if "item_id" in features.columns and features["item_id"].n_unique() < features.height:
        groups = features["item_id"].to_numpy()
    frame = features.drop("item_id") if "item_id" in features.columns else features
    counts = np.asarray(outcome_counts, dtype=float)
    threshold = viral_threshold(counts)
    viral = (counts >= threshold).astype(float)
    if viral.min() == viral.max():
        raise ValueError(f"every training outcome is {counts[0]:g}: nothing sets a viral item apart")
    log_outcome = np.log1p(counts)
    if len(counts) > LARGE:  # a 5-fold grid on hundreds of thousands of items takes minutes: 3 folds
        folds = min(folds, 3)
    folds = max(2, min(folds, int(viral.sum()), int(len(viral) - viral.sum())))
    if groups is not None:
        folds = min(folds, len(np.unique(groups)))
    heads = {}
    chosen = {}
    for name, objective, y in (("classifier", "binary", viral), ("regressor", "regression", log_outcome)):
        choice = _cross_validated(frame, y, objective, folds, seed, groups)
        x = frame.select([pl.col(c).cast(pl.Float64) for c in choice.features]).to_numpy()
        params = {**BASE_PARAMS, **choice.params, "objective": objective}
        heads[name] = Head(choice.features, lgb.train(params, lgb.Dataset(x, y), choice.trees))
        chosen[name] = choice
    # Platt scaling on the out-of-fold scores: calibrated without reusing a tree's own training rows.
    platt = LogisticRegression(C=1e6).fit(chosen["classifier"].oof.reshape(-1, 1), viral)
    return ViralityModel(
        classifier=heads["classifier"],
        regressor=heads["regressor"],
        calibration=(float(platt.coef_[0, 0]), float(platt.intercept_[0])),
        threshold=threshold,
        params={
            name: {**choice.params, "trees": choice.trees, "features": len(choice.features)}
            for name, choice in chosen.items()
        },
        validation={
            "cv_roc_auc": chosen["classifier"].score,
            "cv_logloss": chosen["classifier"].loss,
            "cv_spearman_log_count": chosen["regressor"].score,
            "cv_l2_log_count": chosen["regressor"].loss,
            "folds": float(folds),
        },
    )


def factor_names(features: Sequence[str]) -> list[str]:
    """The seed's factor names where a feature is one, the feature's own name otherwise."""
    return [FACTOR_NAMES.get(name, name) for name in features]
