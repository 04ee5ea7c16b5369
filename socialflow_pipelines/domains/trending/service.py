"""What the trending assets and the API ask for: the hourly engagement rollups, the trending lists
per content type and window, and one list on request.

The scoring itself (weighted velocity against a baseline, rising/falling/stable) is
`ml.trending`; here it meets the store and the settings (`TRENDING_*`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

import polars as pl

from socialflow_pipelines.config import Settings
from socialflow_pipelines.domains.trending import store
from socialflow_pipelines.domains.trending.records import TrendingList, TrendingScore
from socialflow_pipelines.ml.trending import (
    aggregate_hourly,
    compute_trending,
    lookback_hours,
    top_per_window,
)
from socialflow_pipelines.platform.cache import RedisCache, read_or_load, trending_key
from socialflow_pipelines.platform.db.engine import Database

CACHED_PER_LIST = 100  # the API serves at most 50; 100 leaves room for exclusions


@dataclass(frozen=True)
class HourlyRollup:
    """What a run of `engagement_hourly` counted."""

    events_by_type: dict[str, int]
    item_hours: int
    hours: int

    @property
    def events(self) -> int:
        return sum(self.events_by_type.values())


def roll_up_hours(db: Database, start: datetime, end: datetime) -> HourlyRollup:
    """Views, likes, comments and shares per item and hour of [start, end), replacing that range's
    rows. The events are read a day at a time, so a long backfill never holds all of them."""
    parts, event_counts = [], {}
    day = start
    while day < end:
        events = store.read_events(db, day, min(day + timedelta(days=1), end))
        parts.append(aggregate_hourly(events))
        for event_type, n in events.group_by("event_type").len().iter_rows():
            event_counts[event_type] = event_counts.get(event_type, 0) + n
        day += timedelta(days=1)
    hourly = pl.concat(parts)
    store.write_hourly(db, hourly, start, end)
    return HourlyRollup(event_counts, hourly.height, int((end - start) / timedelta(hours=1)))


@dataclass(frozen=True)
class TrendingRefresh:
    """One refresh: the item-hours it read, every item-window it scored, and the rows it kept."""

    hourly: pl.DataFrame
    scores: pl.DataFrame
    kept: pl.DataFrame

    def lists(self) -> list[TrendingList]:
        """The kept lists as Redis caches them: the best `CACHED_PER_LIST` of each."""
        found = []
        for (content_type, window), group in self.kept.group_by("content_type", "time_window"):
            rows = group.sort("rank").head(CACHED_PER_LIST).iter_rows(named=True)
            items = tuple(TrendingScore.from_row(row) for row in rows)
            found.append(TrendingList(str(content_type), str(window), items))
        return found

    def cache_items(self) -> list[tuple[str, list[dict[str, Any]]]]:
        """One Redis key per (content type, window) holding its list."""
        return [
            (trending_key(found.content_type, found.time_window), found.payload()) for found in self.lists()
        ]


def refresh_trending(settings: Settings, db: Database, now: datetime) -> TrendingRefresh:
    """Score every item per content type and window (1h/6h/24h/7d/30d) and keep the best
    `TRENDING_KEEP_TOP` of each list, replacing the stored lists. Closed hours come from
    `engagement_hourly`; the last two hours from the raw events, so a refresh every 15 minutes
    sees engagement that is minutes old."""
    fresh_from = now.replace(minute=0, second=0, microsecond=0) - timedelta(hours=1)
    history = store.read_hourly(db, now - timedelta(hours=lookback_hours()), fresh_from)
    recent = aggregate_hourly(store.read_events(db, fresh_from, now + timedelta(seconds=1)))
    hourly = pl.concat([history, recent])
    scores = compute_trending(hourly, now, settings.engagement_weights)
    kept = top_per_window(scores, settings.trending_keep_top).with_columns(pl.lit(now).alias("computed_at"))
    store.write_scores(db, kept)
    return TrendingRefresh(hourly, scores, kept)


async def trending_list(
    settings: Settings,
    db: Database,
    cache: RedisCache | None,
    content_type: str,
    time_window: str,
    limit: int,
) -> tuple[TrendingList, Literal["cache", "store"]]:
    """(the best `limit` items, where they came from): Redis first; on a miss the whole stored list,
    written back to Redis so the next read is a hit (after Redis lost its data, too)."""

    def stored_list() -> TrendingList | None:
        found = store.read_list(db, content_type, time_window, settings.trending_keep_top)
        return found if found.items else None  # nothing before the first refresh: nothing cached

    found, source = await read_or_load(
        cache,
        trending_key(content_type, time_window),
        settings.trending_cache_ttl,
        stored_list,
        TrendingList.payload,
    )
    if source == "cache":
        # The key holds the whole kept list (TRENDING_KEEP_TOP): build only what is served.
        return TrendingList.from_payload(content_type, time_window, found[:limit]), "cache"
    empty = TrendingList(content_type, time_window, ())
    return (found or empty).head(limit), "store"
