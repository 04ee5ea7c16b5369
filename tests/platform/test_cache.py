"""The serving cache under faults, on a Redis of the test's own: a frozen Redis costs one timeout,
then the breaker skips it; a Redis restarted empty is refilled by the next read (write-back).
The reads are the API's (asyncio client), each test's in one event loop."""

from __future__ import annotations

import asyncio
import os
import signal
import time

import pytest

from socialflow_pipelines.platform.cache import CacheUnavailable, RedisCache, read_or_load, read_through
from tests.conftest import OwnRedis, restart_redis


def test_a_frozen_redis_costs_one_timeout_then_the_breaker_skips_it(own_redis: OwnRedis) -> None:
    cache = RedisCache(own_redis.url, timeout_s=0.2, cooldown_s=30)
    cache.set_many([("k", {"v": 1})], 60)

    async def reads() -> tuple[float, float]:
        assert await read_through(cache, "k") == {"v": 1}
        os.kill(own_redis.process.pid, signal.SIGSTOP)
        try:
            started = time.perf_counter()
            assert await read_through(cache, "k") is None  # the timeout: Redis is not answering
            first = time.perf_counter() - started
            started = time.perf_counter()
            for _ in range(50):
                assert await read_through(cache, "k") is None
            rest = time.perf_counter() - started
        finally:
            os.kill(own_redis.process.pid, signal.SIGCONT)
        assert cache.breaker.is_open
        assert cache.ping(), "a health check tries Redis again and closes the breaker"
        assert await read_through(cache, "k") == {"v": 1}
        await cache.aclose()
        return first, rest

    first, rest = asyncio.run(reads())
    assert first < 1.0, "one bounded wait"
    assert rest < 0.2, "the next 50 reads skip Redis instead of each waiting for it"


def test_an_open_breaker_refuses_writes_too(own_redis: OwnRedis) -> None:
    cache = RedisCache(own_redis.url, timeout_s=0.2, cooldown_s=30)
    cache.breaker.failed()
    with pytest.raises(CacheUnavailable, match="circuit open"):
        cache.set_many([("k", 1)], 60)


def test_a_miss_is_written_back_so_a_restarted_redis_refills(own_redis: OwnRedis) -> None:
    cache = RedisCache(own_redis.url, timeout_s=0.5, cooldown_s=1)
    loads: list[int] = []

    def load() -> dict:
        loads.append(1)
        return {"from": "store"}

    async def reads() -> None:
        assert await read_or_load(cache, "rec:u1", 60, load, dict) == ({"from": "store"}, "store")
        assert await read_or_load(cache, "rec:u1", 60, load, dict) == ({"from": "store"}, "cache")
        restart_redis(own_redis)
        cache.ping()
        assert (await read_or_load(cache, "rec:u1", 60, load, dict))[1] == "store"
        assert (await read_or_load(cache, "rec:u1", 60, load, dict))[1] == "cache"
        await cache.aclose()

    asyncio.run(reads())
    assert len(loads) == 2
    assert 0 < cache.client.ttl("rec:u1") <= 60
