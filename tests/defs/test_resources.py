"""Resources as the assets use them: Redis publishing is atomic per key, and never fatal."""

from __future__ import annotations

import socket

import redis

from socialflow_pipelines.defs.resources import RedisResource


def test_publish_writes_each_key_with_its_ttl(redis_url: str) -> None:
    written = RedisResource(url=redis_url).publish([("a:1", {"x": 1}), ("a:2", [1, 2])], 300, "test keys")
    client = redis.Redis.from_url(redis_url, decode_responses=True)
    assert written == 2
    assert client.get("a:1") == '{"x":1}'
    assert 0 < client.ttl("a:2") <= 300


def test_publish_reports_an_unreachable_redis_instead_of_failing() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # nothing listens here once the socket closes
    outcome = RedisResource(url=f"redis://127.0.0.1:{port}/0").publish([("k", 1)], 60, "test keys")
    assert outcome == "redis unavailable"


def test_publish_without_redis_configured() -> None:
    assert RedisResource().publish([("k", 1)], 60, "test keys") == "redis not configured"
