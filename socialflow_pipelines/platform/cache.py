"""The Redis serving cache, optional everywhere: no Redis configured means no cache, and a Redis
that is down is reported and skipped, never fatal to a read.

Every value is written with one atomic `SET key value EX ttl`, so a reader never sees a key
without its TTL; publishes batch those commands in a pipeline (not a transaction: each key is
independent).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from typing import Any

import redis

log = logging.getLogger(__name__)


class CacheUnavailable(RuntimeError):
    """Redis is configured but does not answer."""


def recommendations_key(user_id: int, content_type: str) -> str:
    return f"recommendations:{user_id}:{content_type}"


def moderation_key(content_type: str, content_id: int) -> str:
    # The seed's key is `moderation:{content_id}`; ids here are per content type, so the type is
    # part of the id: `moderation:post:42`.
    return f"moderation:{content_type}:{content_id}"


def trending_key(content_type: str, time_window: str) -> str:
    return f"trending:{content_type}:{time_window}"


def prediction_key(model_name: str, content_id: str | int) -> str:
    return f"ml_prediction:{model_name}:{content_id}"


class RedisCache:
    def __init__(self, url: str, *, timeout_s: float = 0.5) -> None:
        self.url = url
        self.client = redis.Redis.from_url(
            url, socket_timeout=timeout_s, socket_connect_timeout=timeout_s, decode_responses=True
        )

    def get_json(self, key: str) -> Any | None:
        try:
            raw = self.client.get(key)
        except redis.RedisError as exc:
            raise CacheUnavailable(str(exc)) from exc
        return None if raw is None else json.loads(raw)

    def set_json(self, key: str, value: Any, ttl_s: int) -> None:
        self.set_many([(key, value)], ttl_s)

    def set_many(self, items: Iterable[tuple[str, Any]], ttl_s: int, *, chunk: int = 5_000) -> int:
        """SET ... EX for each item; returns how many keys were written."""
        written = 0
        try:
            pipe = self.client.pipeline(transaction=False)
            for key, value in items:
                pipe.set(key, json.dumps(value, default=str, separators=(",", ":")), ex=ttl_s)
                written += 1
                if written % chunk == 0:
                    pipe.execute()
            pipe.execute()
        except redis.RedisError as exc:
            raise CacheUnavailable(str(exc)) from exc
        return written

    def ping(self) -> bool:
        try:
            return bool(self.client.ping())
        except redis.RedisError:
            return False

    def close(self) -> None:
        self.client.close()


def read_through(cache: RedisCache | None, key: str) -> Any | None:
    """The cached value, or None when there is none, no Redis, or Redis is down (logged): a read
    path falls through to the results store instead of failing."""
    if cache is None:
        return None
    try:
        return cache.get_json(key)
    except CacheUnavailable:
        log.warning("redis unavailable; reading %s from the source", key.split(":", 1)[0])
        return None


def write_best_effort(cache: RedisCache | None, key: str, value: Any, ttl_s: int) -> None:
    """Cache-aside write that never fails the request it serves."""
    if cache is None:
        return
    try:
        cache.set_json(key, value, ttl_s)
    except CacheUnavailable:
        log.warning("redis unavailable; %s not cached", key.split(":", 1)[0])
