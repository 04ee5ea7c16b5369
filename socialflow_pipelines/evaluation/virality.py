"""`socialflow eval virality`: the viral model against the Szabo & Huberman baseline on engagement
time series, both trained on `--train` in the same run, scored on `--test`.

Files are CSV with a header holding `item_id,minutes,count` (the cumulative count observed
`minutes` after publishing; several rows per item; a negative count is "not observed yet"), and
optionally `creator_id` and `published_at` (ISO 8601) per row.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
from scipy.stats import spearmanr
from sklearn.metrics import r2_score, roc_auc_score

from socialflow_pipelines.evaluation.datafiles import DataFileError
from socialflow_pipelines.ml import virality

REQUIRED = ("item_id", "minutes", "count")


def read_observations(path: Path | str) -> pl.DataFrame:
    """The file's observations, typed; a DataFileError names the file and the first bad line."""
    path = Path(path)
    if not path.is_file():
        raise DataFileError(path, None, "no such file")
    try:
        raw = pl.read_csv(path, infer_schema=False)
    except (pl.exceptions.PolarsError, UnicodeDecodeError) as exc:
        raise DataFileError(path, None, f"not a readable CSV: {exc}") from exc
    missing = [name for name in REQUIRED if name not in raw.columns]
    if missing:
        raise DataFileError(
            path, 1, f"the header lacks {', '.join(missing)} (expected item_id,minutes,count)"
        )
    typed = raw.with_columns(
        pl.col("minutes").str.strip_chars().cast(pl.Float64, strict=False).alias("minutes_value"),
        pl.col("count").str.strip_chars().cast(pl.Float64, strict=False).alias("count_value"),
    ).with_row_index("row")
    checks = [
        (pl.col("item_id").is_null() | (pl.col("item_id").str.strip_chars() == ""), "item_id is empty"),
        (pl.col("minutes_value").is_null(), "minutes is not a number"),
        (pl.col("minutes_value") < 0, "minutes is negative"),
        (pl.col("count_value").is_null(), "count is not a number (use a negative count for not observed)"),
    ]
    for condition, message in checks:
        bad = typed.filter(condition)
        if bad.height:
            line = int(bad["row"][0]) + 2  # the header is line 1
            raise DataFileError(path, line, f"{message}: {bad.row(0, named=True)}")
    if "published_at" in raw.columns:
        typed = typed.with_columns(
            pl.col("published_at").str.to_datetime(time_zone="UTC", strict=False).alias("published_at")
        )
    out = typed.select(
        pl.col("item_id").str.strip_chars(),
        pl.col("minutes_value").alias("minutes"),
        pl.col("count_value").alias("count"),
        *[c for c in ("creator_id", "published_at") if c in raw.columns],
    )
    if out.height == 0:
        raise DataFileError(path, None, "no observations")
    return out


def _creator_influence(
    train: pl.DataFrame, train_outcomes: pl.DataFrame, test: pl.DataFrame
) -> tuple[pl.DataFrame | None, pl.DataFrame | None]:
    """(train items', test items') creator influence (`virality.creator_influence`); None for a
    file without creator ids."""
    if "creator_id" not in train.columns:
        return None, None

    def creator_of(observations: pl.DataFrame) -> pl.DataFrame:
        return observations.group_by("item_id").agg(pl.col("creator_id").drop_nulls().first())

    others = creator_of(test) if "creator_id" in test.columns else None
    return virality.creator_influence(creator_of(train), train_outcomes, others)


def _item_info(observations: pl.DataFrame, influence: pl.DataFrame | None) -> pl.DataFrame | None:
    """Per item: `published_at` when the file has it, the creator's influence when known."""
    info = None
    if "published_at" in observations.columns:
        info = observations.group_by("item_id").agg(pl.col("published_at").drop_nulls().first())
    if influence is not None:
        info = influence if info is None else info.join(influence, on="item_id", how="left")
    return info


def read_many(paths: Sequence[Path]) -> pl.DataFrame:
    """Several files' observations as one; with more than one, item ids are prefixed by the
    file's position (`2:item`) so the same id in two files stays two items."""
    if len(paths) == 1:
        return read_observations(paths[0])
    frames = [
        read_observations(path).with_columns(pl.lit(f"{i}:") + pl.col("item_id"))
        for i, path in enumerate(paths, start=1)
    ]
    return pl.concat(frames, how="diagonal_relaxed")


def evaluate_virality(
    test: Path,
    train: Sequence[Path] = (),
    *,
    model_dir: Path | None = None,
    progress: Callable[[int, int], None] | None = None,
    observe_minutes: float = 60.0,
    horizon_minutes: float = 2880.0,
) -> dict[str, Any]:
    """Train the viral model and the baseline on `train` (features up to `observe_minutes`,
    outcome at `horizon_minutes`), score both on `test`: Spearman and R² of the predicted log
    count, ROC AUC and precision at 10% for the top decile (its floor from the train outcomes).
    `model_dir` is unused: both are trained here, like for like."""
    if not train:
        raise ValueError("virality eval needs --train FILE (time series to learn from) besides the test file")
    if not 0 < observe_minutes < horizon_minutes:
        raise ValueError(f"--observe-minutes ({observe_minutes}) must be above 0 and below --horizon-minutes")
    started = time.perf_counter()
    train_obs, test_obs = read_many(train), read_observations(test)
    train_out = virality.outcomes(train_obs, horizon_minutes)
    test_out = virality.outcomes(test_obs, horizon_minutes)
    if train_out.height < 50:
        matured = f"{train_out.height} items observed up to {horizon_minutes:g} minutes"
        raise DataFileError(train[0], None, f"{matured}: need at least 50")
    if test_out.height == 0:
        raise DataFileError(test, None, f"no item observed up to {horizon_minutes:g} minutes")
    train_influence, test_influence = _creator_influence(train_obs, train_out, test_obs)
    x_train = virality.series_features(
        train_obs, train_out["item_id"].to_list(), observe_minutes, _item_info(train_obs, train_influence)
    )
    x_test = virality.series_features(
        test_obs, test_out["item_id"].to_list(), observe_minutes, _item_info(test_obs, test_influence)
    )
    if progress:
        progress(1, 3)
    model = virality.fit(x_train, train_out["outcome"].to_numpy())
    if progress:
        progress(2, 3)
    actual = test_out["outcome"].to_numpy()
    actual_log, viral = np.log1p(actual), actual >= model.threshold
    probability, predicted_log = model.predict(x_test)
    baseline = virality.Baseline.fit(
        x_train["log_count"].to_numpy(), np.log1p(train_out["outcome"].to_numpy())
    )
    baseline_log = baseline.predict_log(x_test["log_count"].to_numpy())
    result: dict[str, Any] = {}
    for prefix, score, log_prediction in (
        ("model", probability, predicted_log),
        ("szabo_huberman", baseline_log, baseline_log),
    ):
        result |= {
            f"{prefix}_{name}": value
            for name, value in _metrics(actual_log, viral, score, log_prediction).items()
        }
    if progress:
        progress(3, 3)
    return {
        **result,
        "observe_minutes": observe_minutes,
        "horizon_minutes": horizon_minutes,
        "viral_floor_count": model.threshold,
        "n_train": train_out.height,
        "n_test": test_out.height,
        "n_test_viral": int(viral.sum()),
        **{
            f"model_{head}_{key}": value
            for head, chosen in model.params.items()
            for key, value in chosen.items()
        },
        **{f"model_{key}": round(value, 5) for key, value in model.validation.items()},
        "szabo_huberman_a": round(baseline.intercept, 5),
        "szabo_huberman_b": round(baseline.slope, 5),
        "seconds": round(time.perf_counter() - started, 2),
    }


def _metrics(
    actual_log: np.ndarray, viral: np.ndarray, score: np.ndarray, log_prediction: np.ndarray
) -> dict[str, float | None]:
    """Ranking by `score` (ROC AUC, precision in its top 10%) and fit of the predicted log count."""
    top = max(1, round(0.10 * len(score)))
    order = np.argsort(-score, kind="stable")[:top]
    both_classes = 0 < viral.sum() < len(viral)
    rho = spearmanr(log_prediction, actual_log).statistic if np.std(log_prediction) > 0 else 0.0
    return {
        "roc_auc": round(float(roc_auc_score(viral, score)), 5) if both_classes else None,
        "precision_at_10pct": round(float(viral[order].mean()), 5),
        "spearman": round(float(rho), 5),
        "r2": round(float(r2_score(actual_log, log_prediction)), 5),
    }


EVAL_TASKS: dict[str, Callable[..., dict[str, Any]]] = {"virality": evaluate_virality}
