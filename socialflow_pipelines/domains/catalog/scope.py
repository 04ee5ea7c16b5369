"""Which items a run covers: the ids a sensor listed, or every item created in a time window."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime

import sqlalchemy as sa

from socialflow_pipelines.domains.catalog import store
from socialflow_pipelines.domains.catalog.records import CONTENT_TYPES, ContentItem
from socialflow_pipelines.platform.db.engine import Database


@dataclass(frozen=True)
class ItemScope:
    """A creation-time window [start, end) (backfills, partitions) or ids per content type
    (sensor runs): never both, so a run's rows are defined by exactly one of them."""

    window: tuple[datetime, datetime] | None = None
    ids: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    @classmethod
    def created_in(cls, start: datetime, end: datetime) -> ItemScope:
        return cls(window=(start, end))

    @classmethod
    def listed(cls, ids: Mapping[str, Iterable[str]]) -> ItemScope:
        unknown = set(ids) - set(CONTENT_TYPES)
        if unknown:
            raise ValueError(f"unknown content types {sorted(unknown)}; known: {', '.join(CONTENT_TYPES)}")
        return cls(ids={t: tuple(sorted({str(i) for i in v})) for t, v in ids.items() if v})

    @property
    def is_window(self) -> bool:
        return self.window is not None

    @property
    def days(self) -> tuple[date, date] | None:
        """The window's days [first, end), for writes that replace a day range."""
        return None if self.window is None else (self.window[0].date(), self.window[1].date())

    def describe(self) -> str:
        if self.window is not None:
            return f"every item created in [{self.window[0]:%Y-%m-%d %H:%M}, {self.window[1]:%Y-%m-%d %H:%M})"
        return f"{sum(len(v) for v in self.ids.values())} listed items"

    def read_items(self, db: Database) -> list[ContentItem]:
        return store.read_items(db, window=self.window, ids=None if self.is_window else self.ids)

    def count_missing(self, db: Database, table: sa.Table) -> int:
        """Items in scope without a row in `table` (keyed by content_type, content_id)."""
        return store.count_missing(db, table, window=self.window, ids=None if self.is_window else self.ids)
