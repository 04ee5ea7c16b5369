"""`socialflow bench pipeline --users N [--days D]`: the pipeline end to end on a fresh database,
not its kernels on data already in memory.

It seeds a synthetic world of N users into a new database (a new database on the Postgres server
`DATABASE_URL` names, dropped afterwards; a temporary SQLite file otherwise), materializes every
asset through the real Definitions (`socialflow materialize`'s steps), then adds an hour of new
items and engagement and runs what the daemon would run in that hour: each sensor until it has
nothing left (from cursors brought to the end of the history first, as a running daemon's are),
then the hourly schedules' ticks. It reports per asset the wall seconds and the
peak resident memory while it ran, per run the rows each table gained, and the totals.

The models live in a temporary model store; Redis keys go to logical database 15 of the
configured Redis, if one is (they expire by their TTLs).
"""

from __future__ import annotations

import os
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

import sqlalchemy as sa

from socialflow_pipelines.platform.process import resident_mb

if TYPE_CHECKING:
    from socialflow_pipelines.platform.db.engine import Database

HOURLY_SCHEDULES = (
    "close_previous_hour",
    "trending_every_15_minutes",
    "recommendations_hourly",
    "viral_predictions_hourly",
)
SENSORS = ("new_content_sensor", "content_after_moderation_sensor", "viral_after_moderation_sensor")
BENCH_REDIS_DB = 15


class MemorySampler:
    """This process's resident memory every `interval` seconds, in a daemon thread: the peak over
    any time window afterwards."""

    def __init__(self, interval: float = 0.05) -> None:
        self.samples: list[tuple[float, float]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(interval,), daemon=True)

    def __enter__(self) -> MemorySampler:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self, interval: float) -> None:
        while not self._stop.is_set():
            self.samples.append((time.time(), resident_mb()))
            self._stop.wait(interval)

    def peak_mb(self, start: float = 0.0, end: float = float("inf")) -> float:
        inside = [rss for at, rss in self.samples if start <= at <= end]
        return round(max(inside, default=resident_mb()), 1)


@contextmanager
def fresh_database(configured_url: str, scratch: Path) -> Iterator[str]:
    """A new empty database for the run: on the configured Postgres server when there is one
    (created here, dropped afterwards), else a SQLite file in `scratch`."""
    if not configured_url.startswith("postgresql"):
        yield f"sqlite:///{scratch / 'bench.db'}"
        return
    name = f"socialflow_bench_{os.getpid()}"
    server = sa.make_url(configured_url)
    admin = sa.create_engine(server.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _bench_redis(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{BENCH_REDIS_DB}"))


def table_counts(database: Database) -> dict[str, int]:
    """Rows per table of the platform's schema (app tables and ml results)."""
    from socialflow_pipelines.platform.db import schema

    with database.engine.connect() as conn:
        return {
            table.fullname: int(conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one())
            for table in schema.metadata.sorted_tables
        }


def run_benchmark(
    *,
    progress: Callable[[str], None] | None = None,
    users: int = 2_000,
    days: int = 7,
    seed: int = 0,
    **_: Any,
) -> dict[str, Any]:
    """Seed, materialize everything, then one hourly tick; JSON-serialisable timings per asset."""
    from socialflow_pipelines.config import Settings

    say = progress or (lambda _message: None)
    configured = Settings()
    with tempfile.TemporaryDirectory(prefix="socialflow-bench-pipeline-") as scratch_dir:
        scratch = Path(scratch_dir)
        with fresh_database(configured.database_url, scratch) as url:
            overrides = {"DATABASE_URL": url, "SOCIALFLOW_MODEL_DIR": str(scratch / "models")}
            if configured.redis_url:
                overrides["REDIS_URL"] = _bench_redis(configured.redis_url)
            previous = {key: os.environ.get(key) for key in overrides}
            os.environ.update(overrides)
            try:
                return _measure(url, users=users, days=days, seed=seed, say=say)
            finally:
                for key, value in previous.items():
                    if value is None:
                        os.environ.pop(key, None)
                    else:
                        os.environ[key] = value


def _measure(url: str, *, users: int, days: int, seed: int, say: Callable[[str], None]) -> dict[str, Any]:
    import dagster as dg

    from socialflow_demo import LiveGenerator, WorldConfig, generate_world
    from socialflow_demo.load import append_batch, next_free_ids, write_world
    from socialflow_pipelines.cli.materialize import materialize_everything
    from socialflow_pipelines.platform.db.engine import Database
    from socialflow_pipelines.platform.db.migrate import upgrade

    upgrade(url)
    database = Database(url)
    started_at = datetime.now(UTC)
    # The world ends an hour ago: the tick adds the last hour live.
    config = WorldConfig(users=users, days=days, seed=seed, id_type=database.id_type)
    say(f"seeding {users} users, {days} days")
    seeding = time.perf_counter()
    world = generate_world(config, now=started_at - timedelta(hours=1))
    seeded = write_world(database, world)
    seed_seconds = time.perf_counter() - seeding
    instance = dg.DagsterInstance.ephemeral()
    full: list[dict[str, Any]] = []
    with MemorySampler() as memory:
        before = table_counts(database)
        materializing = time.perf_counter()

        def record(result: dg.ExecuteInProcessResult) -> None:
            nonlocal before
            after = table_counts(database)
            full.append(_run_report(instance, result, memory, before, after))
            before = after

        materialize_everything(
            instance,
            started_at - timedelta(days=days),
            started_at,
            on_step=lambda names: say(f"materializing {names}"),
            on_result=record,
        )
        full_seconds = time.perf_counter() - materializing

        # The sensors' cursors at the end of the history, as a running daemon's would be.
        cursors: dict[str, str | None] = {}
        for _ in _sensor_runs(instance, cursors, lambda _message: None):
            pass
        say("one hour of new items and engagement")
        items_per_second = sum(seeded.get(t, 0) for t in ("videos", "posts", "comments")) / (days * 86_400)
        generator = LiveGenerator(config, next_free_ids(database), rng_seed=seed + 1)
        now = datetime.now(UTC)
        added = append_batch(database, generator.next_batch(now, 3600.0, items_per_second))
        tick: list[dict[str, Any]] = []
        ticking = time.perf_counter()
        before = table_counts(database)
        for result in _hourly_tick(instance, now, cursors, say):
            after = table_counts(database)
            tick.append(_run_report(instance, result, memory, before, after))
            before = after
        tick_seconds = time.perf_counter() - ticking
        peak = memory.peak_mb()
    database.engine.dispose()
    return {
        "users": users,
        "days": days,
        "database": "postgresql" if url.startswith("postgresql") else "sqlite",
        "seeded": seeded,
        "seed_seconds": round(seed_seconds, 1),
        "full": {
            "seconds": round(full_seconds, 1),
            "assets": _by_asset(full),
            "runs": full,
            "rows_written": _rows(full),
        },
        "hourly_tick": {
            "added": added,
            "seconds": round(tick_seconds, 1),
            "assets": _by_asset(tick),
            "runs": tick,
            "rows_written": _rows(tick),
        },
        "peak_rss_mb": peak,
    }


def _sensor_runs(instance: Any, cursors: dict[str, str | None], say: Callable[[str], None]) -> Iterator[Any]:
    """Each sensor ticked until its cursor stops moving and it asks for nothing (a tick scans a
    bounded number of items), its requests run; `cursors` is kept up to date."""
    import dagster as dg

    from socialflow_pipelines.definitions import defs

    for name in SENSORS:
        sensor = defs.resolve_sensor_def(name)
        while True:
            with dg.build_sensor_context(
                instance=instance, cursor=cursors.get(name), definitions=defs, resources=defs.resources
            ) as context:
                data = sensor.evaluate_tick(context)
            moved = data.cursor != cursors.get(name)
            cursors[name] = data.cursor
            for request in data.run_requests or []:
                say(f"{name}: {request.tags.get('socialflow/items', '?')} items")
                yield _launch(instance, sensor.job_name, request)
            if not data.run_requests and not moved:
                break


def _hourly_tick(
    instance: Any, now: datetime, cursors: dict[str, str | None], say: Callable[[str], None]
) -> Iterator[Any]:
    """What the daemon runs in the hour before `now`: the sensors from their cursors (moderation,
    then the analysis and viral predictions that wait for it), then each hourly schedule's tick at
    its last time before `now`; the run results, in order."""
    import dagster as dg

    from socialflow_pipelines.definitions import defs

    yield from _sensor_runs(instance, cursors, say)
    for name in HOURLY_SCHEDULES:
        schedule = defs.resolve_schedule_def(name)
        when = _last_tick_before(schedule.cron_schedule, now)
        with dg.build_schedule_context(
            instance=instance, scheduled_execution_time=when, repository_def=defs.get_repository_def()
        ) as context:
            data = schedule.evaluate_tick(context)
        for request in data.run_requests or []:
            say(f"{name} at {when:%H:%M}")
            yield _launch(instance, schedule.job_name, request)


def _last_tick_before(cron: str | list[str], now: datetime) -> datetime:
    from dagster._utils.schedules import schedule_execution_time_iterator

    ticks = schedule_execution_time_iterator((now - timedelta(hours=1)).timestamp(), cron, "UTC")
    last = next(ticks)
    for tick in ticks:
        if tick > now:
            break
        last = tick
    return last.astimezone(UTC)


def _launch(instance: Any, job_name: str, request: Any) -> Any:
    from socialflow_pipelines.cli.materialize import QUIET_RUN_CONFIG
    from socialflow_pipelines.definitions import defs

    result = defs.resolve_job_def(job_name).execute_in_process(
        instance=instance,
        run_config={**QUIET_RUN_CONFIG, **(request.run_config or {})},
        partition_key=request.partition_key,
        tags=request.tags,
        raise_on_error=False,
    )
    if not result.success:
        raise RuntimeError(f"a {job_name} run of the bench failed; its events are in the run")
    return result


def _run_report(
    instance: Any, result: Any, memory: MemorySampler, before: dict[str, int], after: dict[str, int]
) -> dict[str, Any]:
    """One run: its job, each step's wall seconds and peak memory, the rows each table gained, and
    those rows per second of the run's steps."""
    import dagster as dg

    starts: dict[str, float] = {}
    steps: dict[str, dict[str, float]] = {}
    for entry in instance.all_logs(result.run_id):
        event = entry.dagster_event
        if event is None or event.step_key is None:
            continue
        if event.event_type == dg.DagsterEventType.STEP_START:
            starts[event.step_key] = entry.timestamp
        elif event.event_type == dg.DagsterEventType.STEP_SUCCESS:
            steps[event.step_key] = {
                "seconds": round(entry.timestamp - starts.get(event.step_key, entry.timestamp), 2),
                "peak_rss_mb": memory.peak_mb(starts.get(event.step_key, 0.0), entry.timestamp),
            }
    seconds = round(sum(step["seconds"] for step in steps.values()), 2)
    rows = {
        table: after[table] - before.get(table, 0) for table in after if after[table] != before.get(table, 0)
    }
    gained = sum(delta for delta in rows.values() if delta > 0)
    return {
        "job": result.job_def.name,
        "steps": steps,
        "seconds": seconds,
        "rows": rows,
        "rows_per_s": round(gained / seconds, 1) if seconds > 0 else None,
    }


def _by_asset(runs: list[dict]) -> dict[str, dict[str, float]]:
    """Per step (an asset, or a multi-asset), over the runs: seconds summed, peak memory."""
    found: dict[str, dict[str, float]] = {}
    for run in runs:
        for step, figures in run["steps"].items():
            mine = found.setdefault(step, {"seconds": 0.0, "peak_rss_mb": 0.0, "runs": 0})
            mine["seconds"] = round(mine["seconds"] + figures["seconds"], 2)
            mine["peak_rss_mb"] = max(mine["peak_rss_mb"], figures["peak_rss_mb"])
            mine["runs"] += 1
    return found


def _rows(runs: list[dict]) -> dict[str, int]:
    """Rows gained per table over the runs."""
    totals: dict[str, int] = {}
    for run in runs:
        for table, delta in run["rows"].items():
            totals[table] = totals.get(table, 0) + delta
    return totals
