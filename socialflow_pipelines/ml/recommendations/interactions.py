"""Implicit feedback from engagement events, indexed so that rows and columns mean the same across runs.

A model, a cache of exported vectors and yesterday's matrix only line up if user 42 is row 7 every
time; `IdIndex` keeps existing positions and appends new ids, so a daily retrain never reshuffles.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
import polars as pl
import scipy.sparse as sp

# A share says more than a comment, a comment more than a like, a like more than a view.
DEFAULT_EVENT_WEIGHTS: Mapping[str, float] = {"view": 1.0, "like": 2.0, "comment": 3.0, "share": 4.0}
DEFAULT_HALF_LIFE_DAYS = 30.0


class IdIndex:
    """Stable id → position map: positions of known ids never change, new ids are appended (sorted, so
    two runs that see the same new ids give them the same positions)."""

    def __init__(self, ids: Iterable[Hashable] = ()) -> None:
        self._ids: list[Hashable] = []
        self._positions: dict[Hashable, int] = {}
        self.add(ids)

    def add(self, ids: Iterable[Hashable]) -> None:
        """Append the ids not seen yet; known ids keep their positions."""
        new = {i for i in ids if i not in self._positions}
        for new_id in sorted(new, key=_sort_key):
            self._positions[new_id] = len(self._ids)
            self._ids.append(new_id)

    def extended(self, ids: Iterable[Hashable]) -> IdIndex:
        """A copy with `ids` appended, leaving this index (and whatever was built on it) untouched."""
        copy = IdIndex()
        copy._ids = list(self._ids)
        copy._positions = dict(self._positions)
        copy.add(ids)
        return copy

    def positions(self, ids: Iterable[Hashable], *, missing: int = -1) -> np.ndarray:
        """Positions of `ids` as int64, `missing` for ids this index does not know."""
        lookup = self._positions.get
        return np.fromiter((lookup(i, missing) for i in ids), dtype=np.int64)

    @property
    def ids(self) -> list[Hashable]:
        return list(self._ids)

    def __getitem__(self, position: int) -> Hashable:
        return self._ids[position]

    def __contains__(self, item_id: object) -> bool:
        return item_id in self._positions

    def __len__(self) -> int:
        return len(self._ids)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, IdIndex) and self._ids == other._ids

    __hash__ = None  # type: ignore[assignment]


def _sort_key(value: Hashable) -> tuple[int, object]:
    # Numbers before strings, each in natural order, so mixed id types still sort deterministically.
    if isinstance(value, int | float | np.integer | np.floating):
        return (0, value)
    return (1, str(value))


@dataclass(frozen=True)
class Interactions:
    """Users × items implicit-feedback weights (CSR, float32) with the indexes that name rows and columns."""

    matrix: sp.csr_matrix
    users: IdIndex
    items: IdIndex


def interaction_matrix(
    user_ids: Sequence[Hashable],
    item_ids: Sequence[Hashable],
    weights: Sequence[float] | np.ndarray | None,
    users: IdIndex,
    items: IdIndex,
) -> sp.csr_matrix:
    """Sum weights per (user, item) into a CSR matrix shaped by the indexes; ids the indexes lack are
    dropped (extend the index first to keep them)."""
    rows = users.positions(user_ids)
    cols = items.positions(item_ids)
    values = np.ones(len(rows), dtype=np.float32) if weights is None else np.asarray(weights, np.float32)
    keep = (rows >= 0) & (cols >= 0)
    matrix = sp.coo_matrix(
        (values[keep], (rows[keep], cols[keep])), shape=(len(users), len(items)), dtype=np.float32
    ).tocsr()
    matrix.sum_duplicates()
    matrix.eliminate_zeros()
    return matrix


def build_interactions(
    events: pl.DataFrame,
    *,
    event_weights: Mapping[str, float] = DEFAULT_EVENT_WEIGHTS,
    half_life_days: float | None = DEFAULT_HALF_LIFE_DAYS,
    now: datetime | None = None,
    users: IdIndex | None = None,
    items: IdIndex | None = None,
) -> Interactions:
    """Weight each event by its type and its age, sum per (user, item), and index stably.

    `events` has user_id, item_id, event_type and (when decaying) created_at. An event counts
    `event_weights[type] * 0.5 ** (age_days / half_life_days)`; types without a weight are ignored so
    new event kinds in the app do not break the pipeline. `now` defaults to the newest event, which
    keeps a re-run on the same data identical. Passing last run's `users`/`items` keeps their
    positions; new ids are appended to copies of them.
    """
    weight_of = pl.DataFrame(
        {"event_type": list(event_weights), "weight": [float(w) for w in event_weights.values()]}
    )
    frame = events.join(weight_of, on="event_type", how="inner")
    weight = pl.col("weight")
    if half_life_days is not None and frame.height:
        zone = frame.schema["created_at"].time_zone  # type: ignore[union-attr]
        created = pl.col("created_at")
        reference = now if now is not None else frame["created_at"].max()
        if isinstance(reference, datetime) and reference.tzinfo is not None:
            # Compare wall clocks in UTC when either side carries a zone.
            reference = reference.astimezone(UTC).replace(tzinfo=None)
        if zone:
            created = created.dt.convert_time_zone("UTC").dt.replace_time_zone(None)
        age_days = ((pl.lit(reference) - created).dt.total_seconds() / 86_400.0).clip(lower_bound=0.0)
        weight = weight * (0.5 ** (age_days / half_life_days))
    summed = frame.group_by("user_id", "item_id", maintain_order=True).agg(weight.sum().alias("weight"))
    user_index = (users or IdIndex()).extended(summed["user_id"].unique().to_list())
    item_index = (items or IdIndex()).extended(summed["item_id"].unique().to_list())
    matrix = interaction_matrix(
        summed["user_id"].to_list(),
        summed["item_id"].to_list(),
        summed["weight"].to_numpy(),
        user_index,
        item_index,
    )
    return Interactions(matrix=matrix, users=user_index, items=item_index)
