"""One user's recommendation list for one content type (`RecommendationList`): the
`ml.recommendations` rows the hourly job stores, the Redis value it caches, and what the API
returns. Every writer and reader encodes and decodes it here, so the three agree."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

import polars as pl

from socialflow_pipelines.platform.db.engine import decoded_json
from socialflow_pipelines.platform.ids import ID_DTYPE
from socialflow_pipelines.platform.time import utc

# The `ml.recommendations` columns as the hourly job writes them (sources as JSON text).
ROW_SCHEMA: dict[str, pl.DataType] = {
    "user_id": ID_DTYPE,
    "content_type": pl.String(),
    "rank": pl.Int32(),
    "item_id": ID_DTYPE,
    "score": pl.Float64(),
    "sources": pl.String(),
    "model_version": pl.String(),
    "generated_at": pl.Datetime("us", "UTC"),
}


@dataclass(frozen=True)
class RecommendedItem:
    """A recommended video, post or account, with each strategy's share of its score."""

    id: str
    score: float
    rank: int
    sources: dict[str, float]

    def payload(self) -> dict[str, Any]:
        return {"id": self.id, "score": self.score, "rank": self.rank, "sources": dict(self.sources)}

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> RecommendedItem:
        return cls(
            str(payload["id"]), float(payload["score"]), int(payload["rank"]), dict(payload["sources"])
        )


@dataclass(frozen=True)
class RecommendationList:
    """Items best first (ranks 1..n), the model version that scored them and when; a cold-start
    list, computed on request, has neither."""

    user_id: str
    content_type: str
    items: tuple[RecommendedItem, ...]
    model_version: str | None = None
    generated_at: datetime | None = None

    def rows(self) -> list[dict[str, Any]]:
        """The `ml.recommendations` rows, one per item (columns of `ROW_SCHEMA`)."""
        return [
            {
                "user_id": self.user_id,
                "content_type": self.content_type,
                "rank": item.rank,
                "item_id": item.id,
                "score": item.score,
                "sources": json.dumps(item.sources),
                "model_version": self.model_version,
                "generated_at": self.generated_at,
            }
            for item in self.items
        ]

    @classmethod
    def from_rows(cls, rows: Iterable[Mapping[str, Any]]) -> RecommendationList | None:
        """The list of one (user, content type) from its stored rows; None when there are none."""
        ordered = sorted(rows, key=lambda row: int(row["rank"]))
        if not ordered:
            return None
        first = ordered[0]
        return cls(
            user_id=str(first["user_id"]),
            content_type=str(first["content_type"]),
            items=tuple(
                RecommendedItem(
                    str(row["item_id"]), float(row["score"]), int(row["rank"]), _sources(row["sources"])
                )
                for row in ordered
            ),
            model_version=first["model_version"],
            generated_at=utc(first["generated_at"]),
        )

    def payload(self) -> dict[str, Any]:
        """The Redis value of this (user, content type)."""
        return {
            "items": [item.payload() for item in self.items],
            "model_version": self.model_version,
            "generated_at": None if self.generated_at is None else self.generated_at.isoformat(),
        }

    @classmethod
    def from_payload(cls, user_id: str, content_type: str, payload: Mapping[str, Any]) -> RecommendationList:
        generated_at = payload.get("generated_at")
        return cls(
            user_id=user_id,
            content_type=content_type,
            items=tuple(RecommendedItem.from_payload(item) for item in payload["items"]),
            model_version=payload.get("model_version"),
            generated_at=None if generated_at is None else utc(generated_at),
        )

    def served(self, excluded: set[str], limit: int) -> RecommendationList:
        """What a request gets: the caller's excluded ids left out, at most `limit` items, ranked
        again from 1."""
        kept = [item for item in self.items if item.id not in excluded][:limit]
        ranked = tuple(  # built directly: dataclasses.replace was a tenth of a cached read's cost
            RecommendedItem(item.id, item.score, rank, item.sources)
            for rank, item in enumerate(kept, start=1)
        )
        return replace(self, items=ranked)


def rows_frame(lists: Iterable[RecommendationList]) -> pl.DataFrame:
    """The lists' `ml.recommendations` rows as one frame, typed even when empty."""
    return pl.DataFrame([row for found in lists for row in found.rows()], schema=ROW_SCHEMA, orient="row")


def _sources(value: str | Mapping[str, float]) -> dict[str, float]:
    parsed = decoded_json(value)
    return {name: float(share) for name, share in parsed.items()}
