"""The API's stores failing under it, over real HTTP: Redis frozen or restarted empty, the results
store (a Postgres of the test's own) stopped and started again, or frozen. Reads must keep
answering (from what is left, or a prompt 503 with Retry-After), never hang, and recover without
an API restart."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable, Iterator

import httpx
import pytest
import redis
from prometheus_client.parser import text_string_to_metric_families

from socialflow_pipelines.platform.cache import trending_key
from socialflow_pipelines.platform.db.engine import Database
from tests.conftest import OwnPostgres, OwnRedis, restart_redis
from tests.serving.test_trending_api import URL, publish

PARAMS = {"content_type": "video", "time_window": "6h"}
READ_BOUND_S = 0.3  # each read while Redis is frozen (the brief's bound)
RECOVERY_S = 6  # a read answers 200 again this long after the database is back, at most (cooldown: 1 s)


@pytest.fixture
def own_store(own_postgres: OwnPostgres) -> Iterator[Database]:
    """The trending lists published into the test's own Postgres (which DATABASE_URL names)."""
    db = Database(own_postgres.url)
    publish(db)
    yield db
    db.dispose()


@pytest.fixture
def fast_faults(monkeypatch: pytest.MonkeyPatch) -> None:
    """Short store timeouts and breaker cooldown, so each fault costs the test seconds, not minutes."""
    monkeypatch.setenv("SOCIALFLOW_API_REDIS_TIMEOUT_S", "0.05")
    monkeypatch.setenv("SOCIALFLOW_API_DB_TIMEOUT_S", "1")
    monkeypatch.setenv("SOCIALFLOW_BREAKER_COOLDOWN_S", "1")


def _timed_get(client: httpx.Client, url: str, **kwargs: object) -> tuple[httpx.Response, float]:
    started = time.perf_counter()
    response = client.get(url, **kwargs)
    return response, time.perf_counter() - started


def _poll(
    read: Callable[[], httpx.Response], done: Callable[[httpx.Response], bool], within_s: float
) -> httpx.Response:
    """`read()` until `done(response)` or `within_s` passed; the last response either way."""
    deadline = time.monotonic() + within_s
    while True:
        response = read()
        if done(response) or time.monotonic() > deadline:
            return response
        time.sleep(0.2)


def _read_obeying_retry_after(client: httpx.Client, within_s: float) -> httpx.Response:
    """The trending read until it answers 200, waiting what each 503's Retry-After asks between tries."""
    deadline = time.monotonic() + within_s
    while True:
        response = client.get(URL, params=PARAMS)
        if response.status_code != 503 or time.monotonic() > deadline:
            return response
        time.sleep(int(response.headers["retry-after"]))


def _requests_counted(metrics: str, route: str, status: int) -> float:
    """socialflow_api_requests_total for `route` and `status`, summed over methods."""
    return sum(
        sample.value
        for family in text_string_to_metric_families(metrics)
        for sample in family.samples
        if sample.name == "socialflow_api_requests_total"
        and sample.labels.get("route") == route
        and sample.labels.get("status") == str(status)
    )


def test_redis_frozen_reads_come_from_the_store_within_bounds(
    sqlite_db, own_redis: OwnRedis, fast_faults, monkeypatch, start_api, make_token
) -> None:
    """A Redis that accepts connections but never answers (SIGSTOP) costs a read at most its
    socket timeout (once for the rate limiter, once for the cache), then the breakers skip it:
    every read stays fast and correct."""
    monkeypatch.setenv("REDIS_URL", own_redis.url)
    publish(sqlite_db)
    api = start_api()
    with api.client(make_token(3)) as client:
        client.get(URL, params=PARAMS)  # a miss, if the publish did not reach this Redis, writes back
        cached = client.get(URL, params=PARAMS)
        assert cached.status_code == 200 and cached.json()["source"] == "cache"
        os.kill(own_redis.process.pid, signal.SIGSTOP)
        try:
            reads = [_timed_get(client, URL, params=PARAMS) for _ in range(20)]
            health = _poll(
                lambda: client.get("/health"), lambda r: r.json()["redis"] == "unreachable", within_s=3
            )
        finally:
            os.kill(own_redis.process.pid, signal.SIGCONT)
    assert [r.status_code for r, _ in reads] == [200] * 20
    assert {r.json()["source"] for r, _ in reads} == {"store"}
    assert {r.headers.get("x-cache") for r, _ in reads[1:]} == {"unavailable"}  # after the first timeout
    assert all(r.json()["items"] == cached.json()["items"] for r, _ in reads)
    slowest = max(seconds for _, seconds in reads)
    assert slowest < READ_BOUND_S, [round(seconds, 3) for _, seconds in reads]
    assert health.json() == {"status": "degraded", "database": "ok", "redis": "unreachable"}


def test_database_stopped_answers_503_then_recovers_without_restart(
    own_postgres: OwnPostgres, own_store, fast_faults, start_api, make_token
) -> None:
    """Postgres down: a prompt 503 in the JSON error shape with Retry-After, counted in /metrics
    and reported by /health; Postgres back on the same port and data: 200 again, same process."""
    api = start_api()
    with api.client(make_token(4)) as client, api.client(make_token(5, admin=True)) as admin:
        before = client.get(URL, params=PARAMS)
        assert before.status_code == 200 and before.json()["source"] == "store"
        own_postgres.stop()
        down = [client.get(URL, params=PARAMS) for _ in range(3)]
        health = client.get("/health")
        metrics = admin.get("/metrics")
        own_postgres.start()
        after = _read_obeying_retry_after(client, within_s=RECOVERY_S)
        health_after = client.get("/health")
    assert [r.status_code for r in down] == [503] * 3
    for response in down:
        assert response.json() == {"detail": response.json()["detail"], "status_code": 503}
        assert response.json()["detail"]
        assert int(response.headers["retry-after"]) >= 1
    assert health.json() == {"status": "degraded", "database": "unreachable", "redis": "not configured"}
    assert metrics.status_code == 200
    assert _requests_counted(metrics.text, URL, 503) >= 3
    assert after.status_code == 200, after.text
    assert after.json()["items"] == before.json()["items"]
    assert health_after.json()["status"] == "ok"


def test_database_back_serves_again_under_steady_traffic(
    own_postgres: OwnPostgres, own_store, fast_faults, start_api, make_token
) -> None:
    """Real traffic does not wait for Retry-After: with reads every 0.2 s (a 1 s cooldown) the API
    must still try the database again and serve once it is back."""
    api = start_api()
    with api.client(make_token(9)) as client:
        before = client.get(URL, params=PARAMS)
        assert before.status_code == 200
        own_postgres.stop()
        assert client.get(URL, params=PARAMS).status_code == 503
        own_postgres.start()
        after = _poll(lambda: client.get(URL, params=PARAMS), lambda r: r.status_code == 200, RECOVERY_S)
    assert after.status_code == 200, after.text
    assert after.json()["items"] == before.json()["items"]


def test_database_frozen_read_answers_within_bound(
    own_postgres: OwnPostgres, own_store, fast_faults, start_api, make_token
) -> None:
    """Postgres SIGSTOPped with every backend (a hung host, not a refused port): with a 1 s
    database timeout a read answers (503) within 5 s instead of holding the caller."""
    api = start_api()
    with api.client(make_token(6), timeout_s=8) as client:
        before = client.get(URL, params=PARAMS)  # leaves a pooled connection to a backend
        assert before.status_code == 200
        own_postgres.freeze()
        try:
            frozen, seconds = _timed_get(client, URL, params=PARAMS)
        finally:
            own_postgres.thaw()  # now, so a hung request thread finishes before the API stops
    assert frozen.status_code == 503
    assert int(frozen.headers["retry-after"]) >= 1
    assert seconds < 5


def test_redis_restarted_empty_is_refilled_by_the_next_read(
    sqlite_db, own_redis: OwnRedis, fast_faults, monkeypatch, start_api, make_token
) -> None:
    """Redis lost its data: the next read is served from the store and written back, so reads
    are cache hits again within seconds (after the breaker's cooldown at most)."""
    monkeypatch.setenv("REDIS_URL", own_redis.url)
    publish(sqlite_db)
    api = start_api()
    with api.client(make_token(8)) as client:
        client.get(URL, params=PARAMS)
        cached = client.get(URL, params=PARAMS)
        assert cached.json()["source"] == "cache"
        restart_redis(own_redis)
        assert redis.Redis.from_url(own_redis.url).dbsize() == 0
        first = client.get(URL, params=PARAMS)
        again = _poll(
            lambda: client.get(URL, params=PARAMS), lambda r: r.json()["source"] == "cache", within_s=5
        )
    assert first.status_code == 200 and first.json()["source"] == "store"
    assert first.json()["items"] == cached.json()["items"]
    assert again.status_code == 200 and again.json()["source"] == "cache"
    assert again.json()["items"] == cached.json()["items"]
    assert redis.Redis.from_url(own_redis.url).exists(trending_key("video", "6h")) == 1
