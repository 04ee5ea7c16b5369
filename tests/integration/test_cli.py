"""The `socialflow` command as a user runs it: a real subprocess on a fresh SQLite file."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import jwt
import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from socialflow_pipelines.cli.console import DEMO_INSTALL
from socialflow_pipelines.cli.main import app
from socialflow_pipelines.cli.materialize import MaterializeStep, materialize_steps, observable_assets
from socialflow_pipelines.definitions import defs
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


def test_train_sentiment_publishes_through_the_gate_and_eval_judges_what_is_published(tmp_path: Path) -> None:
    """The learned sentiment family over the CLI: trained on two files (concatenated), published,
    a worse candidate (shuffled labels) stored but not published, `eval` without --train judges
    the published version and with --train beats VADER on posts VADER cannot read."""
    from tests.ml.content.sentiment_samples import planted_csv

    env = cli_env(tmp_path)
    first, second = tmp_path / "a.csv", tmp_path / "b.csv"
    first.write_text(planted_csv(120, seed=1))
    second.write_text(planted_csv(120, seed=2))
    test = tmp_path / "test.csv"
    test.write_text(planted_csv(90, seed=9))
    trained = socialflow(
        "train", "sentiment", "--data", str(first), "--data", str(second), env=env, cwd=tmp_path
    )
    assert trained.returncode == 0, trained.stderr[-2000:]
    outcome = json.loads(trained.stdout.strip().splitlines()[-1])
    assert outcome["status"] == "published" and outcome["n_train"] + outcome["n"] == 240
    assert outcome["macro_recall"] >= 0.9

    header, *rows = planted_csv(240, seed=4).splitlines()
    labels = [row.rsplit(",", 1)[1] for row in rows]
    random.Random(0).shuffle(labels)
    shuffled = [f"{row.rsplit(',', 1)[0]},{label}" for row, label in zip(rows, labels, strict=True)]
    noise = tmp_path / "noise.csv"
    noise.write_text("\n".join([header, *shuffled]) + "\n")
    worse = socialflow("train", "sentiment", "--data", str(noise), env=env, cwd=tmp_path)
    assert worse.returncode == 0, worse.stderr[-2000:]
    rejected = json.loads(worse.stdout.strip().splitlines()[-1])
    assert (rejected["status"], rejected["published_version"]) == ("rejected", outcome["version"])

    judged = socialflow("eval", "sentiment", "--test", str(test), env=env, cwd=tmp_path)
    assert judged.returncode == 0, judged.stderr[-2000:]
    result = json.loads(judged.stdout.strip().splitlines()[-1])
    assert result["model"] == f"sentiment_model:{outcome['version']}"
    assert result["macro_recall"] > result["baseline_vader_macro_recall"] + 0.3
    assert {"macro_f1", "f1_pn", "accuracy"} <= result.keys()

    bad = tmp_path / "bad.csv"
    bad.write_text("text,label\ngreat,positive\nawful,furious\n")
    refused = socialflow("train", "sentiment", "--data", str(bad), env=env, cwd=tmp_path)
    assert refused.returncode == 2 and "bad.csv:3: bad label 'furious'" in refused.stderr


def test_commands_on_the_synthetic_world_name_its_install_when_it_is_absent(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """socialflow_demo is a separate distribution: without it, seed, demo, post and bench say how
    to install it instead of failing on an import."""
    monkeypatch.setitem(sys.modules, "socialflow_demo", None)  # an import of it raises, as if absent
    for name in [
        m for m in sys.modules if m.startswith(("socialflow_demo.", "socialflow_pipelines.benchmarks."))
    ]:
        monkeypatch.delitem(sys.modules, name)
    runner = CliRunner()
    for args in (["seed"], ["demo", "--no-serve"], ["post", "--text", "hi"], ["bench", "trending"]):
        done = runner.invoke(app, args)
        assert done.exit_code == 2, (args, done.output)
        assert f"`socialflow {args[0]}` needs socialflow_demo" in done.output
        assert DEMO_INSTALL in done.output


def _step_partitions(step: MaterializeStep) -> set[object]:
    return {type(a.partitions_def).__name__ if a.partitions_def else None for a in step.assets}


def assert_runnable_plan(definitions: dg.Definitions, steps: list[MaterializeStep]) -> list[str]:
    """Every materializable asset once; each step of one partitions definition (else Dagster refuses
    the run); each asset after its upstream. Returns the keys in plan order."""
    graph = definitions.resolve_asset_graph()
    order = [key for step in steps for key in step.keys]
    assert sorted(order) == sorted(k.to_user_string() for k in graph.materializable_asset_keys)
    for step in steps:
        assert len(_step_partitions(step)) == 1, step.names
        assert all(a.partitions_def == step.partitions_def for a in step.assets)
    step_of = {key: i for i, step in enumerate(steps) for key in step.keys}
    for key in graph.materializable_asset_keys:
        for parent in graph.get(key).parent_keys:
            if parent.to_user_string() in step_of:
                assert step_of[parent.to_user_string()] <= step_of[key.to_user_string()], (parent, key)
    return order


def test_the_plan_is_the_real_graph_in_order_with_one_partitioning_per_run() -> None:
    steps = materialize_steps(defs)
    order = assert_runnable_plan(defs, steps)
    # The topic model (unpartitioned) comes between the daily analysis and the daily topic ids.
    assert order.index("content_features") < order.index("topic_model") < order.index("content_topics")
    assert order.index("moderation_results") < order.index("content_features")
    # A multi-asset runs whole: features and embeddings in one step.
    (analysis,) = [s for s in steps if "content_features" in s.keys]
    assert "content_embeddings" in analysis.keys
    # Consecutive assets of one partitioning share a run: fewer runs than partitioned switches in
    # Dagster's own topological order would give.
    assert len(steps) < len([k for k in defs.resolve_asset_graph().materializable_asset_keys])
    assert [a.node_def.name for a in observable_assets(defs)] == ["app_tables"]


def test_a_new_asset_joins_the_plan_without_editing_a_list() -> None:
    daily = dg.DailyPartitionsDefinition(start_date="2026-01-01")
    hourly = dg.HourlyPartitionsDefinition(start_date="2026-01-01-00:00")

    @dg.asset(partitions_def=daily)
    def events() -> None: ...

    @dg.asset(deps=[events])
    def model() -> None: ...

    @dg.asset(partitions_def=daily, deps=[events])
    def features() -> None: ...

    @dg.asset(partitions_def=daily, deps=[model, features])
    def scores() -> None: ...

    @dg.multi_asset(specs=[dg.AssetSpec("left", deps=[events]), dg.AssetSpec("right", deps=[events])])
    def pair() -> Iterator[dg.MaterializeResult]:
        yield dg.MaterializeResult(asset_key="left")
        yield dg.MaterializeResult(asset_key="right")

    @dg.asset(partitions_def=hourly)
    def clicks() -> None: ...

    toy = dg.Definitions(assets=[events, model, features, scores, pair, clicks])
    steps = materialize_steps(toy)
    order = assert_runnable_plan(toy, steps)
    assert order.index("model") < order.index("scores")
    # features is ready with events and shares its partitioning: one run, not two.
    (first_daily,) = [s for s in steps if "events" in s.keys]
    assert {"events", "features"} <= set(first_daily.keys)
    (pair_step,) = [s for s in steps if "left" in s.keys]
    assert "right" in pair_step.keys


def test_token_signs_the_deployments_kind_of_id_and_refuses_others(tmp_path: Path) -> None:
    """`socialflow token` as an operator runs it: a UUID `sub` the API accepts; an integer on a UUID
    deployment is an error naming the option, not a token the API would refuse."""
    env = dict(os.environ)
    user = "123e4567-e89b-12d3-a456-426614174000"  # the seed's example id
    signed = socialflow("token", "--user-id", user, "--admin", env=env, cwd=tmp_path)
    refused = socialflow("token", "--user-id", "42", env=env, cwd=tmp_path)
    assert signed.returncode == 0, signed.stderr
    claims = jwt.decode(signed.stdout.strip(), env["SOCIALFLOW_JWT_SECRET"], algorithms=["HS256"])
    assert (claims["sub"], claims["is_admin"]) == (user, True)
    assert refused.returncode != 0
    assert "--user-id must be a UUID" in refused.stderr
