"""The `socialflow` command as a user runs it: a real subprocess on a fresh SQLite file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import sqlalchemy as sa

from socialflow_pipelines.platform.db import schema
from socialflow_pipelines.platform.db.engine import Database


def socialflow(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "socialflow_pipelines.cli.main", *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=900,
    )


def spam_csv(tmp_path: Path, *, pairs: int) -> Path:
    """A small labeled file: `pairs` spam messages and as many ordinary ones."""
    rows = ["text,label"]
    for i in range(pairs):
        rows.append(f"claim your free prize {i} now call 0800{i:04d},spam")
        rows.append(f"are we still meeting at {i % 12 + 1} for lunch today,ham")
    data = tmp_path / "sms.csv"
    data.write_text("\n".join(rows) + "\n")
    return data


def cli_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("REDIS", "DAGSTER_PG"))}
    return env | {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'fresh.db'}",
        "DAGSTER_HOME": str(tmp_path / "dagster_home"),
        "SOCIALFLOW_MODEL_DIR": str(tmp_path / "models"),
    }


def test_demo_no_serve_leaves_trending_rows_in_a_fresh_sqlite_file(tmp_path: Path) -> None:
    env = cli_env(tmp_path)
    done = socialflow("demo", "--no-serve", "--users", "300", "--days", "4", env=env, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    database = Database(env["DATABASE_URL"])
    with database.engine.connect() as conn:
        trending = conn.execute(sa.select(sa.func.count()).select_from(schema.trending_scores)).scalar_one()
        windows = {r[0] for r in conn.execute(sa.select(schema.trending_scores.c.time_window).distinct())}
    database.dispose()
    assert trending > 0
    assert windows == {"1h", "6h", "24h", "7d", "30d"}
    runs = list((tmp_path / "dagster_home").rglob("runs.db"))
    assert runs, "the runs should be recorded on the DAGSTER_HOME instance for the UI"


def test_seed_refuses_to_seed_twice_without_reset(tmp_path: Path) -> None:
    env = cli_env(tmp_path)
    first = socialflow("seed", "--users", "100", "--days", "2", env=env, cwd=tmp_path)
    assert first.returncode == 0, first.stderr[-2000:]
    counts = json.loads(first.stdout.strip().splitlines()[-1])["seeded"]
    assert counts["users"] == 100 and counts["engagement_events"] > 0
    second = socialflow("seed", "--users", "100", "--days", "2", env=env, cwd=tmp_path)
    assert second.returncode == 2
    assert "--reset" in second.stderr


def test_eval_names_the_file_and_line_of_a_bad_label(tmp_path: Path) -> None:
    data = tmp_path / "labels.csv"
    data.write_text("id,text,label\n1,win a free phone now,spam\n2,see you at lunch,perhaps\n")
    done = socialflow(
        "eval", "spam", "--test", str(data), "--train", str(data), env=cli_env(tmp_path), cwd=tmp_path
    )
    assert done.returncode == 2
    assert f"{data}:3" in done.stderr
    assert "perhaps" in done.stderr


def test_eval_prints_metrics_as_the_last_json_line(tmp_path: Path) -> None:
    data = spam_csv(tmp_path, pairs=60)
    done = socialflow(
        "eval", "spam", "--test", str(data), "--train", str(data), env=cli_env(tmp_path), cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr[-2000:]
    metrics = json.loads(done.stdout.strip().splitlines()[-1])
    assert metrics["n"] == 120
    assert metrics["accuracy"] > 0.9
    assert {"precision", "recall", "f1", "roc_auc", "pr_auc", "items_per_s", "model", "version"} <= set(
        metrics
    )


def test_seed_live_keeps_adding_content_and_engagement(tmp_path: Path) -> None:
    env = cli_env(tmp_path)
    assert socialflow("seed", "--users", "100", "--days", "2", env=env, cwd=tmp_path).returncode == 0
    database = Database(env["DATABASE_URL"])

    def counts() -> tuple[int, int]:
        with database.engine.connect() as conn:
            items = sum(
                conn.execute(sa.select(sa.func.count()).select_from(t)).scalar_one()
                for t in schema.APP_CONTENT_TABLES.values()
            )
            events = conn.execute(
                sa.select(sa.func.count()).select_from(schema.engagement_events)
            ).scalar_one()
        return items, events

    before = counts()
    live = socialflow(
        "seed",
        "--users",
        "100",
        "--days",
        "2",
        "--live",
        "--rate",
        "5",
        "--interval",
        "1",
        "--duration",
        "4",
        env=env,
        cwd=tmp_path,
    )
    assert live.returncode == 0, live.stderr[-2000:]
    after = counts()
    database.dispose()
    assert after[0] > before[0]
    assert after[1] > before[1]


def test_train_publishes_a_version_and_eval_then_judges_it(tmp_path: Path) -> None:
    data = spam_csv(tmp_path, pairs=80)
    env = cli_env(tmp_path)
    trained = socialflow("train", "spam", "--data", str(data), env=env, cwd=tmp_path)
    assert trained.returncode == 0, trained.stderr[-2000:]
    outcome = json.loads(trained.stdout.strip().splitlines()[-1])
    assert outcome["status"] == "published"
    assert (tmp_path / "models" / "spam_model" / "published").read_text() == outcome["version"]
    judged = socialflow("eval", "spam", "--test", str(data), env=env, cwd=tmp_path)
    assert judged.returncode == 0, judged.stderr[-2000:]
    assert json.loads(judged.stdout.strip().splitlines()[-1])["version"] == outcome["version"]
