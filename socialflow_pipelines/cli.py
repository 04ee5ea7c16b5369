"""The `socialflow` command: migrate, seed, demo, serve, train, eval, bench, token."""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from importlib import import_module
from pathlib import Path
from typing import Annotated, Any

import typer
from tqdm import tqdm

from socialflow_pipelines.config import get_settings

app = typer.Typer(no_args_is_help=True, add_completion=False, help=__doc__)

EVAL_MODULES = ("moderation", "content", "recommendations")
BENCH_MODULES = {
    "trending": "trending",
    "moderation": "moderation",
    "analysis": "analysis",
    "recommendations": "recommendations",
}


def _fail(message: str) -> typer.Exit:
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
    return typer.Exit(code=2)


def _database():
    from socialflow_pipelines.db.engine import Database

    return Database(get_settings().database_url)


@app.command()
def migrate() -> None:
    """Create or upgrade the app and ml tables in DATABASE_URL (Alembic)."""
    from socialflow_pipelines.db.migrate import upgrade

    upgrade(get_settings().database_url)
    typer.echo("database is at the latest schema")


@app.command()
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
    """Write a synthetic Social Flow into the app tables (DATABASE_URL)."""
    from socialflow_pipelines.db.migrate import upgrade
    from socialflow_pipelines.demo import WorldConfig, generate_world
    from socialflow_pipelines.demo.load import AlreadySeededError, write_world

    settings = get_settings()
    upgrade(settings.database_url)
    database = _database()
    config = WorldConfig(users=users, days=days, seed=seed)
    now = datetime.now(UTC)
    seeded_already = False
    with tqdm(total=6, desc="generating", unit="stage") as bar:
        world = generate_world(config, now=now, progress=lambda stage, step, total: bar.update(1))
    try:
        with tqdm(total=len(world), desc="writing", unit="table") as bar:
            counts = write_world(database, world, reset=reset, progress=lambda name, n: bar.update(1))
        typer.echo(json.dumps({"seeded": counts}))
    except AlreadySeededError as exc:
        if not live:
            raise _fail(str(exc)) from exc
        seeded_already = True
    if live:
        _run_live(database, config, rate=rate, interval=interval, duration=duration, quiet=seeded_already)


def _run_live(database, config, *, rate: float, interval: float, duration: float, quiet: bool) -> None:
    from socialflow_pipelines.demo import LiveGenerator
    from socialflow_pipelines.demo.load import append_batch, next_free_ids

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


@app.command()
def serve(
    host: Annotated[str, typer.Option()] = "127.0.0.1",
    port: Annotated[int, typer.Option()] = 8000,
    workers: Annotated[int, typer.Option(min=1)] = 1,
) -> None:
    """Serve the REST API (uvicorn)."""
    import uvicorn

    if get_settings().jwt_secret is None:
        raise _fail("SOCIALFLOW_JWT_SECRET is not set: the API cannot verify tokens")
    uvicorn.run(
        "socialflow_pipelines.serving.app:create_app", factory=True, host=host, port=port, workers=workers
    )


@app.command()
def token(
    user_id: Annotated[int, typer.Option(help="The `sub` claim.")],
    admin: Annotated[bool, typer.Option(help="Add the admin claim.")] = False,
    hours: Annotated[float, typer.Option(min=0.01)] = 12,
) -> None:
    """Print a JWT signed with SOCIALFLOW_JWT_SECRET (as the backend would issue it)."""
    from socialflow_pipelines.serving.auth import issue_token

    if get_settings().jwt_secret is None:
        raise _fail("SOCIALFLOW_JWT_SECRET is not set")
    typer.echo(issue_token(user_id, is_admin=admin, ttl=timedelta(hours=hours)))


@app.command()
def materialize(
    days: Annotated[int, typer.Option(min=1, help="Partitioned assets: this many days up to now.")] = 14,
) -> None:
    """Materialize every asset on the Dagster instance (partitioned ones over the last `days`)."""
    from socialflow_pipelines.automation import materialize_everything
    from socialflow_pipelines.db.migrate import upgrade
    from socialflow_pipelines.instance import get_instance

    upgrade(get_settings().database_url)
    now = datetime.now(UTC)
    materialize_everything(get_instance(), now - timedelta(days=days), now, echo=typer.echo)


@app.command()
def demo(
    users: Annotated[int, typer.Option(min=50)] = 2000,
    days: Annotated[int, typer.Option(min=1)] = 14,
    no_serve: Annotated[bool, typer.Option("--no-serve", help="Stop after materializing.")] = False,
    api_port: Annotated[int, typer.Option()] = 8000,
    ui_port: Annotated[int, typer.Option()] = 3000,
) -> None:
    """Seed demo data, materialize every asset, then serve the Dagster UI and the API."""
    from socialflow_pipelines.automation import materialize_everything
    from socialflow_pipelines.db.migrate import upgrade
    from socialflow_pipelines.demo import WorldConfig, generate_world
    from socialflow_pipelines.demo.load import write_world
    from socialflow_pipelines.instance import get_instance

    settings = get_settings()
    typer.echo(
        f"store: {_redacted(settings.database_url)}; redis: {'on' if settings.redis_enabled else 'off'}"
    )
    upgrade(settings.database_url)
    now = datetime.now(UTC)
    with tqdm(total=6, desc="generating", unit="stage") as bar:
        world = generate_world(
            WorldConfig(users=users, days=days), now=now, progress=lambda *_: bar.update(1)
        )
    with tqdm(total=len(world), desc="writing", unit="table") as bar:
        write_world(_database(), world, reset=True, progress=lambda *_: bar.update(1))
    materialize_everything(get_instance(), now - timedelta(days=days), now, echo=typer.echo)
    if no_serve:
        typer.echo("materialized every asset; --no-serve given, exiting")
        return
    _serve_demo(world, api_port=api_port, ui_port=ui_port)


def _interrupt(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


def _redacted(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def _serve_demo(world: dict, *, api_port: int, ui_port: int) -> None:
    env = dict(os.environ)
    if not env.get("SOCIALFLOW_JWT_SECRET"):
        env["SOCIALFLOW_JWT_SECRET"] = secrets.token_urlsafe(32)
        os.environ["SOCIALFLOW_JWT_SECRET"] = env["SOCIALFLOW_JWT_SECRET"]
        get_settings.cache_clear()
    from socialflow_pipelines.serving.auth import issue_token

    users = world["users"]
    admins = users.filter(users["is_admin"])["id"]
    user_id = int(users["id"][0])
    admin_id = int(admins[0]) if admins.len() else user_id
    user_token = issue_token(user_id)
    admin_token = issue_token(admin_id, is_admin=True)
    processes = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "socialflow_pipelines.serving.app:create_app",
                "--factory",
                "--host",
                "127.0.0.1",
                "--port",
                str(api_port),
            ],
            env=env,
            start_new_session=True,
        ),
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "dagster",
                "dev",
                "-m",
                "socialflow_pipelines.definitions",
                "-h",
                "127.0.0.1",
                "-p",
                str(ui_port),
            ],
            env=env,
            start_new_session=True,
        ),
    ]
    base = f"http://127.0.0.1:{api_port}/api/v1/ml"
    typer.echo(
        "\n".join(
            [
                "",
                f"Dagster UI: http://127.0.0.1:{ui_port}    API docs: http://127.0.0.1:{api_port}/docs",
                f"user token (user {user_id}):  {user_token}",
                f"admin token (user {admin_id}): {admin_token}",
                "try:",
                f"  curl -H 'Authorization: Bearer {user_token}' \\\n"
                f"    '{base}/trending?content_type=video&time_window=24h&limit=5'",
                f"  curl -H 'Authorization: Bearer {user_token}' \\\n"
                f"    '{base}/recommendations?content_type=video&limit=5'",
                "Ctrl-C stops both servers.",
            ]
        )
    )
    # SIGTERM (a supervisor, `kill`, CI) must stop the servers too, not orphan them.
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        while all(p.poll() is None for p in processes):
            time.sleep(1)
    except KeyboardInterrupt:
        pass
    finally:
        for process in processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)


@app.command(name="train")
def train(
    label: Annotated[str, typer.Argument(help="spam, toxicity or hate_speech")],
    data: Annotated[Path, typer.Option(help="CSV with text and label columns.")],
    publish: Annotated[bool, typer.Option(help="Publish if not worse than the current version.")] = True,
) -> None:
    """Train a moderation text model from a labeled CSV and store it as a new version."""
    from socialflow_pipelines.evaluation.datafiles import DataFileError
    from socialflow_pipelines.evaluation.moderation import train_text_model
    from socialflow_pipelines.model_registry import ModelRegistry, publish_if_not_worse

    if label not in ("spam", "toxicity", "hate_speech"):
        raise _fail(f"unknown label {label!r}; expected spam, toxicity or hate_speech")
    try:
        model, metrics = train_text_model(label, data)
    except DataFileError as exc:
        raise _fail(str(exc)) from exc
    registry = ModelRegistry(get_settings().model_dir)
    version = registry.save(f"{label}_model", model, metrics=metrics, params=model.describe())
    outcome = publish_if_not_worse(registry, version, metric="pr_auc") if publish else "candidate"
    typer.echo(
        json.dumps(
            {"model": f"{label}_model", "version": version.version, "status": outcome, **metrics}, default=str
        )
    )


@app.command(name="eval")
def evaluate(
    task: Annotated[
        str,
        typer.Argument(help="spam, toxicity, hate_speech, sentiment, language, entities or recommendations"),
    ],
    test: Annotated[Path, typer.Option(help="Labeled test file.")],
    train: Annotated[Path | None, typer.Option(help="Train on this file first.")] = None,
    items: Annotated[Path | None, typer.Option(help="Recommendations: item features file.")] = None,
    k: Annotated[int, typer.Option(min=1, help="Recommendations: cut-off.")] = 10,
    min_rating: Annotated[float | None, typer.Option(help="Recommendations: positives threshold.")] = None,
) -> None:
    """Score a model on a labeled file; the last line printed is one JSON object of metrics."""
    from socialflow_pipelines.evaluation.datafiles import DataFileError

    tasks = _eval_tasks()
    if task not in tasks:
        raise _fail(f"unknown task {task!r}; known: {', '.join(sorted(tasks))}")
    options: dict[str, Any] = {}
    if task == "recommendations":
        options = {"items": items, "k": k, "min_rating": min_rating}
    bars: list[tqdm] = []

    def progress(done: int, total: int) -> None:
        if not bars:
            bars.append(tqdm(desc=task, unit="item", total=total, file=sys.stderr))
        bars[0].total = total
        bars[0].n = done
        bars[0].refresh()

    try:
        result = tasks[task](
            test=test, train=train, model_dir=get_settings().model_dir, progress=progress, **options
        )
    except (DataFileError, LookupError, ValueError) as exc:
        for bar in bars:
            bar.close()
        raise _fail(str(exc)) from exc
    for bar in bars:
        bar.close()
    typer.echo(json.dumps(result, default=str))


def _eval_tasks() -> dict[str, Any]:
    tasks: dict[str, Any] = {}
    for module in EVAL_MODULES:
        try:
            tasks |= import_module(f"socialflow_pipelines.evaluation.{module}").EVAL_TASKS
        except ModuleNotFoundError as exc:
            if exc.name and exc.name.startswith("socialflow_pipelines"):
                continue
            raise
    return tasks


@app.command()
def bench(
    name: Annotated[str, typer.Argument(help="trending, moderation, analysis or recommendations")],
) -> None:
    """Measure throughput; prints one JSON object."""
    if name not in BENCH_MODULES:
        raise _fail(f"unknown benchmark {name!r}; known: {', '.join(BENCH_MODULES)}")
    module = import_module(f"socialflow_pipelines.benchmarks.{BENCH_MODULES[name]}")
    result = module.run_benchmark(progress=lambda message: typer.echo(message, err=True))
    typer.echo(json.dumps(result, default=str))


if __name__ == "__main__":
    app()
