"""The real Dagster daemon on a freshly seeded world: with no manual step, the trending schedule
ticks and rescores, the new-content sensor moderates a post written after the daemon started, and
a human review of that post is what the API's `/moderate` answers (over HTTP, through Redis)
within 60 s of being recorded.

Evaluating a schedule in-process proves its request is valid; only the daemon proves that the
definitions load in its code server, that schedules and sensors start RUNNING by default, and that
the runs they launch (separate processes, the instance's run queue) succeed.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import dagster as dg
import httpx
import pytest
import sqlalchemy as sa

from socialflow_demo.load import insert_post
from socialflow_pipelines.config import Settings
from socialflow_pipelines.platform.db import schema
from socialflow_pipelines.platform.db.engine import Database
from socialflow_pipelines.platform.instance import PACKAGE
from socialflow_pipelines.serving.auth import issue_token
from tests.integration.test_cli import socialflow as run_cli

WAIT_S = 150  # from the daemon's start until both effects are seen
REVIEW_WITHIN_S = 60  # from a review's insert until /moderate answers it (the issue's bound)
POLL_S = 2
pytestmark = [pytest.mark.timeout(420)] if importlib.util.find_spec("pytest_timeout") else []


def socialflow(*args: str, env: dict[str, str], cwd: Path) -> None:
    done = run_cli(*args, env=env, cwd=cwd)
    assert done.returncode == 0, f"socialflow {' '.join(args)} failed:\n{done.stderr[-3000:]}"


def daemon_env(tmp_path: Path, first_day: str) -> dict[str, str]:
    """The environment a deployment gives the daemon: its own DAGSTER_HOME (prepared as
    `prepare_dagster_home` does), a SQLite store, a model directory, and the trending schedule
    every minute instead of every 15 so a tick comes within the test's wait."""
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copyfile(PACKAGE / "dagster.yaml", home / "dagster.yaml")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("REDIS", "DAGSTER_", "SOCIALFLOW_"))}
    return env | {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'socialflow.db'}",
        "DAGSTER_HOME": str(home),
        "SOCIALFLOW_MODEL_DIR": str(tmp_path / "models"),
        "SOCIALFLOW_RETRY_DELAY_S": "0",
        "SOCIALFLOW_PARTITIONS_START": first_day,
        "TRENDING_REFRESH_CRON": "* * * * *",
        "PYTHONWARNINGS": "ignore",
    }


def stop(process: subprocess.Popen) -> None:
    """SIGTERM to the daemon's whole process group (its code server and the run workers it
    launched), then SIGKILL for whatever still runs after 5 s."""
    try:
        os.killpg(process.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=5)
    with contextlib.suppress(ProcessLookupError):  # the group's members that outlived the daemon
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def latest_trending(db: Database) -> datetime | None:
    with db.engine.connect() as conn:
        return conn.execute(sa.select(sa.func.max(schema.trending_scores.c.computed_at))).scalar_one()


def is_moderated(db: Database, post_id: str) -> bool:
    results = schema.moderation_results
    query = sa.select(results.c.decision).where(
        results.c.content_type == "post", results.c.content_id == post_id
    )
    with db.engine.connect() as conn:
        return conn.execute(query).first() is not None


def log_tail(log: Path, chars: int = 6000) -> str:
    text = log.read_text(errors="replace") if log.exists() else "(no log)"
    return text[-chars:]


def runs_summary(instance: dg.DagsterInstance) -> str:
    """Each run the daemon launched, with its status: what failed, when something did not happen."""
    try:
        runs = instance.get_runs(limit=30)
    except Exception as exc:  # the summary must never hide the real failure
        return f"(runs unreadable: {exc})"
    return "\n".join(f"{run.job_name} {run.status.value} {run.tags}" for run in runs) or "(no runs)"


def has_ticked(instance: dg.DagsterInstance, name: str) -> bool:
    """Whether the daemon has finished a tick of the schedule or sensor `name`."""
    for state in instance.all_instigator_state():
        if state.instigator_name == name:
            ticks = instance.get_ticks(state.instigator_origin_id, state.selector_id, limit=5)
            return any(tick.status.value in ("SUCCESS", "SKIPPED") for tick in ticks)
    return False


def scheduled_trending_runs(instance: dg.DagsterInstance) -> list[dg.DagsterRun]:
    """The trending schedule's runs that succeeded."""
    runs = instance.get_runs(
        filters=dg.RunsFilter(job_name="trending_refresh_job", statuses=[dg.DagsterRunStatus.SUCCESS])
    )
    return [r for r in runs if r.tags.get("dagster/schedule_name") == "trending_every_15_minutes"]


def sensor_runs_for(instance: dg.DagsterInstance, post_id: str) -> list[dg.DagsterRun]:
    """The new-content sensor's moderation runs that listed `post_id` and succeeded."""
    runs = instance.get_runs(
        filters=dg.RunsFilter(job_name="moderation_job", statuses=[dg.DagsterRunStatus.SUCCESS])
    )
    return [
        r
        for r in runs
        if r.tags.get("dagster/sensor_name") == "new_content_sensor"
        and post_id in r.run_config["ops"]["moderation_results"]["config"]["posts"]
    ]


@contextlib.contextmanager
def served_api(env: dict[str, str], cwd: Path) -> Iterator[str]:
    """The API as `socialflow serve` runs it (uvicorn, one worker here), on a free port."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    command = [sys.executable, "-m", "uvicorn", "socialflow_pipelines.serving.app:create_app", "--factory"]
    api = subprocess.Popen(
        [*command, "--port", str(port), "--log-level", "warning"],
        env=env | {"SOCIALFLOW_PRELOAD_MODELS": "0"},
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                    break
            time.sleep(0.1)
        yield base
    finally:
        stop(api)


def record_review(db: Database, post_id: str, decision: str) -> None:
    """A moderator's verdict, written as the backend writes it."""
    with db.begin() as conn:
        conn.execute(
            schema.moderation_reviews.insert().values(
                content_type="post",
                content_id=post_id,
                reviewer_id=str(uuid.uuid4()),
                decision=decision,
                labels={},
                created_at=datetime.now(UTC),
            )
        )


def test_the_daemon_runs_the_trending_schedule_and_the_new_content_sensor(
    tmp_path: Path, redis_url: str
) -> None:
    first_day = (datetime.now(UTC) - timedelta(days=2)).date().isoformat()
    env = daemon_env(tmp_path, first_day) | {"REDIS_URL": redis_url}
    env["SOCIALFLOW_JWT_SECRET"] = Settings().jwt_secret.get_secret_value()  # the test's own
    socialflow("seed", "--users", "150", "--days", "2", env=env, cwd=tmp_path)
    socialflow("materialize", "--days", "2", env=env, cwd=tmp_path)
    db = Database(env["DATABASE_URL"])
    seeded_trending = latest_trending(db)
    assert seeded_trending is not None, "materialize should have scored trending once"

    instance = dg.DagsterInstance.from_config(env["DAGSTER_HOME"])  # the one the daemon runs on
    log = tmp_path / "daemon.log"
    started = datetime.now(UTC)
    daemon_cli = str(Path(sys.executable).with_name("dagster-daemon"))
    with log.open("w") as out:
        daemon = subprocess.Popen(
            [daemon_cli, "run", "-m", "socialflow_pipelines.definitions"],
            env=env,
            cwd=tmp_path,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    post_id = None
    rescored = moderated = False
    try:
        deadline = time.monotonic() + WAIT_S
        while time.monotonic() < deadline and not (rescored and moderated):
            assert daemon.poll() is None, f"the daemon exited with {daemon.returncode}:\n{log_tail(log)}"
            # The post arrives once the sensor is live (its first tick done), as a user's post would.
            if post_id is None and has_ticked(instance, "new_content_sensor"):
                post_id, _ = insert_post(
                    db, "Fresh bread from the market this morning", user_id=None, now=datetime.now(UTC)
                )
            if not rescored:
                latest = latest_trending(db)
                rescored = latest is not None and latest > started and bool(scheduled_trending_runs(instance))
            if not moderated and post_id is not None:
                moderated = is_moderated(db, post_id) and bool(sensor_runs_for(instance, post_id))
            time.sleep(POLL_S)
        waited = (datetime.now(UTC) - started).total_seconds()
        context = f"after {waited:.0f} s\nruns:\n{runs_summary(instance)}\ndaemon log:\n{log_tail(log)}"
        assert post_id is not None, f"new_content_sensor never ticked {context}"
        assert rescored, (
            f"no trending_scores newer than {started} from a trending_every_15_minutes run "
            f"(newest: {latest_trending(db)}, seeded: {seeded_trending}) {context}"
        )
        assert moderated, f"post {post_id} not moderated by a new_content_sensor run {context}"

        token = issue_token(str(uuid.uuid4()), is_admin=True, settings=Settings())
        body = {"content_type": "post", "content_id": post_id}
        headers = {"Authorization": f"Bearer {token}"}
        with served_api(env, tmp_path) as base, httpx.Client(base_url=base, headers=headers) as api:
            before = api.post("/api/v1/ml/moderate", json=body).json()
            assert before["human_reviewed"] is False, before
            verdict = "rejected" if before["decision"] != "rejected" else "approved"
            record_review(db, post_id, verdict)
            reviewed_at = time.monotonic()
            answered = before
            while time.monotonic() - reviewed_at < REVIEW_WITHIN_S and answered["decision"] != verdict:
                time.sleep(POLL_S)
                answered = api.post("/api/v1/ml/moderate", json=body).json()
        waited = time.monotonic() - reviewed_at
        assert (answered["decision"], answered["human_reviewed"]) == (verdict, True), (
            f"/moderate still answered {answered['decision']} {waited:.0f} s after the review\n"
            f"runs:\n{runs_summary(instance)}"
        )
    finally:
        stop(daemon)
        instance.dispose()
        db.dispose()
