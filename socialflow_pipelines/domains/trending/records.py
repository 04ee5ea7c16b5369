"""One ranked trending list per content type and window (`TrendingList` of `TrendingScore`s): the
`ml.trending_scores` rows, the Redis value the asset caches, and what the API returns."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from socialflow_pipelines.platform.time import utc

TRENDING_CONTENT_TYPES = ("video", "post")


@dataclass(frozen=True)
class TrendingScore:
    """One item's standing in one window: its velocity against its baseline ("own": its own
    earlier velocity; "trajectory": items of its age; None for rows stored before baselines)."""

    content_type: str
    content_id: str
    time_window: str
    velocity: float
    baseline_velocity: float
    weighted_engagement: float
    score: float
    trend: str
    rank: int
    baseline: str | None

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> TrendingScore:
        """A `ml.trending_scores` row, or one item of the cached list (the same keys)."""
        return cls(
            content_type=str(row["content_type"]),
            content_id=str(row["content_id"]),
            time_window=str(row["time_window"]),
            velocity=float(row["velocity"]),
            baseline_velocity=float(row["baseline_velocity"]),
            weighted_engagement=float(row["weighted_engagement"]),
            score=float(row["score"]),
            trend=str(row["trend"]),
            rank=int(row["rank"]),
            baseline=row.get("baseline"),
        )

    def payload(self) -> dict[str, Any]:
        return {
            "content_type": self.content_type,
            "content_id": self.content_id,
            "time_window": self.time_window,
            "velocity": self.velocity,
            "baseline_velocity": self.baseline_velocity,
            "weighted_engagement": self.weighted_engagement,
            "score": self.score,
            "trend": self.trend,
            "rank": self.rank,
            "baseline": self.baseline,
        }


@dataclass(frozen=True)
class TrendingList:
    """A content type's items in one window, best first, and when they were scored (unknown for a
    cached list: Redis holds the items only)."""

    content_type: str
    time_window: str
    items: tuple[TrendingScore, ...]
    computed_at: datetime | None = None

    @classmethod
    def from_rows(
        cls, content_type: str, time_window: str, rows: Iterable[Mapping[str, Any]]
    ) -> TrendingList:
        """The list from its stored rows, in rank order."""
        ordered = sorted(rows, key=lambda row: int(row["rank"]))
        computed_at = utc(ordered[0]["computed_at"]) if ordered else None
        return cls(content_type, time_window, tuple(TrendingScore.from_row(r) for r in ordered), computed_at)

    def payload(self) -> list[dict[str, Any]]:
        """The Redis value of this (content type, window)."""
        return [item.payload() for item in self.items]

    @classmethod
    def from_payload(
        cls, content_type: str, time_window: str, payload: Iterable[Mapping[str, Any]]
    ) -> TrendingList:
        return cls(content_type, time_window, tuple(TrendingScore.from_row(item) for item in payload))

    def head(self, limit: int) -> TrendingList:
        return TrendingList(self.content_type, self.time_window, self.items[:limit], self.computed_at)
