"""The `socialflow` command: migrate, seed, demo, post, serve, token, materialize, train, eval, bench."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import warnings
from datetime import UTC, datetime, timedelta
from importlib import import_module
from pathlib import Path
from typing import Annotated, Any

import typer

from socialflow_pipelines.cli import demo
from socialflow_pipelines.cli.console import ProgressBar, fail, materialize_with_progress, needs_demo
from socialflow_pipelines.config import Settings

app = typer.Typer(no_args_is_help=True, add_completion=False, help=__doc__)


@app.callback()
def _quiet() -> None:
    """Keep the console to progress bars and results: Dagster's beta notices and the model
    libraries' loading bars say nothing a user acts on."""
    warnings.filterwarnings("ignore", module=r"dagster(\.|$)")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")


EVAL_MODULES = ("moderation", "content", "entities", "recommendations", "virality")
BENCH_MODULES = {
    "trending": "trending",
    "moderation": "moderation",
    "analysis": "analysis",
    "recommendations": "recommendations",
    "api": "api",
    "virality": "virality",
    "pipeline": "pipeline",
}
# Options that belong to one benchmark each.
BENCH_OPTIONS = {
    "seconds": "api",
    "concurrency": "api",
    "rate": "api",
    "users": "pipeline",
    "days": "pipeline",
}


@app.command()
def migrate() -> None:
    """Create or upgrade the app and ml tables in DATABASE_URL (Alembic)."""
    from socialflow_pipelines.platform.db.migrate import upgrade

    settings = Settings()
    upgrade(settings.database_url, id_type=settings.id_type)
    typer.echo("database is at the latest schema")


# The commands on the synthetic world (socialflow_demo, an optional install) live in cli/demo.py.
app.command()(demo.seed)
app.command()(demo.demo)
app.command()(demo.post)


@app.command()
def serve(
    host: Annotated[str, typer.Option()] = "127.0.0.1",
    port: Annotated[int, typer.Option()] = 8000,
    workers: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="Worker processes (default: SOCIALFLOW_API_WORKERS, else one per core, at most 4).",
            show_default=False,
        ),
    ] = None,
    preload: Annotated[bool, typer.Option(help="Load and warm the models before answering.")] = True,
    access_log: Annotated[
        bool, typer.Option(help="Log every request (CPU on the hot path; /metrics counts them anyway).")
    ] = False,
) -> None:
    """Serve the REST API: uvicorn workers, each with uvloop and httptools when installed. Without
    Redis each worker keeps its own rate-limit window, so a user gets the limit once per worker."""
    import uvicorn

    from socialflow_pipelines.cli.servers import api_workers
    from socialflow_pipelines.serving.metrics import MULTIPROCESS_ENV

    if Settings().jwt_secret is None:
        raise fail("SOCIALFLOW_JWT_SECRET is not set: the API cannot verify tokens")
    try:
        workers = workers or api_workers()
    except ValueError as exc:
        raise fail(str(exc)) from exc
    os.environ["SOCIALFLOW_PRELOAD_MODELS"] = "1" if preload else "0"
    metrics_dir = None
    if workers > 1 and not os.environ.get(MULTIPROCESS_ENV):  # /metrics sums over the workers
        os.environ[MULTIPROCESS_ENV] = metrics_dir = tempfile.mkdtemp(prefix="socialflow-metrics-")
    uvicorn.run(
        "socialflow_pipelines.serving.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        loop="auto",  # uvloop when installed
        http="auto",  # httptools when installed
        access_log=access_log,
    )
    if metrics_dir is not None:
        shutil.rmtree(metrics_dir, ignore_errors=True)


@app.command()
def token(
    user_id: Annotated[str, typer.Option(help="The `sub` claim: the user's id (a UUID, or digits).")],
    admin: Annotated[bool, typer.Option(help="Add the admin claim.")] = False,
    hours: Annotated[float, typer.Option(min=0.01)] = 12,
) -> None:
    """Print a JWT signed with SOCIALFLOW_JWT_SECRET (as the backend would issue it)."""
    from socialflow_pipelines.platform.ids import InvalidId, canonical_id
    from socialflow_pipelines.serving.auth import issue_token

    settings = Settings()
    if settings.jwt_secret is None:
        raise fail("SOCIALFLOW_JWT_SECRET is not set")
    try:
        sub = canonical_id(user_id, settings.id_type)
    except InvalidId as exc:
        kind = "a UUID" if settings.id_type == "uuid" else "a positive integer"
        raise fail(
            f"--user-id must be {kind} (SOCIALFLOW_ID_TYPE={settings.id_type}), got {user_id!r}"
        ) from exc
    typer.echo(issue_token(sub, is_admin=admin, ttl=timedelta(hours=hours), settings=settings))


@app.command()
def materialize(
    days: Annotated[int, typer.Option(min=1, help="Partitioned assets: this many days up to now.")] = 14,
) -> None:
    """Materialize every asset on the Dagster instance (partitioned ones over the last `days`)."""
    from socialflow_pipelines.platform.db.migrate import upgrade

    settings = Settings()
    upgrade(settings.database_url, id_type=settings.id_type)
    now = datetime.now(UTC)
    materialize_with_progress(now - timedelta(days=days), now)


@app.command(name="train")
def train(
    task: Annotated[str, typer.Argument(help="spam, toxicity, hate_speech, sentiment or entities")],
    data: Annotated[
        list[Path],
        typer.Option(help="Labelled file (repeat for several, concatenated): CSV, or CoNLL for entities."),
    ],
    publish: Annotated[bool, typer.Option(help="Publish if not worse than the current version.")] = True,
) -> None:
    """Train a model from labelled files, store it as a new version and publish it through the gate."""
    from socialflow_pipelines.domains.models.training import TRAINERS, train_and_publish
    from socialflow_pipelines.evaluation.datafiles import DataFileError
    from socialflow_pipelines.platform.db.engine import Database
    from socialflow_pipelines.platform.db.migrate import upgrade
    from socialflow_pipelines.platform.model_store import ModelStore

    if task not in TRAINERS:
        raise fail(f"unknown task {task!r}; expected {', '.join(TRAINERS)}")
    settings = Settings()
    upgrade(settings.database_url, id_type=settings.id_type)
    with ProgressBar(task, unit="item") as bar:
        try:
            result = train_and_publish(
                task,
                data,
                ModelStore(settings.model_dir),
                publish=publish,
                mirror_to=Database(settings.database_url),
                progress=bar.update,
            )
        except (DataFileError, ValueError) as exc:
            raise fail(str(exc)) from exc
    typer.echo(json.dumps(result, default=str))


@app.command(name="eval")
def evaluate(
    task: Annotated[
        str,
        typer.Argument(
            help="spam, toxicity, hate_speech, sentiment, language, entities, recommendations or virality"
        ),
    ],
    test: Annotated[Path, typer.Option(help="Labeled test file.")],
    train: Annotated[
        list[Path] | None,
        typer.Option(help="Train on this file first (repeat to train on several, concatenated)."),
    ] = None,
    items: Annotated[Path | None, typer.Option(help="Recommendations: item features file.")] = None,
    k: Annotated[int, typer.Option(min=1, help="Recommendations: cut-off.")] = 10,
    min_rating: Annotated[float | None, typer.Option(help="Recommendations: positives threshold.")] = None,
    observe_minutes: Annotated[
        float, typer.Option(min=1, help="Virality: features from observations up to this age.")
    ] = 60,
    horizon_minutes: Annotated[float, typer.Option(min=1, help="Virality: the outcome's age.")] = 2880,
) -> None:
    """Score a model on a labeled file; the last line printed is one JSON object of metrics."""
    from socialflow_pipelines.evaluation.datafiles import DataFileError

    tasks = _eval_tasks()
    if task not in tasks:
        raise fail(f"unknown task {task!r}; known: {', '.join(sorted(tasks))}")
    options: dict[str, Any] = {}
    if task == "recommendations":
        options = {"items": items, "k": k, "min_rating": min_rating}
    if task == "virality":
        options = {"observe_minutes": observe_minutes, "horizon_minutes": horizon_minutes}
    with ProgressBar(task, unit="item") as bar:
        try:
            result = tasks[task](
                test=test,
                train=tuple(train or ()),
                model_dir=Settings().model_dir,
                progress=bar.update,
                **options,
            )
        except (DataFileError, LookupError, ValueError) as exc:
            raise fail(str(exc)) from exc
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
    name: Annotated[
        str, typer.Argument(help="trending, moderation, analysis, recommendations, virality, api or pipeline")
    ],
    seconds: Annotated[float | None, typer.Option(min=1, help="api: seconds measured per scenario.")] = None,
    concurrency: Annotated[int | None, typer.Option(min=1, help="api: keep-alive connections.")] = None,
    rate: Annotated[float | None, typer.Option(min=1, help="api: target requests/s.")] = None,
    users: Annotated[int | None, typer.Option(min=100, help="pipeline: users of the seeded world.")] = None,
    days: Annotated[int | None, typer.Option(min=1, help="pipeline: days of history.")] = None,
) -> None:
    """Measure throughput; prints one JSON object. Needs socialflow_demo, which makes the inputs."""
    if name not in BENCH_MODULES:
        raise fail(f"unknown benchmark {name!r}; known: {', '.join(BENCH_MODULES)}")
    given = {"seconds": seconds, "concurrency": concurrency, "rate": rate, "users": users, "days": days}
    options = {key: value for key, value in given.items() if value is not None}
    if foreign := [key for key in options if BENCH_OPTIONS[key] != name]:
        raise fail(", ".join(f"--{key} only applies to `bench {BENCH_OPTIONS[key]}`" for key in foreign))
    with needs_demo("bench"):
        module = import_module(f"socialflow_pipelines.benchmarks.{BENCH_MODULES[name]}")
    result = module.run_benchmark(progress=lambda message: typer.echo(message, err=True), **options)
    typer.echo(json.dumps(result, default=str))


if __name__ == "__main__":
    app()
