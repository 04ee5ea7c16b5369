"""`socialflow eval recommendations`: LightFM collaborative, LightFM hybrid and popularity, side by side.

Interaction files: one interaction per line, `user_id, item_id[, rating][, timestamp]`, separated by
tabs, commas, semicolons, `::` (MovieLens 1M) or spaces, with or without a header line (a header
names its columns: user/userId/user_id, item/itemId/item_id/movieId, rating, timestamp, in any order).
MovieLens 100K's `u.data`, `ua.base` and `ua.test` load as they are. Every line is a positive unless
`min_rating` is given, in which case lines rated below it are dropped (both files).

Item feature file (`items`): `item_id` then feature columns, separated by `|` (MovieLens `u.item`),
`::` (MovieLens `movies.dat`), tabs or commas, optional header. A column of numbers gives one weighted
feature per column (MovieLens' 0/1 genre flags); a text value holding `|` gives one feature per
token (`Action|Comedy`); any other text column gives a categorical feature when its values repeat
(at most half as many distinct values as items, and at most 5% of the items or 50) and is skipped
otherwise (titles, URLs, dates carry no
shared signal). Files may be UTF-8 or Latin-1 (MovieLens is Latin-1).

Protocol: train on `train`, rank every catalog item (train ∪ test items) for each test user with the
user's train items excluded, score against `test` (see `ml.recommendations.metrics`).
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from socialflow_pipelines.evaluation.datafiles import DataFileError
from socialflow_pipelines.ml.recommendations import (
    EaseRecommender,
    Factors,
    HybridRecommender,
    IdIndex,
    choose,
    evaluate_choices,
    evaluate_ranking,
    interaction_matrix,
    popularity_ranking,
)

USER_COLUMNS = {"user", "userid", "user_id", "uid", "users"}
ITEM_COLUMNS = {
    "item",
    "itemid",
    "item_id",
    "movieid",
    "movie_id",
    "iid",
    "product_id",
    "productid",
    "content_id",
}
RATING_COLUMNS = {"rating", "ratings", "score", "weight", "value"}
TIME_COLUMNS = {"timestamp", "time", "ts", "created_at", "datetime", "date"}


@dataclass(frozen=True)
class InteractionRows:
    users: list[str]
    items: list[str]
    ratings: np.ndarray | None
    lines: list[int]


def _read_lines(path: Path) -> list[str]:
    if not path.is_file():
        raise DataFileError(path, None, "no such file")
    raw = path.read_bytes()
    try:
        return raw.decode("utf-8-sig").splitlines()
    except UnicodeDecodeError:
        return raw.decode("latin-1").splitlines()


def _splitter(sample: str, candidates: tuple[str, ...]) -> Callable[[str], list[str]]:
    for separator in candidates:
        if separator in sample:
            return lambda line, sep=separator: [field.strip() for field in line.split(sep)]
    return lambda line: line.split()


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def read_interactions(path: Path | str) -> InteractionRows:
    """Parse an interaction file (format in the module doc); errors name the file and line."""
    path = Path(path)
    lines = _read_lines(path)
    numbered = [(number, line) for number, line in enumerate(lines, start=1) if line.strip()]
    if not numbered:
        raise DataFileError(path, None, "empty file: expected user_id, item_id[, rating][, timestamp] lines")
    split = _splitter(numbered[0][1], ("::", "\t", ",", ";"))
    first = [name.lower().replace(" ", "") for name in split(numbered[0][1])]
    user_col, item_col, rating_col = 0, 1, 2
    if any(name in USER_COLUMNS | ITEM_COLUMNS | RATING_COLUMNS | TIME_COLUMNS for name in first):
        user_col = _column(first, USER_COLUMNS, 0)
        item_col = _column(first, ITEM_COLUMNS, 1)
        rating_col = _column(first, RATING_COLUMNS, -1)
        numbered = numbered[1:]
    else:
        rating_col = 2 if len(first) >= 3 else -1
    users: list[str] = []
    items: list[str] = []
    ratings: list[float] = []
    kept_lines: list[int] = []
    width = max(user_col, item_col, rating_col) + 1
    for number, line in numbered:
        fields = split(line)
        if len(fields) < width or not fields[user_col] or not fields[item_col]:
            raise DataFileError(
                path, number, f"expected user_id, item_id[, rating][, timestamp]; got {line.strip()[:80]!r}"
            )
        if rating_col >= 0:
            try:
                ratings.append(float(fields[rating_col]))
            except ValueError:
                raise DataFileError(path, number, f"rating {fields[rating_col]!r} is not a number") from None
        users.append(fields[user_col])
        items.append(fields[item_col])
        kept_lines.append(number)
    if not users:
        raise DataFileError(path, None, "no interactions in the file")
    return InteractionRows(users, items, np.asarray(ratings) if rating_col >= 0 else None, kept_lines)


def _column(names: list[str], accepted: set[str], default: int) -> int:
    return next((position for position, name in enumerate(names) if name in accepted), default)


def read_item_features(path: Path | str) -> dict[str, dict[str, float]]:
    """Item id → {feature: weight} from an item file (format in the module doc)."""
    path = Path(path)
    numbered = [(n, line) for n, line in enumerate(_read_lines(path), start=1) if line.strip()]
    if not numbered:
        raise DataFileError(path, None, "empty item file")
    sample = numbered[0][1]
    split = _splitter(sample, ("::", "\t") + (("|",) if sample.count("|") >= 2 else ()) + (",",))
    first = split(sample)
    header = first if first[0].lower().replace(" ", "") in ITEM_COLUMNS | {"id"} else None
    if header:
        numbered = numbered[1:]
    rows = [(number, split(line)) for number, line in numbered]
    width = max(len(fields) for _, fields in rows)
    names = header or [f"c{position}" for position in range(width)]
    names = names + [f"c{position}" for position in range(len(names), width)]
    columns = [[fields[j] if j < len(fields) else "" for _, fields in rows] for j in range(width)]
    features: dict[str, dict[str, float]] = {fields[0]: {} for _, fields in rows if fields and fields[0]}
    if not features:
        raise DataFileError(path, numbered[0][0] if numbered else None, "no item ids")
    distinct_limit = min(len(rows) // 2, max(50, len(rows) // 20))
    for j in range(1, width):
        values = columns[j]
        present = [v for v in values if v]
        if present and all(_is_number(v) for v in present):
            for (_, fields), value in zip(rows, values, strict=True):
                if value and float(value):
                    features[fields[0]][f"{names[j]}"] = float(value)
        elif any("|" in v for v in present):
            for (_, fields), value in zip(rows, values, strict=True):
                for token in filter(None, (t.strip() for t in value.split("|"))):
                    features[fields[0]][f"{names[j]}:{token}"] = 1.0
        elif len(Counter(present)) <= distinct_limit:
            for (_, fields), value in zip(rows, values, strict=True):
                if value:
                    features[fields[0]][f"{names[j]}={value}"] = 1.0
    return features


def evaluate_recommendations(
    test: Path,
    train: tuple[Path, ...] = (),
    *,
    model_dir: Path | None = None,
    progress: Callable[[int, int], None] | None = None,
    k: int = 10,
    min_rating: float | None = None,
    items: Path | None = None,
    epochs: int = 30,
    no_components: int = 64,
    num_threads: int = 2,
    seed: int = 42,
) -> dict[str, Any]:
    """Train and score LightFM (collaborative), LightFM with item features (hybrid, only with `items`),
    EASE, the LightFM/EASE blend and popularity on one split; flat metrics per model plus sizes and
    timings. The `train` files are concatenated. `model_dir` is unused: every model is trained here
    from `train` so the comparison is like for like."""
    if not train:
        raise ValueError(
            "recommendations eval needs --train FILE (interactions to learn from) besides the test file"
        )
    train_rows = _concatenated(
        [_positives(read_interactions(path), min_rating, Path(path)) for path in train]
    )
    test_rows = _positives(read_interactions(test), min_rating, Path(test))
    users = IdIndex(train_rows.users)
    users.add(test_rows.users)
    catalog = IdIndex(train_rows.items)
    catalog.add(test_rows.items)
    train_matrix = interaction_matrix(train_rows.users, train_rows.items, None, users, catalog)
    train_matrix.data[:] = 1.0
    test_matrix = interaction_matrix(test_rows.users, test_rows.items, None, users, catalog)
    item_features = read_item_features(items) if items is not None else None

    variants: list[tuple[str, dict[str, dict[str, float]] | None]] = [("lightfm", None)]
    if item_features is not None:
        variants.append(("hybrid", item_features))
    total_steps = len(variants) + 2
    result: dict[str, Any] = {}
    factors: Factors | None = None
    for step, (name, features) in enumerate(variants):
        started = time.perf_counter()
        model = HybridRecommender(no_components=no_components, random_state=seed).fit(
            train_matrix, users, catalog, item_features=features, epochs=epochs, num_threads=num_threads
        )
        result[f"{name}_train_seconds"] = round(time.perf_counter() - started, 3)
        user_vectors, _ = model.user_representations()
        item_vectors, item_bias = model.item_representations()
        factors = (user_vectors, item_vectors, item_bias)  # the blend uses the last: hybrid with items
        started = time.perf_counter()
        metrics = evaluate_ranking(
            user_vectors, item_vectors, item_bias, train_matrix, test_matrix, k, num_threads=num_threads
        )
        result[f"{name}_eval_seconds"] = round(time.perf_counter() - started, 3)
        evaluated = metrics.pop("n_users_evaluated")
        result.update({f"{name}_{key}": round(value, 5) for key, value in metrics.items()})
        if progress:
            progress(step + 1, total_steps)
    started = time.perf_counter()
    ease = EaseRecommender(k=k, seed=seed).fit(train_matrix, catalog)
    result["ease_train_seconds"] = round(time.perf_counter() - started, 3)
    result["ease_l2"] = round(ease.l2, 3)
    result["ease_items"] = len(ease.items)
    started = time.perf_counter()
    by_choice = evaluate_choices(
        model,
        ease,
        factors,  # type: ignore[arg-type]  # set by the first variant, and there always is one
        catalog.ids,
        train_matrix,
        test_matrix,
        k,
        num_threads=num_threads,
    )
    result["ease_blend_eval_seconds"] = round(time.perf_counter() - started, 3)
    for choice in ("ease", "blend"):
        metrics = dict(by_choice[choice])
        metrics.pop("n_users_evaluated")
        result.update({f"{choice}_{key}": round(value, 5) for key, value in metrics.items()})
    # What recommendation_model would serve: the best on precision@k (LightFM as it was given here).
    result["collaborative_choice"] = choose({c: found[f"precision_at_{k}"] for c, found in by_choice.items()})
    if progress:
        progress(total_steps - 1, total_steps)
    metrics = popularity_ranking(train_matrix, test_matrix, k)
    metrics.pop("n_users_evaluated")
    result.update({f"popularity_{key}": round(value, 5) for key, value in metrics.items()})
    if progress:
        progress(total_steps, total_steps)
    return {
        **result,
        "k": k,
        "n_users": len(users),
        "n_items": len(catalog),
        "n_train": int(train_matrix.nnz),
        "n_test": int(test_matrix.nnz),
        "n_users_evaluated": evaluated,
        "item_features": len({f for fs in (item_features or {}).values() for f in fs}),
        "epochs": epochs,
        "no_components": no_components,
    }


def _concatenated(parts: list[InteractionRows]) -> InteractionRows:
    """Several train files as one: rows in file order; ratings only when every file has them."""
    if len(parts) == 1:
        return parts[0]
    ratings = [part.ratings for part in parts]
    return InteractionRows(
        [user for part in parts for user in part.users],
        [item for part in parts for item in part.items],
        None if any(r is None for r in ratings) else np.concatenate(ratings),  # type: ignore[arg-type]
        [line for part in parts for line in part.lines],
    )


def _positives(rows: InteractionRows, min_rating: float | None, path: Path) -> InteractionRows:
    if min_rating is None:
        return rows
    if rows.ratings is None:
        raise DataFileError(path, None, "min_rating needs a rating column, and this file has none")
    keep = np.flatnonzero(rows.ratings >= min_rating)
    if len(keep) == 0:
        raise DataFileError(path, None, f"no interaction rated {min_rating} or more")
    return InteractionRows(
        [rows.users[i] for i in keep],
        [rows.items[i] for i in keep],
        rows.ratings[keep],
        [rows.lines[i] for i in keep],
    )


EVAL_TASKS: dict[str, Callable[..., dict[str, Any]]] = {"recommendations": evaluate_recommendations}
