"""The viral model on planted data: it ranks items that grow fast above ordinary ones observed at
the same age, never reads an observation after the observation time, skips "not observed yet",
explains each prediction exactly, and the Szabo & Huberman baseline is the log-linear fit."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from sklearn.metrics import roc_auc_score

from socialflow_pipelines.ml import virality

STEP = 20  # minutes between observations, as in the News Popularity series
HORIZON = 48 * 60


def planted_series(n: int, *, seed: int, viral_share: float = 0.1) -> tuple[pl.DataFrame, np.ndarray]:
    """Cumulative counts every STEP minutes for 48 h: each item grows at its own rate; planted
    viral items grow several times faster from the first hour on (and some start unobserved)."""
    rng = np.random.default_rng(seed)
    planted = rng.random(n) < viral_share
    rate = np.where(planted, rng.lognormal(2.5, 0.3, n), rng.lognormal(-0.5, 0.8, n))  # per hour
    rows = []
    for item in range(n):
        hidden = int(rng.integers(0, 3))  # the first observations may be "not observed yet"
        count = 0
        for step in range(1, HORIZON // STEP + 1):
            hours = step * STEP / 60
            count += rng.poisson(rate[item] * (STEP / 60) * (1.0 if hours < 24 else 0.3))
            rows.append((f"i{item}", step * STEP, -1 if step <= hidden else count))
    return pl.DataFrame(rows, schema=["item_id", "minutes", "count"], orient="row"), planted


def features_and_outcomes(observations: pl.DataFrame, observe: int) -> tuple[pl.DataFrame, np.ndarray]:
    out = virality.outcomes(observations, HORIZON)
    features = virality.series_features(observations, out["item_id"].to_list(), observe)
    return features, out["outcome"].to_numpy()


@pytest.fixture(scope="module")
def trained() -> virality.ViralityModel:
    observations, _ = planted_series(1500, seed=1)
    features, counts = features_and_outcomes(observations, 60)
    return virality.fit(features, counts)


def test_planted_viral_items_rank_above_ordinary_ones_at_the_same_age(trained) -> None:
    observations, planted = planted_series(600, seed=2)
    features, _ = features_and_outcomes(observations, 60)
    probability, predicted_log = trained.predict(features)
    order = [int(item[1:]) for item in features["item_id"]]
    assert roc_auc_score(planted[order], probability) > 0.95
    assert roc_auc_score(planted[order], predicted_log) > 0.95
    assert probability.min() >= 0.0 and probability.max() <= 1.0


def test_features_never_read_an_observation_after_the_observation_time() -> None:
    observations, _ = planted_series(50, seed=3)
    later = pl.col("minutes") > 60
    changed = observations.with_columns(
        pl.when(later).then(pl.col("count") * 1000 + 7).otherwise(pl.col("count")).alias("count")
    )
    items = observations["item_id"].unique().sort().to_list()
    assert virality.series_features(observations, items, 60).equals(
        virality.series_features(changed, items, 60)
    )


def test_not_observed_yet_is_skipped_not_read_as_zero() -> None:
    observations = pl.DataFrame(
        {"item_id": ["a"] * 3 + ["b"] * 3, "minutes": [20, 40, 60] * 2, "count": [-1, -1, 9, 0, 0, 9]}
    )
    features = virality.series_features(observations, ["a", "b"], 60).sort("item_id")
    assert features["observations"].to_list() == [1.0, 3.0]
    assert features["first_observation_minutes"].to_list() == [60.0, 20.0]
    # The same count now; what differs is how much of the item's life was seen, its own features.
    assert features["log_count"].to_list() == pytest.approx([np.log1p(9)] * 2)


def test_outcomes_exist_only_for_items_observed_up_to_the_horizon() -> None:
    observations = pl.DataFrame(
        {"item_id": ["old", "old", "young"], "minutes": [60, HORIZON, 60], "count": [1, 5, 3]}
    )
    assert virality.outcomes(observations, HORIZON).rows() == [("old", 5.0)]


def test_factors_sum_to_the_calibrated_log_odds(trained) -> None:
    observations, _ = planted_series(100, seed=4)
    features, _ = features_and_outcomes(observations, 60)
    contributions, base = trained.contributions(features)
    probability, _ = trained.predict(features)
    log_odds = np.log(probability / (1 - probability))
    assert contributions.shape == (features.height, len(trained.classifier.features))
    assert contributions.sum(axis=1) + base == pytest.approx(log_odds, abs=1e-6)
    names = set(virality.factor_names(trained.classifier.features))
    assert names >= {"engagement_rate", "engagement_velocity"}


def test_the_viral_floor_keeps_at_most_a_decile_despite_ties() -> None:
    counts = np.array([0] * 80 + [1] * 12 + [5] * 4 + [9] * 4)
    floor = virality.viral_threshold(counts)
    assert floor == 5.0
    assert np.mean(counts >= floor) <= 0.10


def test_the_baseline_is_the_log_linear_fit() -> None:
    rng = np.random.default_rng(5)
    early = rng.uniform(0, 5, 400)
    baseline = virality.Baseline.fit(early, 0.7 + 1.3 * early)
    assert (baseline.intercept, baseline.slope) == pytest.approx((0.7, 1.3))


def test_outcomes_that_all_tie_are_refused_with_a_reason() -> None:
    observations = pl.DataFrame(
        {"item_id": ["a", "b"] * 2, "minutes": [60, 60, HORIZON, HORIZON], "count": [0] * 4}
    )
    features, counts = features_and_outcomes(observations, 60)
    with pytest.raises(ValueError, match="nothing sets a viral item apart"):
        virality.fit(features, counts)


def test_the_benchmark_reports_predictions_per_second() -> None:
    from socialflow_pipelines.benchmarks.virality import run_benchmark

    result = run_benchmark(n_items=2_000, n_train=600)
    assert result["items"] == 2_000 and result["observations"] == 2_000 * 3
    assert result["predictions_per_second"] > 0 and result["factor_columns"] >= 1
    # The hourly run over as many stored posts predicts every one of them.
    assert result["hourly_run_items"] == 2_000 and result["hourly_run_seconds"] > 0
    assert result["hourly_run_events"] > 0 and result["hourly_run_database"] == "sqlite"


def typed_world(n: int, *, seed: int) -> tuple[pl.DataFrame, pl.DataFrame, np.ndarray, np.ndarray]:
    """(observations, typed events, outcome counts, planted) of items with 20 events in their first
    hour each, at random times: the planted tenth's are half shares, the others' views and likes.
    Only the event types tell them apart; the planted end ten times higher."""
    rng = np.random.default_rng(seed)
    planted = rng.random(n) < 0.1
    typed_rows, count_rows = [], []
    for item in range(n):
        minutes = np.sort(rng.uniform(1, 60, 20))
        kinds = rng.choice(["share", "view"] if planted[item] else ["view", "like"], 20)
        typed_rows += [(f"i{item}", float(m), str(k)) for m, k in zip(minutes, kinds, strict=True)]
        count_rows += [(f"i{item}", float(m), float(c)) for c, m in enumerate(minutes, start=1)]
        count_rows.append((f"i{item}", float(HORIZON), 20.0 + (500 if planted[item] else rng.poisson(30))))
    typed = pl.DataFrame(typed_rows, schema=["item_id", "minutes", "event_type"], orient="row")
    observations = pl.DataFrame(count_rows, schema=["item_id", "minutes", "count"], orient="row")
    out = virality.outcomes(observations, HORIZON)
    return observations, typed, out["outcome"].to_numpy(), planted


def test_event_types_are_counted_up_to_the_observation_time_and_learned() -> None:
    typed = pl.DataFrame(
        {
            "item_id": ["a"] * 6 + ["b"] * 3,
            "minutes": [5.0, 10, 20, 40, 50, 90, 10, 40, 55],
            "event_type": ["view", "share", "like", "share", "comment", "share", "view", "view", "share"],
        }
    )
    observations = typed.with_columns(pl.int_range(1, pl.len() + 1).over("item_id").alias("count"))
    row = {
        r["item_id"]: r
        for r in virality.series_features(observations, ["a", "b"], 60, None, typed).to_dicts()
    }
    # Item a by minute 60: one view, like and comment, two shares (the one at 90 is not seen yet).
    assert [row["a"][f"log_{e}s"] for e in virality.EVENT_TYPES] == pytest.approx(np.log1p([1, 1, 1, 2]))
    # Shares over the second half-hour, per hour, on the log scale: a 1 -> 2, b 0 -> 1.
    assert row["a"]["share_velocity"] == pytest.approx((np.log1p(2) - np.log1p(1)) / 0.5)
    assert row["b"]["share_velocity"] == pytest.approx(np.log1p(1) / 0.5)
    assert row["a"]["shares_per_hour"] == pytest.approx(2.0) and row["b"]["views_per_hour"] == pytest.approx(
        2.0
    )

    observations, typed, counts, _ = typed_world(600, seed=4)
    items = virality.outcomes(observations, HORIZON)["item_id"].to_list()
    model = virality.fit(virality.series_features(observations, items, 60, None, typed), counts, folds=3)
    observations, typed, _, planted = typed_world(300, seed=5)
    items = [f"i{n}" for n in range(300)]
    probability, _ = model.predict(virality.series_features(observations, items, 60, None, typed))
    assert roc_auc_score(planted, probability) > 0.95
    assert "share_velocity" in virality.factor_names(model.classifier.features)
