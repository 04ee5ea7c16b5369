"""The Redis serving cache, optional everywhere: no Redis configured means no cache, and a Redis
that is down or hangs is reported and skipped, never fatal to a read: every call has a socket
timeout, and after a failure a circuit breaker skips Redis for a few seconds, so requests do not
each wait out the timeout while it is gone.

Every value is written with one atomic `SET key value EX ttl`, so a reader never sees a key
without its TTL; publishes batch those commands in a pipeline (not a transaction: each key is
independent).

The pipeline publishes with the blocking client; the API reads with the asyncio one (`aget_json`,
`read_or_load`), so a request waiting on Redis holds no thread and a frozen Redis stalls no other
request.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, TypeVar

import anyio
import orjson
import redis
import redis.asyncio
from redis.backoff import NoBackoff

from socialflow_pipelines.platform.breaker import CircuitBreaker

log = logging.getLogger(__name__)
T = TypeVar("T")


class CacheUnavailable(RuntimeError):
    """Redis is configured but does not answer."""


def recommendations_key(user_id: str, content_type: str) -> str:
    return f"recommendations:{user_id}:{content_type}"


def moderation_key(content_type: str, content_id: str) -> str:
    # The seed's key is `moderation:{content_id}`; an integer deployment's ids are per content
    # type, so the type is part of the key: `moderation:post:{id}`.
    return f"moderation:{content_type}:{content_id}"


def trending_key(content_type: str, time_window: str) -> str:
    return f"trending:{content_type}:{time_window}"


def prediction_key(model_name: str, content_id: str) -> str:
    return f"ml_prediction:{model_name}:{content_id}"


class RedisCache:
    def __init__(
        self,
        url: str,
        *,
        timeout_s: float = 0.5,
        cooldown_s: float = 5.0,
        on_read: Callable[[str, str], None] | None = None,
    ) -> None:
        self.url = url
        self.on_read = on_read  # told (key kind, hit | miss | unavailable) of each serving read
        self.client = redis.Redis.from_url(
            url, socket_timeout=timeout_s, socket_connect_timeout=timeout_s, decode_responses=True
        )
        # One immediate retry on a dropped connection (a pooled one that a Redis restart closed),
        # none on a timeout: a frozen Redis costs one timeout, then the breaker skips it.
        once_on_reconnect = redis.asyncio.retry.Retry(
            NoBackoff(), 1, supported_errors=(redis.ConnectionError,)
        )
        self.async_client = redis.asyncio.Redis.from_url(
            url, socket_timeout=timeout_s, socket_connect_timeout=timeout_s, retry=once_on_reconnect
        )
        self.breaker = CircuitBreaker(cooldown_s)

    async def _acall(self, operation: Callable[[], Awaitable[T]]) -> T:
        """`_call` for the asyncio client: the same breaker, so both clients skip a dead Redis."""
        if not self.breaker.allow():
            raise CacheUnavailable("redis circuit open after a recent failure")
        try:
            result = await operation()
        except (redis.RedisError, TimeoutError, OSError) as exc:
            self.breaker.failed()
            raise CacheUnavailable(str(exc) or type(exc).__name__) from exc
        self.breaker.succeeded()
        return result

    async def aget_json(self, key: str) -> Any | None:
        raw = await self._acall(lambda: self.async_client.get(key))
        return None if raw is None else orjson.loads(raw)

    async def aset_json(self, key: str, value: Any, ttl_s: int) -> None:
        encoded = orjson.dumps(value, default=str)
        await self._acall(lambda: self.async_client.set(key, encoded, ex=ttl_s))

    def _call(self, operation: Callable[[], T]) -> T:
        """Run one Redis operation unless the breaker is open; a failure opens it."""
        if not self.breaker.allow():
            raise CacheUnavailable("redis circuit open after a recent failure")
        try:
            result = operation()
        except redis.RedisError as exc:
            self.breaker.failed()
            raise CacheUnavailable(str(exc)) from exc
        self.breaker.succeeded()
        return result

    def set_many(self, items: Iterable[tuple[str, Any]], ttl_s: int, *, chunk: int = 5_000) -> int:
        """SET ... EX for each item; returns how many keys were written."""

        def write() -> int:
            written = 0
            pipe = self.client.pipeline(transaction=False)
            for key, value in items:
                pipe.set(key, json.dumps(value, default=str, separators=(",", ":")), ex=ttl_s)
                written += 1
                if written % chunk == 0:
                    pipe.execute()
            pipe.execute()
            return written

        return self._call(write)

    def ping(self) -> bool:
        """Whether Redis answers now (a health check: it bypasses the breaker, and closes it)."""
        try:
            answered = bool(self.client.ping())
        except redis.RedisError:
            self.breaker.failed()
            return False
        self.breaker.succeeded()
        return answered

    def close(self) -> None:
        self.client.close()

    async def aclose(self) -> None:
        await self.async_client.aclose()
        self.client.close()


async def read_through(cache: RedisCache | None, key: str) -> Any | None:
    """The cached value, or None when there is none, no Redis, or Redis is down (logged): a read
    path falls through to the results store instead of failing."""
    if cache is None:
        return None
    kind = key.split(":", 1)[0]
    try:
        found = await cache.aget_json(key)
    except CacheUnavailable:
        log.warning("redis unavailable; reading %s from the source", kind)
        found, outcome = None, "unavailable"
    else:
        outcome = "miss" if found is None else "hit"
    if cache.on_read is not None:
        cache.on_read(kind, outcome)
    return found


async def write_best_effort(cache: RedisCache | None, key: str, value: Any, ttl_s: int) -> None:
    """Cache-aside write that never fails the request it serves."""
    if cache is None:
        return
    try:
        await cache.aset_json(key, value, ttl_s)
    except CacheUnavailable:
        log.warning("redis unavailable; %s not cached", key.split(":", 1)[0])


async def read_or_load(
    cache: RedisCache | None, key: str, ttl_s: int, load: Callable[[], T | None], encode: Callable[[T], Any]
) -> tuple[Any | T | None, str]:
    """Read-through with write-back: the cached value (source "cache"), else `load()`'s value
    (source "store"), written back to Redis for `ttl_s` so the next read is a hit even after
    Redis lost its data. The cached value is the JSON form (`encode(value)`); the loaded one is
    returned as loaded. None with "store" when neither has it. `load` blocks (SQL, models): it
    runs in a worker thread, never on the event loop."""
    cached = await read_through(cache, key)
    if cached is not None:
        return cached, "cache"
    value = await anyio.to_thread.run_sync(load)
    if value is not None:
        await write_best_effort(cache, key, encode(value), ttl_s)
    return value, "store"
