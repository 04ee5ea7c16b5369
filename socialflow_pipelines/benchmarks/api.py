"""`socialflow bench api`: the real service (`socialflow serve`, its default workers) over HTTP with
many concurrent keep-alive clients, on data the real pipeline code made.

Preparation: a small demo world (socialflow_demo) in a scratch store (a temporary SQLite file, or
a scratch database on the Postgres that DATABASE_URL names, dropped afterwards), then the services
the assets run: hourly rollups and trending lists, the interaction matrix, a LightFM model and the
hourly recommendations, moderation of some posts; each published to Redis as the assets publish it.
Redis is REDIS_URL (default redis://127.0.0.1:6379/14): the bench writes serving keys there
(trending lists, the demo users' recommendations and moderation results) and deletes them at the end.

Load: an open-loop generator (request i is due at start + i / rate, whether or not earlier ones
have answered), so a slow server shows up as latency rather than as a politely lower rate.
Latency runs from the due time to the last byte of the response (queueing in the client
included). The client is one process: asyncio on uvloop writing raw HTTP/1.1, because a heavier
client on the same cores would take the CPU the server is measured with.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import resource
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import redis
import redis.asyncio as aioredis
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from socialflow_demo import WorldConfig, generate_world
from socialflow_demo.load import write_world
from socialflow_pipelines.cli.servers import api_workers
from socialflow_pipelines.config import Settings
from socialflow_pipelines.domains.catalog.scope import ItemScope
from socialflow_pipelines.domains.moderation import service as moderation
from socialflow_pipelines.domains.recommendations import service as recommendations
from socialflow_pipelines.domains.trending import service as trending
from socialflow_pipelines.platform.cache import RedisCache, recommendations_key
from socialflow_pipelines.platform.db.engine import Database
from socialflow_pipelines.platform.db.migrate import upgrade
from socialflow_pipelines.platform.model_store import ModelStore
from socialflow_pipelines.serving.auth import issue_token

API = "/api/v1/ml"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/14"
# The bench spreads its load over a few hundred demo users; the deployment's per-user limit
# (100 a minute) would answer most of it 429. The limiter still runs on every request.
BENCH_RATE_LIMIT = "1000000/minute"
REQUEST_TIMEOUT_S = 10.0
READY_TIMEOUT_S = 180.0
TARGETS = {"cached_reads_p99_ms": 10, "cached_reads_rps": 1000, "moderate_warm_p50_ms": 50}
_SOURCE = re.compile(rb'"source":\s*"(\w+)"')
_CONTENT_LENGTH = re.compile(rb"\r\ncontent-length:\s*(\d+)", re.IGNORECASE)


class ApiBenchFailed(RuntimeError):
    """The server did not come up or died; the message names its log."""


@dataclass(frozen=True)
class Scenario:
    """Raw HTTP/1.1 requests sent in turn, the `source` a good answer names, and for a cache miss
    the Redis key to delete before each request (same position)."""

    name: str
    requests: tuple[bytes, ...]
    expected_source: str
    evict: tuple[str, ...] | None = None
    rate: float | None = None  # requests/s; None: the bench's rate


@dataclass(frozen=True)
class Prepared:
    """What the pipeline code left in the store and Redis, and who can read it."""

    world: dict[str, int]
    video_users: list[str]  # users with a published video list
    moderated_posts: list[str]
    admin: str
    published_keys: list[str]
    seconds: float


def run_benchmark(
    *,
    progress: Callable[[str], None] | None = None,
    seconds: float = 10.0,
    concurrency: int = 64,
    rate: float = 1000.0,
    miss_rate: float | None = None,
    users: int = 400,
    days: int = 7,
) -> dict[str, Any]:
    """Requests/s, p50/p95/p99 ms and errors per scenario (cached recommendations, trending, a store
    read on a cache miss, a warm /moderate), with the machine's cores and the server's workers."""
    say = progress or (lambda _message: None)
    env_settings = Settings()
    redis_url = os.environ.get("REDIS_URL") or DEFAULT_REDIS_URL
    redis_state = _redis_state(redis_url)
    if redis_state != "ok":
        say(f"redis at {redis_url} is absent ({redis_state}): every read goes to the store")
    workers = api_workers()
    secret = secrets.token_urlsafe(32)
    with (
        tempfile.TemporaryDirectory(prefix="socialflow-bench-api-") as tmp,
        _scratch_database(env_settings.database_url, Path(tmp)) as (database_url, store),
    ):
        overrides = {
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url if redis_state == "ok" else "",
            "SOCIALFLOW_MODEL_DIR": str(Path(tmp) / "models"),
            "SOCIALFLOW_JWT_SECRET": secret,
            "SOCIALFLOW_RATE_LIMIT": BENCH_RATE_LIMIT,
        }
        settings = Settings(**overrides)
        say(f"preparing a {users}-user, {days}-day demo world in {store} through the pipeline code")
        prepared = _prepare(settings, users=users, days=days, say=say)
        say(f"prepared in {prepared.seconds:.1f} s")
        scenarios = _scenarios(settings, prepared, miss=redis_state == "ok", miss_rate=miss_rate)
        try:
            port = _free_port()
            env = {k: v for k, v in os.environ.items() if not k.startswith("REDIS")} | overrides
            say(f"starting `socialflow serve` with {workers} workers on port {port}")
            with _served(env, port, workers, say) as server:
                results = {}
                for scenario in scenarios:
                    target = scenario.rate or rate
                    say(f"{scenario.name}: {target:.0f} req/s for {seconds:.0f} s, {concurrency} connections")
                    results[scenario.name] = _measure(
                        scenario,
                        port,
                        redis_url,
                        server,
                        seconds=seconds,
                        rate=target,
                        concurrency=concurrency,
                    )
                    say(f"{scenario.name}: {json.dumps(results[scenario.name])}")
        finally:
            _unpublish(redis_url if redis_state == "ok" else None, prepared.published_keys)
    return {
        "cpu_count": os.cpu_count(),
        "workers": workers,
        "server": "socialflow serve (uvicorn; uvloop and httptools when installed), models preloaded",
        "client": "1 process, asyncio on uvloop, raw HTTP/1.1 keep-alive, open loop",
        "latency_from": "each request's due time (client queueing included)",
        "store": store,
        "redis": redis_url if redis_state == "ok" else f"absent ({redis_state}): reads served from the store",
        "rate_limit": BENCH_RATE_LIMIT,
        "world": prepared.world,
        "prepare_seconds": round(prepared.seconds, 1),
        "seconds": seconds,
        "concurrency": concurrency,
        "scenarios": results,
        "targets": TARGETS,
        "load_average_1m": round(os.getloadavg()[0], 2),
    }


# --------------------------------------------------------------------------------------------
# Preparation: the real pipeline code on a small demo world


@contextlib.contextmanager
def _scratch_database(url: str, tmp: Path) -> Iterator[tuple[str, str]]:
    """(url, description): a scratch database on the Postgres that `url` names (created here,
    dropped after), or a temporary SQLite file. The configured database is never written."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "postgresql":
        yield f"sqlite:///{tmp / 'bench.db'}", "sqlite (temporary file)"
        return
    name = f"socialflow_bench_{secrets.token_hex(4)}"
    admin = sa.create_engine(parsed, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        scratch = parsed.set(database=name).render_as_string(hide_password=False)
        yield scratch, f"postgres (scratch database {name} on {parsed.host}, dropped after)"
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def _prepare(settings: Settings, *, users: int, days: int, say: Callable[[str], None]) -> Prepared:
    started = time.perf_counter()
    upgrade(settings.database_url, id_type=settings.id_type)
    database = Database(settings.database_url)
    models = ModelStore(settings.model_dir)
    now = datetime.now(UTC)
    world = generate_world(WorldConfig(users=users, days=days, id_type=database.id_type), now=now)
    write_world(database, world)
    hour = now.replace(minute=0, second=0, microsecond=0)
    trending.roll_up_hours(database, hour - timedelta(days=days + 1), hour)
    refresh = trending.refresh_trending(settings, database, now)
    say(f"trending: {refresh.kept.height} rows kept")
    recommendations.build_interaction_matrix(settings, database, models, now)
    recommendations.train_model(database, models, _small_model())
    run = recommendations.recommend_for_active_users(
        settings,
        database,
        models,
        content_types=("video", "post", "user"),
        embedding_dim=32,
        num_threads=os.cpu_count() or 1,
        now=now,
    )
    say(f"recommendations: {run.users} users scored")
    posts = world["posts"].sort("created_at")["id"].to_list()[:200]
    judged = moderation.moderate(settings, database, models, ItemScope.listed({"post": posts}), now)
    say(f"moderation: {len(judged.records)} posts, {judged.decisions()}")
    published = _publish(
        settings,
        [
            (refresh.cache_items(), settings.trending_cache_ttl),
            (run.cache_items(), settings.rec_cache_ttl),
            (list(judged.cache_items()), settings.model_cache_ttl),
        ],
    )
    database.dispose()
    admins = world["users"].filter(world["users"]["is_admin"])["id"].to_list()
    return Prepared(
        world={name: frame.height for name, frame in world.items()},
        video_users=[found.user_id for found in run.lists_by_type["video"] if found.items],
        moderated_posts=[record.content_id for record in judged.records],
        admin=str(admins[0] if admins else world["users"]["id"][0]),
        published_keys=published,
        seconds=time.perf_counter() - started,
    )


def _small_model() -> recommendations.TrainingParams:
    """A few epochs of a small LightFM: what it recommends does not change what a read costs."""
    return recommendations.TrainingParams(
        no_components=16,
        epochs=5,
        learning_rate=0.05,
        item_alpha=0.0,
        user_alpha=0.0,
        use_weights=True,
        holdout=0.2,
        k=10,
        tolerance=0.02,
        num_threads=os.cpu_count() or 1,
        seed=42,
    )


def _publish(settings: Settings, batches: list[tuple[list[tuple[str, Any]], int]]) -> list[str]:
    """SET ... EX each batch as the assets do; the keys written (none without Redis)."""
    url = settings.redis_connection_url
    if not url:
        return []
    cache = RedisCache(url, timeout_s=2.0)
    try:
        for items, ttl_s in batches:
            cache.set_many(items, ttl_s)
    finally:
        cache.close()
    return [key for items, _ttl in batches for key, _value in items]


def _unpublish(redis_url: str | None, keys: list[str]) -> None:
    if redis_url is None or not keys:
        return
    client = redis.Redis.from_url(redis_url, socket_timeout=2)
    try:
        for start in range(0, len(keys), 1000):
            client.delete(*keys[start : start + 1000])
    except redis.RedisError:
        pass  # they expire with their TTL anyway
    finally:
        client.close()


def _redis_state(url: str) -> str:
    client = redis.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1)
    try:
        client.ping()
        return "ok"
    except redis.RedisError as exc:
        return f"{type(exc).__name__}: {exc}"
    finally:
        client.close()


def _scenarios(
    settings: Settings, prepared: Prepared, *, miss: bool, miss_rate: float | None
) -> list[Scenario]:
    def token(user_id: str, *, admin: bool = False) -> str:
        return issue_token(user_id, is_admin=admin, ttl=timedelta(hours=2), settings=settings)

    tokens = [token(user_id) for user_id in prepared.video_users]
    recommendations_path = f"{API}/recommendations?content_type=video&limit=20"
    cached = tuple(_get(recommendations_path, t) for t in tokens)
    trending_reads = tuple(
        _get(f"{API}/trending?content_type=video&time_window=24h&limit=20", t) for t in tokens
    )
    admin = token(prepared.admin, admin=True)
    moderate = tuple(
        _post(f"{API}/moderate", admin, {"content_type": "post", "content_id": post_id})
        for post_id in prepared.moderated_posts
    )
    return [
        Scenario("recommendations_cached", cached, "cache"),
        Scenario("trending", trending_reads, "cache"),
        Scenario(
            "recommendations_store_miss",
            cached,
            "store",
            evict=tuple(recommendations_key(u, "video") for u in prepared.video_users) if miss else None,
            rate=miss_rate,
        ),
        Scenario("moderate_warm", moderate, "cache"),
    ]


def _get(path: str, token: str) -> bytes:
    return f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n\r\n".encode()


def _post(path: str, token: str, body: dict[str, Any]) -> bytes:
    payload = json.dumps(body, separators=(",", ":")).encode()
    head = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(payload)}\r\n\r\n"
    )
    return head.encode() + payload


# --------------------------------------------------------------------------------------------
# The server: `socialflow serve` as a child process


@dataclass
class Server:
    process: subprocess.Popen
    log: Path

    def cpu_seconds(self) -> float:
        """User + system CPU of the server and its workers so far (Linux /proc; 0 elsewhere)."""
        total = 0.0
        for pid in [self.process.pid, *_children(self.process.pid)]:
            with contextlib.suppress(OSError, IndexError, ValueError):
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        return total


def _children(pid: int) -> list[int]:
    with contextlib.suppress(OSError):
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    return []


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def _served(env: dict[str, str], port: int, workers: int, say: Callable[[str], None]) -> Iterator[Server]:
    """`socialflow serve` until the block ends, always terminated; its log survives a failure."""
    log = Path(tempfile.mkstemp(prefix="socialflow-bench-api-", suffix=".log")[1])
    command = [
        sys.executable, "-m", "socialflow_pipelines.cli.main", "serve",
        "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers),
    ]  # fmt: skip
    with log.open("w") as out:
        process = subprocess.Popen(
            command, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    server = Server(process, log)
    failed = True
    try:
        _wait_until_ready(server, port, workers)
        say(f"server ready ({workers} workers)")
        yield server
        failed = False
    except Exception as exc:
        raise ApiBenchFailed(f"{exc}; the server's log is {log}") from exc
    finally:
        _terminate(process)
        if failed:
            say(f"the server's log is kept at {log}")
        else:
            log.unlink(missing_ok=True)


def _wait_until_ready(server: Server, port: int, workers: int) -> None:
    """Until every worker has started (each logs its startup) and /health answers: connections
    opened earlier would all land on the first worker up."""
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise ApiBenchFailed(f"`socialflow serve` exited with {server.process.returncode}")
        started = server.log.read_text(errors="replace").count("Application startup complete")
        if started >= workers:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"http://127.0.0.1:{port}/health", timeout=2).status_code == 200:
                    return
        time.sleep(0.3)
    raise ApiBenchFailed(f"the server was not ready after {READY_TIMEOUT_S:.0f} s")


def _terminate(process: subprocess.Popen) -> None:
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, 15)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, 9)
        process.wait()


# --------------------------------------------------------------------------------------------
# The client: open-loop, keep-alive, raw HTTP/1.1


class _Connection:
    """One keep-alive HTTP/1.1 connection; uvicorn always sends Content-Length."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(self, raw: bytes) -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        assert self.reader is not None
        self.writer.write(raw)
        head = await self.reader.readuntil(b"\r\n\r\n")
        length = _CONTENT_LENGTH.search(head)
        if length is None:
            raise ConnectionError("response without Content-Length")
        body = await self.reader.readexactly(int(length.group(1)))
        return int(head[9:12]), body

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


def _measure(
    scenario: Scenario,
    port: int,
    redis_url: str,
    server: Server,
    *,
    seconds: float,
    rate: float,
    concurrency: int,
) -> dict[str, Any]:
    """One scenario on fresh connections: a short warm-up at the same rate, then `seconds` measured."""
    try:
        import uvloop

        loop_factory = uvloop.new_event_loop
    except ImportError:
        loop_factory = None
    with asyncio.Runner(loop_factory=loop_factory) as runner:
        return runner.run(_drive(scenario, port, redis_url, server, seconds, rate, concurrency))


async def _drive(
    scenario: Scenario,
    port: int,
    redis_url: str,
    server: Server,
    seconds: float,
    rate: float,
    concurrency: int,
) -> dict[str, Any]:
    connections = [_Connection(port) for _ in range(concurrency)]
    evictor = aioredis.Redis.from_url(redis_url, socket_timeout=2) if scenario.evict else None
    try:
        # Open the connections one by one, so the workers' accept loops share them out.
        for connection in connections:
            await connection.request(scenario.requests[0])
            await asyncio.sleep(0.002)
        await _phase(scenario, connections, evictor, min(2.0, max(seconds / 4, 0.5)), rate)
        cpu_server, cpu_client = server.cpu_seconds(), _client_cpu()
        outcome = await _phase(scenario, connections, evictor, seconds, rate)
        server_cpu = server.cpu_seconds() - cpu_server
        client_cpu = _client_cpu() - cpu_client
    finally:
        for connection in connections:
            connection.close()
        if evictor is not None:
            await evictor.aclose()
    latencies = outcome["latencies"]
    done = len(latencies)
    elapsed = outcome["elapsed"]
    return {
        "target_rps": rate,
        "requests": done + outcome["errors"],
        "achieved_rps": round(done / elapsed, 1) if elapsed else 0.0,
        "p50_ms": _percentile(latencies, 50),
        "p95_ms": _percentile(latencies, 95),
        "p99_ms": _percentile(latencies, 99),
        "max_ms": _percentile(latencies, 100),
        # From the moment the request was written: without the client's late wake-ups (its
        # timers tick in milliseconds) and without waiting for a free connection.
        "service_p50_ms": _percentile(outcome["service"], 50),
        "service_p99_ms": _percentile(outcome["service"], 99),
        "errors": outcome["errors"],
        "error_kinds": dict(outcome["error_kinds"]),
        "sources": dict(outcome["sources"]),
        "expected_source": scenario.expected_source,
        # Where the time goes: CPU the server and the client spent per request, in ms.
        "server_cpu_ms_per_request": round(server_cpu * 1000 / done, 3) if done else None,
        "client_cpu_ms_per_request": round(client_cpu * 1000 / done, 3) if done else None,
    }


def _percentile(seconds: list[float], q: float) -> float | None:
    return round(float(np.percentile(seconds, q)) * 1000, 2) if seconds else None


def _client_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def _phase(
    scenario: Scenario,
    connections: list[_Connection],
    evictor: aioredis.Redis | None,
    seconds: float,
    rate: float,
) -> dict[str, Any]:
    """Request i is due at start + i / rate; each connection takes the next due request when free.
    Times are perf_counter's: uvloop's loop.time() has millisecond steps."""
    clock = time.perf_counter
    start = clock() + 0.05
    end = start + seconds
    latencies: list[float] = []
    service: list[float] = []
    sources: Counter[str] = Counter()
    error_kinds: Counter[str] = Counter()
    next_index = 0
    n = len(scenario.requests)

    async def client(connection: _Connection) -> None:
        nonlocal next_index
        while True:
            i = next_index
            next_index += 1
            due = start + i / rate
            if due >= end:
                return
            delay = due - clock()
            if delay > 0:
                await asyncio.sleep(delay)
            elif -delay > REQUEST_TIMEOUT_S:
                # Its caller would have given up by now: an error, and the phase ends in bounded time.
                error_kinds["not_sent_within_timeout"] += 1
                continue
            sent = clock()
            try:
                async with asyncio.timeout(REQUEST_TIMEOUT_S):
                    if evictor is not None and scenario.evict is not None:
                        await evictor.delete(scenario.evict[i % n])
                    status, body = await connection.request(scenario.requests[i % n])
            except (OSError, EOFError, asyncio.IncompleteReadError, TimeoutError, redis.RedisError) as exc:
                error_kinds[type(exc).__name__] += 1
                connection.close()
                continue
            if status != 200:
                error_kinds[f"http_{status}"] += 1
                continue
            answered = clock()
            latencies.append(answered - due)
            service.append(answered - sent)
            found = _SOURCE.search(body)
            sources[found.group(1).decode() if found else "none"] += 1

    await asyncio.gather(*(client(connection) for connection in connections))
    return {
        "latencies": latencies,
        "service": service,
        "elapsed": clock() - start,
        "errors": sum(error_kinds.values()),
        "error_kinds": error_kinds,
        "sources": sources,
    }
