"""Shared fixtures: a migrated SQLite file per test, and the real Postgres and Redis when they
answer. Those skip only when the service is unreachable and SOCIALFLOW_REQUIRE_SERVICES is unset;
CI sets it, so CI never skips them silently."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

# Keep the seed's retry count but not its minutes of waiting: a failing step fails a test fast.
os.environ.setdefault("SOCIALFLOW_RETRY_DELAY_S", "0")

import psycopg
import pytest
import redis

from socialflow_pipelines.platform.db.engine import Database
from socialflow_pipelines.platform.db.migrate import upgrade

PG_ADMIN_URL = os.environ.get("SOCIALFLOW_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_TEST_URL = os.environ.get("SOCIALFLOW_TEST_REDIS", "redis://127.0.0.1:6379/15")


def _unreachable(service: str, exc: Exception) -> None:
    if os.environ.get("SOCIALFLOW_REQUIRE_SERVICES"):
        pytest.fail(f"{service} is required (SOCIALFLOW_REQUIRE_SERVICES is set) but unreachable: {exc}")
    pytest.skip(f"{service} unreachable: {exc}")


@pytest.fixture(autouse=True)
def _isolated_settings(monkeypatch: pytest.MonkeyPatch, tmp_path) -> Iterator[None]:
    """Every test starts from the embedded defaults in its own directory, with no Redis."""
    for name in ("DATABASE_URL", "REDIS_URL", "REDIS_HOST", "SOCIALFLOW_MODEL_DIR", "SOCIALFLOW_JWT_SECRET"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SOCIALFLOW_MODEL_DIR", str(tmp_path / "models"))
    monkeypatch.setenv("SOCIALFLOW_JWT_SECRET", "test-secret-" + uuid.uuid4().hex)
    yield


@pytest.fixture
def sqlite_db(tmp_path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Database]:
    url = f"sqlite:///{tmp_path / 'socialflow.db'}"
    upgrade(url)
    monkeypatch.setenv("DATABASE_URL", url)
    db = Database(url)
    yield db
    db.dispose()


@pytest.fixture
def postgres_db(monkeypatch: pytest.MonkeyPatch) -> Iterator[Database]:
    name = f"sf_test_{uuid.uuid4().hex[:12]}"
    try:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=3) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as exc:
        _unreachable("Postgres", exc)
    url = PG_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://") + f"/{name}"
    upgrade(url)
    monkeypatch.setenv("DATABASE_URL", url)
    db = Database(url)
    yield db
    db.dispose()
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", "postgres"])
def any_db(request: pytest.FixtureRequest) -> Database:
    """Runs the test on the embedded store and on the real Postgres."""
    return request.getfixturevalue(f"{request.param}_db")


@pytest.fixture
def redis_url(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    client = redis.Redis.from_url(REDIS_TEST_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError as exc:
        _unreachable("Redis", exc)
    client.flushdb()
    monkeypatch.setenv("REDIS_URL", REDIS_TEST_URL)
    yield REDIS_TEST_URL
    client.flushdb()
    client.close()


@dataclass
class OwnRedis:
    """A Redis server of the test's own, which it may freeze (SIGSTOP), kill or restart."""

    url: str
    process: subprocess.Popen

    def wait_until_up(self) -> None:
        client = redis.Redis.from_url(self.url, socket_timeout=0.5)
        for _ in range(200):
            try:
                client.ping()
                return
            except redis.RedisError:
                time.sleep(0.05)
        raise RuntimeError("own redis-server did not start")


def _start_redis(port: int) -> subprocess.Popen:
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server binary not installed")
    return subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )


@pytest.fixture
def own_redis() -> Iterator[OwnRedis]:
    """Never the machine's own Redis: fault tests stop this one."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = OwnRedis(f"redis://127.0.0.1:{port}/0", _start_redis(port))
    server.wait_until_up()
    yield server
    server.process.kill()
    server.process.wait()


def restart_redis(server: OwnRedis) -> None:
    """Kill the server and start an empty one on the same port (Redis restarted without its data)."""
    server.process.kill()
    server.process.wait()
    server.process = _start_redis(int(server.url.rsplit(":", 1)[1].split("/")[0]))
    server.wait_until_up()
