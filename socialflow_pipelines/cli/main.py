"""The `socialflow` command: migrate, seed, demo, serve, train, eval, bench, token."""

from __future__ import annotations

import json
import os
import secrets
import sys
import time
import warnings
from datetime import UTC, datetime, timedelta
from importlib import import_module
from pathlib import Path
from typing import Annotated, Any

import typer
from tqdm import tqdm

from socialflow_pipelines.config import DEFAULT_HOME, get_settings

app = typer.Typer(no_args_is_help=True, add_completion=False, help=__doc__)


@app.callback()
def _quiet() -> None:
    """Keep the console to progress bars and results: Dagster's beta notices and the model
    libraries' loading bars say nothing a user acts on."""
    warnings.filterwarnings("ignore", module=r"dagster(\.|$)")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")


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
    from socialflow_pipelines.platform.db.engine import Database

    return Database(get_settings().database_url)


@app.command()
def migrate() -> None:
    """Create or upgrade the app and ml tables in DATABASE_URL (Alembic)."""
    from socialflow_pipelines.platform.db.migrate import upgrade

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
    from socialflow_demo import WorldConfig, generate_world
    from socialflow_demo.load import AlreadySeededError, write_world
    from socialflow_pipelines.platform.db.migrate import upgrade

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


@app.command()
def serve(
    host: Annotated[str, typer.Option()] = "127.0.0.1",
    port: Annotated[int, typer.Option()] = 8000,
    workers: Annotated[int, typer.Option(min=1)] = 1,
    preload: Annotated[bool, typer.Option(help="Load and warm the models before answering.")] = True,
) -> None:
    """Serve the REST API (uvicorn)."""
    import uvicorn

    if get_settings().jwt_secret is None:
        raise _fail("SOCIALFLOW_JWT_SECRET is not set: the API cannot verify tokens")
    os.environ["SOCIALFLOW_PRELOAD_MODELS"] = "1" if preload else "0"
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
    typer.echo(issue_token(user_id, is_admin=admin, ttl=timedelta(hours=hours), settings=get_settings()))


@app.command()
def materialize(
    days: Annotated[int, typer.Option(min=1, help="Partitioned assets: this many days up to now.")] = 14,
) -> None:
    """Materialize every asset on the Dagster instance (partitioned ones over the last `days`)."""
    from socialflow_pipelines.platform.db.migrate import upgrade

    upgrade(get_settings().database_url)
    now = datetime.now(UTC)
    _materialize_with_progress(now - timedelta(days=days), now)


def _materialize_with_progress(start: datetime, end: datetime) -> None:
    """Every asset with one progress bar, then a line per step (details are in the Dagster UI)."""
    from socialflow_pipelines.cli.materialize import MATERIALIZE_PLAN, materialize_everything
    from socialflow_pipelines.platform.instance import get_instance

    with tqdm(total=len(MATERIALIZE_PLAN) + 1, desc="materializing", unit="step") as bar:
        begun: list[str] = []

        def on_step(names: str) -> None:
            if begun:
                bar.update(1)
            begun.append(names)
            bar.set_postfix_str(names[:60])

        try:
            outcomes = materialize_everything(get_instance(), start, end, on_step=on_step)
        except RuntimeError as exc:
            raise _fail(str(exc)) from exc
        bar.update(bar.total - bar.n)
        bar.set_postfix_str("done")
    for outcome in outcomes:
        checks = f"{outcome.checks_passed} checks passed" if outcome.checks_passed else "no checks"
        if outcome.checks_failed:
            checks += f", FAILED: {', '.join(outcome.checks_failed)}"
        typer.echo(f"  {outcome.seconds:6.1f} s  {outcome.names}  ({checks})")


@app.command()
def demo(
    users: Annotated[int, typer.Option(min=50, help="Users in the demo world (other counts scale).")] = 1000,
    days: Annotated[int, typer.Option(min=1)] = 14,
    no_serve: Annotated[bool, typer.Option("--no-serve", help="Stop after materializing.")] = False,
    api_port: Annotated[int, typer.Option(help="Port of the API.")] = 8000,
    ui_port: Annotated[int, typer.Option(help="Port of the Dagster UI.")] = 3000,
) -> None:
    """Seed demo data, materialize every asset, then serve the Dagster UI and the API."""
    from socialflow_demo import WorldConfig, generate_world
    from socialflow_demo.load import write_world
    from socialflow_pipelines.platform.db.migrate import upgrade

    started = time.monotonic()
    now = datetime.now(UTC)
    # Partitions start where the demo's history does; a secret the printed tokens are signed with.
    os.environ.setdefault("SOCIALFLOW_PARTITIONS_START", (now - timedelta(days=days)).date().isoformat())
    os.environ.setdefault("SOCIALFLOW_JWT_SECRET", secrets.token_urlsafe(32))
    get_settings.cache_clear()
    settings = get_settings()
    typer.echo(
        f"store: {_redacted(settings.database_url)}; redis: {'on' if settings.redis_enabled else 'off'}"
    )
    upgrade(settings.database_url)
    with tqdm(total=6, desc="generating", unit="stage") as bar:
        world = generate_world(
            WorldConfig(users=users, days=days), now=now, progress=lambda *_: bar.update(1)
        )
    with tqdm(total=len(world), desc="writing", unit="table") as bar:
        write_world(_database(), world, reset=True, progress=lambda *_: bar.update(1))
    if no_serve:
        _materialize_with_progress(now - timedelta(days=days), now)
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
        _materialize_with_progress(now - timedelta(days=days), now)
        servers.start("daemon")
        servers.wait_until_ready()
        typer.echo(
            demo_banner(
                demo_accounts(world),
                settings=get_settings(),
                api_base=f"http://127.0.0.1:{api_port}",
                ui_base=f"http://127.0.0.1:{ui_port}",
                seconds_to_ready=time.monotonic() - started,
                log_dir=servers.log_dir,
            )
        )
        servers.wait()
    except ServerFailed as exc:
        raise _fail(str(exc)) from exc
    finally:
        servers.stop()


def _redacted(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


@app.command()
def post(
    text: Annotated[str, typer.Option(help="The post's text.")],
    user_id: Annotated[int | None, typer.Option(help="Author (default: the first non-admin user).")] = None,
) -> None:
    """Insert one post into the app tables, as the backend would: the new-content sensor moderates
    it within a minute (watch the run in the Dagster UI), then content analysis follows."""
    from socialflow_demo.load import insert_post

    if not text.strip():
        raise _fail("--text is empty")
    try:
        post_id, author = insert_post(_database(), text, user_id=user_id, now=datetime.now(UTC))
    except LookupError as exc:
        raise _fail(str(exc)) from exc
    typer.echo(json.dumps({"post_id": post_id, "user_id": author, "text": text}))


@app.command(name="train")
def train(
    label: Annotated[str, typer.Argument(help="spam, toxicity or hate_speech")],
    data: Annotated[Path, typer.Option(help="CSV with text and label columns.")],
    publish: Annotated[bool, typer.Option(help="Publish if not worse than the current version.")] = True,
) -> None:
    """Train a moderation text model from a labeled CSV and store it as a new version."""
    from socialflow_pipelines.evaluation.datafiles import DataFileError
    from socialflow_pipelines.evaluation.moderation import train_text_model
    from socialflow_pipelines.platform.model_store import Gate, ModelStore

    if label not in ("spam", "toxicity", "hate_speech"):
        raise _fail(f"unknown label {label!r}; expected spam, toxicity or hate_speech")
    try:
        model, metrics = train_text_model(label, data)
    except DataFileError as exc:
        raise _fail(str(exc)) from exc
    store = ModelStore(get_settings().model_dir)
    name = f"{label}_model"
    if publish:
        publication = store.publish_candidate(
            name, model, metrics=metrics, params=model.describe(), gate=Gate("pr_auc", tolerance=0.01)
        )
        version, outcome = publication.candidate, publication.status
    else:
        version, outcome = store.save(name, model, metrics=metrics, params=model.describe()), "candidate"
    typer.echo(
        json.dumps({"model": name, "version": version.version, "status": outcome, **metrics}, default=str)
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
