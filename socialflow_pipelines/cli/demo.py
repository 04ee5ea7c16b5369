"""The commands backed by the synthetic world (socialflow_demo, the `demo` extra): `seed`, `demo`
and `post`. Each imports socialflow_demo only when it runs, so the production install, which has
none, still offers every other command."""

from __future__ import annotations

import json
import os
import secrets
import time
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Annotated

import typer
from tqdm import tqdm

from socialflow_pipelines.cli.console import fail, materialize_with_progress, needs_demo
from socialflow_pipelines.config import DEFAULT_HOME, Settings
from socialflow_pipelines.platform.db.engine import Database

if TYPE_CHECKING:
    from socialflow_demo import WorldConfig


def seed(
    users: Annotated[int, typer.Option(min=50, help="Number of users; other counts scale with it.")] = 2000,
    days: Annotated[int, typer.Option(min=1, help="Days of history up to now.")] = 14,
    seed: Annotated[int, typer.Option(help="Random seed (the world is deterministic given it).")] = 0,
    reset: Annotated[bool, typer.Option(help="Replace existing demo data.")] = False,
    live: Annotated[bool, typer.Option(help="After seeding (or on a seeded database), keep adding.")] = False,
    rate: Annotated[float, typer.Option(min=0.01, help="Live: new items per second.")] = 2.0,
    interval: Annotated[float, typer.Option(min=0.5, help="Live: seconds between batches.")] = 5.0,
    duration: Annotated[
        float, typer.Option(min=0, help="Live: stop after this many seconds (0 = never).")
    ] = 0,
) -> None:
    """Write a synthetic Social Flow into the app tables (DATABASE_URL).

    Needs socialflow_demo (the `demo` extra), which makes the world.
    """
    with needs_demo("seed"):
        from socialflow_demo import WorldConfig, generate_world
        from socialflow_demo.load import AlreadySeededError, write_world
    from socialflow_pipelines.platform.db.migrate import upgrade

    settings = Settings()
    upgrade(settings.database_url, id_type=settings.id_type)
    database = Database(settings.database_url)
    config = WorldConfig(users=users, days=days, seed=seed, id_type=database.id_type)
    now = datetime.now(UTC)
    with tqdm(total=6, desc="generating", unit="stage") as bar:
        world = generate_world(config, now=now, progress=lambda stage, step, total: bar.update(1))
    try:
        with tqdm(total=len(world), desc="writing", unit="table") as bar:
            counts = write_world(database, world, reset=reset, progress=lambda name, n: bar.update(1))
        typer.echo(json.dumps({"seeded": counts}))
    except AlreadySeededError as exc:
        if not live:
            raise fail(str(exc)) from exc
    if live:
        _run_live(database, config, rate=rate, interval=interval, duration=duration)


def _run_live(
    database: Database, config: WorldConfig, *, rate: float, interval: float, duration: float
) -> None:
    """Append a batch every `interval` s until `duration` (0: Ctrl-C); an already seeded database is
    continued where its ids end."""
    from socialflow_demo import LiveGenerator
    from socialflow_demo.load import append_batch, next_free_ids

    generator = LiveGenerator(config, next_free_ids(database), rng_seed=int(time.time()))
    typer.echo(f"live: about {rate} new items a second, a batch every {interval} s (Ctrl-C to stop)")
    started = last = time.monotonic()
    totals: dict[str, int] = {}
    try:
        while duration == 0 or time.monotonic() - started < duration:
            time.sleep(max(0.0, interval - (time.monotonic() - last)))
            now_mono = time.monotonic()
            batch = generator.next_batch(datetime.now(UTC), now_mono - last, rate)
            last = now_mono
            for name, n in append_batch(database, batch).items():
                totals[name] = totals.get(name, 0) + n
            typer.echo(json.dumps({"live_totals": totals}))
    except KeyboardInterrupt:
        pass


def demo(
    users: Annotated[int, typer.Option(min=50, help="Users in the demo world (other counts scale).")] = 1000,
    days: Annotated[int, typer.Option(min=1)] = 14,
    no_serve: Annotated[bool, typer.Option("--no-serve", help="Stop after materializing.")] = False,
    api_port: Annotated[int, typer.Option(help="Port of the API.")] = 8000,
    ui_port: Annotated[int, typer.Option(help="Port of the Dagster UI.")] = 3000,
) -> None:
    """Seed demo data, materialize every asset, then serve the Dagster UI and the API.

    Needs socialflow_demo (the `demo` extra), which makes the world.
    """
    with needs_demo("demo"):
        from socialflow_demo import WorldConfig, generate_world
        from socialflow_demo.load import write_world
    from socialflow_pipelines.platform.db.migrate import upgrade

    started = time.monotonic()
    now = datetime.now(UTC)
    # Partitions start where the demo's history does; a secret the printed tokens are signed with.
    # Set in the environment: the Definitions, the API and the servers started below all read it.
    os.environ.setdefault("SOCIALFLOW_PARTITIONS_START", (now - timedelta(days=days)).date().isoformat())
    os.environ.setdefault("SOCIALFLOW_JWT_SECRET", secrets.token_urlsafe(32))
    settings = Settings()
    typer.echo(
        f"store: {_redacted(settings.database_url)}; redis: {'on' if settings.redis_enabled else 'off'}"
    )
    upgrade(settings.database_url, id_type=settings.id_type)
    database = Database(settings.database_url)
    with tqdm(total=6, desc="generating", unit="stage") as bar:
        world = generate_world(
            WorldConfig(users=users, days=days, id_type=database.id_type),
            now=now,
            progress=lambda *_: bar.update(1),
        )
    with tqdm(total=len(world), desc="writing", unit="table") as bar:
        write_world(database, world, reset=True, progress=lambda *_: bar.update(1))
    if no_serve:
        materialize_with_progress(now - timedelta(days=days), now)
        typer.echo(f"materialized every asset in {time.monotonic() - started:.0f} s; --no-serve given")
        return
    from socialflow_pipelines.cli.banner import demo_accounts, demo_banner
    from socialflow_pipelines.cli.servers import DemoServers, ServerFailed
    from socialflow_pipelines.platform.instance import get_instance

    # The instance's SQLite storage is created (and stamped) here, before the webserver and this
    # process could both try to at once.
    get_instance().dispose()
    servers = DemoServers(api_port=api_port, ui_port=ui_port, log_dir=DEFAULT_HOME / "logs")
    try:
        # The API and the UI load while the assets materialize; the daemon (schedules and sensors)
        # starts after, so its sensors do not race the first materialization for the same items.
        servers.start("api", "webserver")
        materialize_with_progress(now - timedelta(days=days), now)
        servers.start("daemon")
        servers.wait_until_ready()
        typer.echo(
            demo_banner(
                demo_accounts(world),
                settings=settings,
                api_base=f"http://127.0.0.1:{api_port}",
                ui_base=f"http://127.0.0.1:{ui_port}",
                seconds_to_ready=time.monotonic() - started,
                log_dir=servers.log_dir,
            )
        )
        servers.wait()
    except ServerFailed as exc:
        raise fail(str(exc)) from exc
    finally:
        servers.stop()


def _redacted(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def post(
    text: Annotated[str, typer.Option(help="The post's text.")],
    user_id: Annotated[int | None, typer.Option(help="Author (default: the first non-admin user).")] = None,
) -> None:
    """Insert one post into the app tables, as the backend would: the new-content sensor moderates
    it within a minute (watch the run in the Dagster UI), then content analysis follows.

    Needs socialflow_demo (the `demo` extra), which writes the post.
    """
    with needs_demo("post"):
        from socialflow_demo.load import insert_post

    if not text.strip():
        raise fail("--text is empty")
    try:
        post_id, author = insert_post(
            Database(Settings().database_url), text, user_id=user_id, now=datetime.now(UTC)
        )
    except LookupError as exc:
        raise fail(str(exc)) from exc
    typer.echo(json.dumps({"post_id": post_id, "user_id": author, "text": text}))
