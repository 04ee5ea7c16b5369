"""Dagster resources: the settings, the SQL store, the Redis cache and the model store.

Each one reads the environment through `config.Settings` when a run starts (never at import) and
only where its field is left empty, so the Definitions carry no URLs or secrets the UI would show.
Assets take their tunables from `settings`; a test builds the resource with `overrides`
instead of editing the process environment.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import dagster as dg
from pydantic import Field, PrivateAttr

from socialflow_pipelines.config import Settings
from socialflow_pipelines.platform.cache import CacheUnavailable, RedisCache
from socialflow_pipelines.platform.db.engine import Database
from socialflow_pipelines.platform.model_store import ModelStore


class SettingsResource(dg.ConfigurableResource):
    """`config.Settings` from the environment, with `overrides` replacing it by the same names
    (`{"ML_SPAM_THRESHOLD": "0.6"}`): what assets read their thresholds, weights and paths from."""

    overrides: dict[str, str] = Field(default_factory=dict)
    _settings: Settings | None = PrivateAttr(default=None)

    def get(self) -> Settings:
        if self._settings is None:
            self._settings = Settings(**self.overrides)
        return self._settings


class DatabaseResource(dg.ConfigurableResource):
    """The app tables and the ml result tables (SQLite file by default, Postgres in production)."""

    url: str | None = None
    _database: Database | None = PrivateAttr(default=None)

    @property
    def database(self) -> Database:
        if self._database is None:
            self._database = Database(self.url or Settings().database_url)
        return self._database

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        if self._database is not None:
            self._database.dispose()


class RedisResource(dg.ConfigurableResource):
    """The serving cache; `cache` is None when Redis is not configured."""

    url: str | None = None

    @property
    def cache(self) -> RedisCache | None:
        url = self.url or Settings().redis_connection_url
        return RedisCache(url, timeout_s=2.0) if url else None

    def publish(self, items: Iterable[tuple[str, Any]], ttl_s: int, what: str) -> int | str:
        """Write serving keys (one SET ... EX each). The results store stays the source of truth,
        so a Redis outage is logged and reported in the metadata, not a failed run."""
        cache = self.cache
        if cache is None:
            return "redis not configured"
        try:
            return cache.set_many(items, ttl_s)
        except CacheUnavailable as exc:
            dg.get_dagster_logger().warning(f"Redis unavailable, {what} not cached: {exc}")
            return "redis unavailable"
        finally:
            cache.close()


class ModelStoreResource(dg.ConfigurableResource):
    """Versioned model artifacts on disk (a shared volume in production)."""

    root: str | None = None

    @property
    def store(self) -> ModelStore:
        return ModelStore(Path(self.root) if self.root else Settings().model_dir)
