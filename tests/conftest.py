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


# What `own_postgres` needs besides the imports above (kept down here with the fixture it serves).
import contextlib  # noqa: E402
import glob  # noqa: E402
import signal  # noqa: E402
import tempfile  # noqa: E402
from pathlib import Path  # noqa: E402

PG_BIN_GLOB = "/usr/lib/postgresql/*/bin"


@dataclass
class OwnPostgres:
    """A Postgres server of the test's own (run as the `postgres` OS user: it refuses root), which
    it may stop, start again on the same port and data, or freeze (SIGSTOP) with all its backends."""

    url: str
    port: int
    root: Path
    bin_dir: Path
    frozen: tuple[int, ...] = ()

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    def _pg_ctl(self, *args: str) -> None:
        command = ["runuser", "-u", "postgres", "--", str(self.bin_dir / "pg_ctl"), "-D", str(self.data_dir)]
        subprocess.run([*command, *args], check=True, stdout=subprocess.DEVNULL, timeout=60)

    def start(self) -> None:
        options = (
            f"-c port={self.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={self.root}"
            " -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c autovacuum=off"
            " -c shared_buffers=16MB -c max_connections=30"
        )
        self._pg_ctl("-l", str(self.root / "server.log"), "-o", options, "-w", "-t", "30", "start")

    def stop(self) -> None:
        self._pg_ctl("-m", "fast", "-w", "-t", "30", "stop")

    def pids(self) -> list[int]:
        """The postmaster first, then every backend and helper process it forked."""
        postmaster = int((self.data_dir / "postmaster.pid").read_text().split()[0])
        children = subprocess.run(["pgrep", "-P", str(postmaster)], capture_output=True, text=True).stdout
        return [postmaster, *(int(pid) for pid in children.split())]

    def freeze(self) -> None:
        """SIGSTOP every process of this server: connections stay open, nothing answers."""
        self.frozen = tuple(self.pids())
        for pid in self.frozen:
            os.kill(pid, signal.SIGSTOP)

    def thaw(self) -> None:
        for pid in self.frozen:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGCONT)
        self.frozen = ()


@pytest.fixture
def own_postgres(monkeypatch: pytest.MonkeyPatch) -> Iterator[OwnPostgres]:
    """Never the machine's own Postgres: fault tests stop and freeze this one. Migrated like
    `postgres_db`, and DATABASE_URL points at it."""
    bin_dirs = sorted(glob.glob(PG_BIN_GLOB))
    if not bin_dirs or shutil.which("runuser") is None:
        if os.environ.get("SOCIALFLOW_REQUIRE_SERVICES"):
            pytest.fail(f"Postgres binaries ({PG_BIN_GLOB}) and runuser are required but absent")
        pytest.skip(f"Postgres binaries ({PG_BIN_GLOB}) or runuser not installed")
    bin_dir = Path(bin_dirs[-1])
    root = Path(tempfile.mkdtemp(prefix="sf-own-pg-"))
    shutil.chown(root, "postgres", "postgres")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = OwnPostgres(f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres", port, root, bin_dir)
    initdb = [str(bin_dir / "initdb"), "-D", str(server.data_dir), "-A", "trust", "-U", "postgres"]
    subprocess.run(
        ["runuser", "-u", "postgres", "--", *initdb, "-E", "UTF8", "-N", "--no-instructions"],
        check=True,
        stdout=subprocess.DEVNULL,
        timeout=120,
    )
    server.start()
    try:
        upgrade(server.url)
        monkeypatch.setenv("DATABASE_URL", server.url)
        yield server
    finally:
        server.thaw()
        with contextlib.suppress(subprocess.SubprocessError, OSError):
            server.stop()
        shutil.rmtree(root, ignore_errors=True)
