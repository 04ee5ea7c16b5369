"""Dagster resources: the SQL store, the Redis cache and the model registry.

Each one reads its connection from the environment through `config.Settings` when the field is
left empty, so the Definitions carry no URLs or secrets that the UI would show.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import dagster as dg
from pydantic import PrivateAttr

from socialflow_pipelines.cache import CacheUnavailable, RedisCache
from socialflow_pipelines.config import get_settings
from socialflow_pipelines.db.engine import Database
from socialflow_pipelines.model_registry import ModelRegistry


class DatabaseResource(dg.ConfigurableResource):
    """The app tables and the ml result tables (SQLite file by default, Postgres in production)."""

    url: str | None = None
    _database: Database | None = PrivateAttr(default=None)

    @property
    def database(self) -> Database:
        if self._database is None:
            self._database = Database(self.url or get_settings().database_url)
        return self._database

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        if self._database is not None:
            self._database.dispose()


class RedisResource(dg.ConfigurableResource):
    """The serving cache; `cache` is None when Redis is not configured."""

    url: str | None = None

    @property
    def cache(self) -> RedisCache | None:
        url = self.url or get_settings().redis_connection_url
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
    def registry(self) -> ModelRegistry:
        return ModelRegistry(Path(self.root) if self.root else get_settings().model_dir)
