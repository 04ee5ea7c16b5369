"""Every schedule and sensor ticked the way the daemon ticks them, and the runs they request executed.

A schedule's cron string says nothing about whether its tick works: the 15-minute trending schedule
once crashed on every tick (it asked for a partition that did not exist yet) while the tests that
read its cron string passed. So here each schedule is evaluated with `evaluate_tick` and the real
repository (which resolves partition keys exactly as the scheduler does) at times the daemon would
tick it, across midnight and a month end; the exact partition, range and run key are asserted; and
the run each tick requests is executed on a small seeded world and must write rows.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import dagster as dg
import polars as pl
import pytest
import sqlalchemy as sa

# The scheduler's own tick iterator: the tick times below must be times the daemon really ticks.
from dagster._utils.schedules import schedule_execution_time_iterator

from socialflow_demo import WorldConfig, generate_world
from socialflow_demo.load import insert_post, write_world
from socialflow_pipelines.definitions import defs
from socialflow_pipelines.defs.common import PARTITIONS_START, daily_partitions
from socialflow_pipelines.defs.content.assets import content_analysis
from socialflow_pipelines.defs.moderation.assets import moderation_results
from socialflow_pipelines.domains.content.service import TOPIC_MODEL
from socialflow_pipelines.domains.content.store import count_stale_topics
from socialflow_pipelines.domains.recommendations.service import MODEL_NAME
from socialflow_pipelines.platform.db import schema
from socialflow_pipelines.platform.db.engine import Database
from socialflow_pipelines.platform.db.migrate import upgrade
from socialflow_pipelines.platform.model_store import ModelStore
from tests.defs.virality.world import publish_synthetic_model

EXPECTED_SCHEDULES = {
    "observe_app_tables",
    "trending_every_15_minutes",
    "close_previous_hour",
    "retrain_moderation_models_daily",
    "topic_model_daily",
    "content_topics_daily",
    "recommendation_model_daily",
    "recommendations_hourly",
    "viral_model_daily",
    "viral_predictions_hourly",
}
EXPECTED_SENSORS = {
    "new_content_sensor",
    "content_after_moderation_sensor",
    "moderation_review_sensor",
    "viral_after_moderation_sensor",
}
HOUR = "%Y-%m-%d-%H:00"
RANGE_START, RANGE_END = "dagster/asset_partition_range_start", "dagster/asset_partition_range_end"
APP_TABLES = ("users", "follows", "videos", "posts", "comments", "engagement_events", "moderation_reviews")


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def tick_data(name: str, when: datetime, instance: dg.DagsterInstance | None = None):
    """One tick of schedule `name` at `when`, as the scheduler evaluates it (partitions resolved
    against the repository at the tick time: an unknown partition raises here as it would there)."""
    schedule = defs.resolve_schedule_def(name)
    with dg.build_schedule_context(
        instance=instance or dg.DagsterInstance.ephemeral(),
        scheduled_execution_time=when,
        repository_def=defs.get_repository_def(),
    ) as context:
        return schedule.evaluate_tick(context)


def evaluate(name: str, when: datetime, instance: dg.DagsterInstance | None = None) -> list[dg.RunRequest]:
    data = tick_data(name, when, instance)
    assert data.skip_message is None, f"{name} skipped its {when} tick: {data.skip_message}"
    return list(data.run_requests or [])


def daemon_ticks(name: str, start: datetime, end: datetime) -> list[datetime]:
    """The times in [start, end) at which the daemon ticks schedule `name`."""
    schedule = defs.resolve_schedule_def(name)
    ticks = []
    for tick in schedule_execution_time_iterator(
        start.timestamp(), schedule.cron_schedule, schedule.execution_timezone
    ):
        if tick >= end:
            return ticks
        ticks.append(tick.astimezone(UTC))
    return ticks


def test_every_schedule_and_sensor_is_ticked_here_and_starts_running() -> None:
    schedules = {s.name: s for s in defs.schedules}
    sensors = {s.name: s for s in defs.sensors}
    # A new schedule or sensor fails here until it gets its tick cases and a run test below.
    assert set(schedules) == EXPECTED_SCHEDULES == set(TICKS) == set(RUN_TESTS)
    assert set(sensors) == EXPECTED_SENSORS
    assert {n for n, s in schedules.items() if s.default_status != dg.DefaultScheduleStatus.RUNNING} == set()
    assert {n for n, s in sensors.items() if s.default_status != dg.DefaultSensorStatus.RUNNING} == set()
    assert PARTITIONS_START <= "2026-02-01", "the fixed tick times below need partitions from 2026-02-01"


# --------------------------------------------------------------------------------------------
# What each tick requests, at fixed times (midnight, a month end, each schedule's own time)

NO_PARTITION: dict[str, str | None] = {"partition": None, "run_key": None}
TICKS: dict[str, list[tuple[str, dict[str, str | None]]]] = {
    "trending_every_15_minutes": [
        ("2026-12-02T05:00", {"partition": "2026-12-02-05:00", "run_key": "trending-2026-12-02T05:00"}),
        ("2026-12-02T05:15", {"partition": "2026-12-02-05:00", "run_key": "trending-2026-12-02T05:15"}),
        ("2026-12-02T05:45", {"partition": "2026-12-02-05:00", "run_key": "trending-2026-12-02T05:45"}),
        ("2026-11-30T23:45", {"partition": "2026-11-30-23:00", "run_key": "trending-2026-11-30T23:45"}),
        ("2026-12-01T00:00", {"partition": "2026-12-01-00:00", "run_key": "trending-2026-12-01T00:00"}),
        ("2026-12-01T00:15", {"partition": "2026-12-01-00:00", "run_key": "trending-2026-12-01T00:15"}),
        ("2026-02-28T23:45", {"partition": "2026-02-28-23:00", "run_key": "trending-2026-02-28T23:45"}),
    ],
    "close_previous_hour": [
        ("2026-12-02T05:05", {"partition": "2026-12-02-04:00", "run_key": "close-hour-2026-12-02-04:00"}),
        ("2026-12-01T00:05", {"partition": "2026-11-30-23:00", "run_key": "close-hour-2026-11-30-23:00"}),
        ("2026-12-01T01:05", {"partition": "2026-12-01-00:00", "run_key": "close-hour-2026-12-01-00:00"}),
        ("2026-03-01T00:05", {"partition": "2026-02-28-23:00", "run_key": "close-hour-2026-02-28-23:00"}),
    ],
    "content_topics_daily": [
        (
            "2026-12-01T02:45",
            {"range": "2026-11-25..2026-12-01", "partition": None, "run_key": "content-topics-2026-12-01"},
        ),
        (
            "2026-12-02T02:45",
            {"range": "2026-11-26..2026-12-02", "partition": None, "run_key": "content-topics-2026-12-02"},
        ),
        (
            "2026-03-01T02:45",
            {"range": "2026-02-23..2026-03-01", "partition": None, "run_key": "content-topics-2026-03-01"},
        ),
    ],
    # Plain cron schedules: no partition, no run key (the daemon keys their runs by tick time).
    "observe_app_tables": [
        ("2026-11-30T23:45", NO_PARTITION),
        ("2026-12-01T00:00", NO_PARTITION),
        ("2026-12-01T00:15", NO_PARTITION),
    ],
    "recommendations_hourly": [("2026-11-30T23:20", NO_PARTITION), ("2026-12-01T00:20", NO_PARTITION)],
    "topic_model_daily": [("2026-12-01T02:30", NO_PARTITION)],
    "retrain_moderation_models_daily": [("2026-12-01T03:00", NO_PARTITION)],
    "recommendation_model_daily": [("2026-12-01T03:00", NO_PARTITION)],
    "viral_model_daily": [("2026-12-01T04:00", NO_PARTITION)],
    "viral_predictions_hourly": [("2026-11-30T23:25", NO_PARTITION), ("2026-12-01T00:25", NO_PARTITION)],
}


@pytest.mark.parametrize(
    ("name", "tick", "expected"),
    [(name, tick, expected) for name, cases in TICKS.items() for tick, expected in cases],
    ids=[f"{name}@{tick}" for name, cases in TICKS.items() for tick, _ in cases],
)
def test_a_tick_requests_the_exact_partition_and_run_key(
    name: str, tick: str, expected: dict[str, str | None]
) -> None:
    when = utc(tick)
    assert daemon_ticks(name, when, when + timedelta(seconds=1)) == [when], (
        f"the daemon never ticks at {tick}"
    )
    (request,) = evaluate(name, when)
    assert request.run_key == expected["run_key"]
    assert request.partition_key == expected["partition"]
    assert request.tags["dagster/schedule_name"] == name
    if "range" in expected:
        assert f"{request.tags[RANGE_START]}..{request.tags[RANGE_END]}" == expected["range"]
        keys = daily_partitions.get_partition_keys(current_time=when)
        first, last = keys.index(request.tags[RANGE_START]), keys.index(request.tags[RANGE_END])
        assert last - first == 6, "the topic model's 7 lookback days, the day in progress included"
    else:
        assert RANGE_START not in request.tags
    if expected["partition"] is not None:
        assert request.tags["dagster/partition"] == expected["partition"]
    (again,) = evaluate(name, when)  # deterministic: a tick evaluated twice launches one run
    assert (again.run_key, again.partition_key, again.tags, again.run_config) == (
        request.run_key,
        request.partition_key,
        request.tags,
        request.run_config,
    )


DAILY = {
    "retrain_moderation_models_daily",
    "topic_model_daily",
    "content_topics_daily",
    "recommendation_model_daily",
    "viral_model_daily",
}


@pytest.mark.parametrize("name", sorted(EXPECTED_SCHEDULES))
def test_every_tick_across_midnight_and_a_month_end_gets_its_own_request(name: str) -> None:
    """Each daemon tick from 2026-11-30 22:00 to 2026-12-01 02:00 (daily schedules: 2026-11-28 to
    2026-12-03): the partition holding (or just before) the tick, and a run key per tick where the
    schedule sets one."""
    if name in DAILY:
        ticks = daemon_ticks(name, utc("2026-11-28T00:00"), utc("2026-12-03T00:00"))
        assert len(ticks) == 5
    else:
        ticks = daemon_ticks(name, utc("2026-11-30T22:00"), utc("2026-12-01T02:00"))
        assert len(ticks) >= 4
    instance = dg.DagsterInstance.ephemeral()
    requests = [evaluate(name, tick, instance) for tick in ticks]
    assert all(len(r) == 1 for r in requests)
    run_keys = [r[0].run_key for r in requests]
    if name in ("trending_every_15_minutes", "close_previous_hour", "content_topics_daily"):
        assert len(set(run_keys)) == len(ticks), "two ticks share a run key: the second would never run"
    else:
        assert set(run_keys) == {None}
    for tick, (request,) in zip(ticks, requests, strict=True):
        if name == "trending_every_15_minutes":
            assert request.partition_key == tick.strftime(HOUR)
        elif name == "close_previous_hour":
            assert tick.minute == 5
            assert request.partition_key == (tick - timedelta(hours=1)).strftime(HOUR)
        elif name == "content_topics_daily":
            assert request.tags[RANGE_END] == tick.date().isoformat()
            assert request.tags[RANGE_START] == (tick.date() - timedelta(days=6)).isoformat()
        else:
            assert request.partition_key is None


def test_content_topics_in_the_first_days_after_the_partitions_start_stays_inside_them() -> None:
    first_day = date.fromisoformat(PARTITIONS_START)
    when = datetime(first_day.year, first_day.month, first_day.day, 2, 45, tzinfo=UTC) + timedelta(days=2)
    (request,) = evaluate("content_topics_daily", when)
    assert request.tags[RANGE_START] == PARTITIONS_START
    assert request.tags[RANGE_END] == (first_day + timedelta(days=2)).isoformat()


def test_the_first_hour_close_after_the_partitions_start_skips_instead_of_failing() -> None:
    first_day = date.fromisoformat(PARTITIONS_START)
    data = tick_data(
        "close_previous_hour", datetime(first_day.year, first_day.month, first_day.day, 0, 5, tzinfo=UTC)
    )
    assert not data.run_requests and PARTITIONS_START in (data.skip_message or "")


# --------------------------------------------------------------------------------------------
# The runs the ticks request, executed on a seeded world: one night of the daemon.

# Yesterday's midnight: every tick of the night is a day or more in the past, so every partition a
# run asks for exists now, and the world's history is recent enough for the 7- and 30-day windows.
MIDNIGHT = (datetime.now(UTC) - timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
WORLD_NOW = MIDNIGHT + timedelta(hours=3, minutes=10)
# Every item reviewed, and more spam and toxic items, so the 03:00 retraining trains and publishes.
NIGHT_WORLD = WorldConfig(users=250, days=3, review_rate=1.0, spam_rate=0.1, toxic_rate=0.12)


@dataclass
class Night:
    db: Database
    world: dict[str, pl.DataFrame]
    instance: dg.DagsterInstance
    env: dict[str, str]


def world_env(url: str, model_dir: str) -> dict[str, str]:
    return {"DATABASE_URL": url, "SOCIALFLOW_MODEL_DIR": model_dir}


@pytest.fixture(scope="module")
def seeded_night(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Night]:
    """The world at 03:10 after the night, with what the day's sensors had done: every item
    moderated and analysed (the schedules' runs read both). Everything else comes from the ticks."""
    root = tmp_path_factory.mktemp("night")
    env = world_env(f"sqlite:///{root / 'socialflow.db'}", str(root / "models"))
    with pytest.MonkeyPatch.context() as patch:
        for name in ("REDIS_URL", "REDIS_HOST"):
            patch.delenv(name, raising=False)
        for name, value in env.items():
            patch.setenv(name, value)
        upgrade(env["DATABASE_URL"])
        db = Database(env["DATABASE_URL"])
        world = generate_world(NIGHT_WORLD, now=WORLD_NOW)
        write_world(db, world)
        instance = dg.DagsterInstance.ephemeral()
        days = {
            RANGE_START: (WORLD_NOW - timedelta(days=NIGHT_WORLD.days)).date().isoformat(),
            RANGE_END: WORLD_NOW.date().isoformat(),
        }
        for assets in ([moderation_results], [content_analysis]):
            done = dg.materialize(assets, instance=instance, resources=defs.resources, tags=days)
            assert done.success
    yield Night(db, world, instance, env)
    db.dispose()


@pytest.fixture
def night(seeded_night: Night, monkeypatch: pytest.MonkeyPatch) -> Night:
    """The shared night, with this test's settings pointed at its database and models."""
    for name, value in seeded_night.env.items():
        monkeypatch.setenv(name, value)
    return seeded_night


def run_tick(night: Night, name: str, when: datetime) -> tuple[dg.RunRequest, dg.ExecuteInProcessResult]:
    """Evaluate the tick, then launch what it requests as the daemon would: the schedule's job,
    the request's partition (or range tags) and run config, on the night's instance."""
    (request,) = evaluate(name, when, night.instance)
    job = defs.resolve_job_def(defs.resolve_schedule_def(name).job_name)
    result = job.execute_in_process(
        instance=night.instance,
        run_config=request.run_config,
        partition_key=request.partition_key,
        tags=request.tags,
        raise_on_error=False,
    )
    failures = [e.message for e in result.all_events if e.is_failure]
    assert result.success, f"the run of {name}'s {when} tick failed: {failures}"
    return request, result


def count(db: Database, table: sa.Table, *where: sa.ColumnElement[bool]) -> int:
    with db.engine.connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(table).where(*where)).scalar_one())


def hourly_rows(db: Database, hour: datetime) -> set[tuple]:
    table = schema.engagement_hourly
    query = sa.select(
        table.c.content_type,
        table.c.content_id,
        table.c.views,
        table.c.likes,
        table.c.comments,
        table.c.shares,
    ).where(table.c.hour_start == hour)
    with db.engine.connect() as conn:
        return {tuple(row) for row in conn.execute(query)}


def expected_hourly(world: dict[str, pl.DataFrame], hour: datetime) -> set[tuple]:
    """(type, id, views, likes, comments, shares) of the world's events in [hour, hour + 1h)."""
    events = world["engagement_events"].filter(
        pl.col("created_at") >= hour, pl.col("created_at") < hour + timedelta(hours=1)
    )
    counts = events.group_by("content_type", "content_id").agg(
        *[(pl.col("event_type") == kind).sum().alias(kind) for kind in ("view", "like", "comment", "share")]
    )
    return {
        tuple(row)
        for row in counts.select("content_type", "content_id", "view", "like", "comment", "share").rows()
    }


def materialized_partitions(result: dg.ExecuteInProcessResult, asset: str) -> set[str]:
    return {
        event.partition
        for event in result.get_asset_materialization_events()
        if event.asset_key == dg.AssetKey(asset)
    }


def test_close_previous_hour_run_recounts_the_hour_that_closed_at_midnight(night: Night) -> None:
    request, result = run_tick(night, "close_previous_hour", MIDNIGHT + timedelta(minutes=5))
    closed = MIDNIGHT - timedelta(hours=1)  # 00:05 closes 23:00-24:00 of the day before
    assert request.partition_key == closed.strftime(HOUR)
    assert materialized_partitions(result, "engagement_hourly") == {closed.strftime(HOUR)}
    expected = expected_hourly(night.world, closed)
    assert expected, "the seeded world should have engagement in the closed hour"
    assert hourly_rows(night.db, closed) == expected


def test_trending_tick_run_folds_the_hour_in_progress_and_rescores(night: Night) -> None:
    started = datetime.now(UTC)
    request, result = run_tick(night, "trending_every_15_minutes", MIDNIGHT + timedelta(minutes=15))
    assert request.partition_key == MIDNIGHT.strftime(HOUR)
    assert materialized_partitions(result, "engagement_hourly") == {MIDNIGHT.strftime(HOUR)}
    assert {e.asset_key for e in result.get_asset_materialization_events()} == {
        dg.AssetKey("engagement_hourly"),
        dg.AssetKey("trending_scores"),
    }
    expected = expected_hourly(night.world, MIDNIGHT)
    assert expected
    assert hourly_rows(night.db, MIDNIGHT) == expected
    ts = schema.trending_scores
    assert count(night.db, ts) > 0
    assert count(night.db, ts, ts.c.computed_at < started) == 0, "every row is from this run"


def test_observe_app_tables_run_records_every_app_table(night: Night) -> None:
    _, result = run_tick(night, "observe_app_tables", MIDNIGHT + timedelta(hours=3))
    observed = {
        event.asset_key.to_user_string(): event.event_specific_data.asset_observation.metadata["rows"].value
        for event in result.all_events
        if event.event_type == dg.DagsterEventType.ASSET_OBSERVATION
    }
    assert observed == {name: night.world[name].height for name in APP_TABLES}


def test_retrain_moderation_models_daily_run_trains_from_the_reviews(night: Night) -> None:
    _, result = run_tick(night, "retrain_moderation_models_daily", MIDNIGHT + timedelta(hours=3))
    status = {
        event.asset_key.to_user_string(): event.materialization.metadata["status"].value
        for event in result.get_asset_materialization_events()
    }
    assert set(status) == {"spam_model", "toxicity_model", "hate_speech_model"}
    assert status["spam_model"] == status["toxicity_model"] == "published"
    assert status["hate_speech_model"] in {"published", "skipped"}
    registry = ModelStore(night.env["SOCIALFLOW_MODEL_DIR"])
    versions = schema.model_versions
    for name, outcome in status.items():
        published = registry.published_version(name)
        assert (published is not None) == (outcome == "published")
        if published is not None:
            assert count(night.db, versions, versions.c.name == name, versions.c.version == published) == 1


def test_topic_model_daily_run_publishes_topics(night: Night) -> None:
    _, result = run_tick(night, "topic_model_daily", MIDNIGHT + timedelta(hours=2, minutes=30))
    (event,) = result.get_asset_materialization_events()
    assert event.materialization.metadata["status"].value == "published"
    version = ModelStore(night.env["SOCIALFLOW_MODEL_DIR"]).published_version(TOPIC_MODEL)
    assert version == event.materialization.metadata["version"].value
    assert count(night.db, schema.topics, schema.topics.c.model_version == version) >= 2


def test_content_topics_daily_run_relabels_the_last_seven_days(night: Night) -> None:
    run_tick(night, "topic_model_daily", MIDNIGHT + timedelta(hours=2, minutes=30))
    version = ModelStore(night.env["SOCIALFLOW_MODEL_DIR"]).published_version(TOPIC_MODEL)
    request, result = run_tick(night, "content_topics_daily", MIDNIGHT + timedelta(hours=2, minutes=45))
    days = [(MIDNIGHT.date() - timedelta(days=n)).isoformat() for n in range(6, -1, -1)]
    assert (request.tags[RANGE_START], request.tags[RANGE_END]) == (days[0], days[-1])
    assert materialized_partitions(result, "content_topics") == set(days)  # one run, seven partitions
    (materialization, *_) = result.get_asset_materialization_events()
    assert materialization.materialization.metadata["topic_model_version"].value == version
    features = schema.content_features
    items = sum(night.world[t].height for t in ("posts", "comments", "videos"))
    assert count(night.db, features) == items
    first, end = date.fromisoformat(days[0]), MIDNIGHT.date() + timedelta(days=1)
    assert count_stale_topics(night.db, (first, end), version) == 0
    with night.db.engine.connect() as conn:
        topics = [json.loads(row[0]) for row in conn.execute(sa.select(features.c.topics))]
    assert sum(bool(t) for t in topics) > items / 2, "most items get a topic of the new model"


def test_recommendation_model_daily_then_recommendations_hourly_runs(night: Night) -> None:
    run_tick(night, "trending_every_15_minutes", MIDNIGHT + timedelta(hours=3))  # the trending blend
    _, trained = run_tick(night, "recommendation_model_daily", MIDNIGHT + timedelta(hours=3))
    model = next(
        e for e in trained.get_asset_materialization_events() if e.asset_key.to_user_string() == MODEL_NAME
    )
    assert model.materialization.metadata["status"].value == "published"
    version = model.materialization.metadata["version"].value
    started = datetime.now(UTC)
    _, result = run_tick(night, "recommendations_hourly", MIDNIGHT + timedelta(hours=3, minutes=20))
    assert [e.asset_key.to_user_string() for e in result.get_asset_materialization_events()] == [
        "recommendations"
    ]
    recs = schema.recommendations
    for content_type in ("video", "post", "user"):
        assert count(night.db, recs, recs.c.content_type == content_type) > 0, content_type
    assert count(night.db, recs, recs.c.model_version != version) == 0
    assert count(night.db, recs, recs.c.generated_at < started) == 0


def test_viral_model_daily_then_viral_predictions_hourly_runs(night: Night) -> None:
    _, trained = run_tick(night, "viral_model_daily", MIDNIGHT + timedelta(hours=4))
    (model,) = trained.get_asset_materialization_events()
    assert model.materialization.metadata["status"].value == "published"
    version = model.materialization.metadata["version"].value
    _, result = run_tick(night, "viral_predictions_hourly", MIDNIGHT + timedelta(hours=4, minutes=25))
    assert [e.asset_key.to_user_string() for e in result.get_asset_materialization_events()] == [
        "viral_predictions"
    ]
    predictions = schema.viral_predictions
    assert count(night.db, predictions) > 0
    assert count(night.db, predictions, predictions.c.model_version != version) == 0


# Each schedule's run test: a schedule without one fails the first test of this file.
RUN_TESTS = {
    "close_previous_hour": test_close_previous_hour_run_recounts_the_hour_that_closed_at_midnight,
    "trending_every_15_minutes": test_trending_tick_run_folds_the_hour_in_progress_and_rescores,
    "observe_app_tables": test_observe_app_tables_run_records_every_app_table,
    "retrain_moderation_models_daily": test_retrain_moderation_models_daily_run_trains_from_the_reviews,
    "topic_model_daily": test_topic_model_daily_run_publishes_topics,
    "content_topics_daily": test_content_topics_daily_run_relabels_the_last_seven_days,
    "recommendation_model_daily": test_recommendation_model_daily_then_recommendations_hourly_runs,
    "recommendations_hourly": test_recommendation_model_daily_then_recommendations_hourly_runs,
    "viral_model_daily": test_viral_model_daily_then_viral_predictions_hourly_runs,
    "viral_predictions_hourly": test_viral_model_daily_then_viral_predictions_hourly_runs,
}


# --------------------------------------------------------------------------------------------
# The sensors, ticked with the real definitions (the `database` resource comes from them)


@pytest.fixture
def fresh_world(sqlite_db: Database) -> dict[str, pl.DataFrame]:
    """A world up to now with nothing moderated or analysed yet."""
    world = generate_world(WorldConfig(users=150, days=2), now=datetime.now(UTC) - timedelta(minutes=1))
    write_world(sqlite_db, world)
    return world


def sensor_tick(name: str, instance: dg.DagsterInstance, cursor: str | None) -> dg.SensorExecutionData:
    sensor = defs.resolve_sensor_def(name)
    # The definitions resolve the requested partitions; the resources are the sensor's `database`.
    with dg.build_sensor_context(
        instance=instance, cursor=cursor, definitions=defs, resources=defs.resources
    ) as context:
        return sensor.evaluate_tick(context)


def launch(instance: dg.DagsterInstance, job_name: str, request: dg.RunRequest) -> dg.ExecuteInProcessResult:
    result = defs.resolve_job_def(job_name).execute_in_process(
        instance=instance,
        run_config=request.run_config,
        partition_key=request.partition_key,
        tags=request.tags,
        raise_on_error=False,
    )
    assert result.success, [e.message for e in result.all_events if e.is_failure]
    return result


def listed(request: dg.RunRequest, op: str) -> dict[str, list[int]]:
    return request.run_config["ops"][op]["config"]


def new_post(db: Database) -> tuple[str, str]:
    now = datetime.now(UTC)
    post_id, _ = insert_post(
        db, "Sunday hike up the ridge, the view was worth every step", user_id=None, now=now
    )
    return post_id, now.date().isoformat()


def test_new_content_sensor_requests_every_item_once_then_only_new_posts(
    sqlite_db: Database, fresh_world: dict[str, pl.DataFrame]
) -> None:
    instance = dg.DagsterInstance.ephemeral()
    first = sensor_tick("new_content_sensor", instance, None)
    requests = first.run_requests
    assert requests
    for content_type, table in (("post", "posts"), ("comment", "comments"), ("video", "videos")):
        ids = sorted(i for r in requests for i in listed(r, "moderation_results")[table])
        assert ids == sorted(fresh_world[table]["id"].to_list()), f"every {content_type} exactly once"
    assert len({r.run_key for r in requests}) == len(requests)
    assert all(r.run_key.startswith(f"moderation-{r.partition_key}-") for r in requests)
    again = sensor_tick("new_content_sensor", instance, None)  # a lost cursor: the same runs, same keys
    assert [(r.run_key, r.run_config) for r in again.run_requests] == [
        (r.run_key, r.run_config) for r in requests
    ]

    second = sensor_tick("new_content_sensor", instance, first.cursor)
    assert second.run_requests == []
    assert second.skip_message == "no new items"

    post_id, today = new_post(sqlite_db)
    third = sensor_tick("new_content_sensor", instance, second.cursor)
    (request,) = third.run_requests
    assert request.run_key.startswith(f"moderation-{today}-post1-")
    assert request.partition_key == today
    assert listed(request, "moderation_results") == {"posts": [post_id], "comments": [], "videos": []}
    assert sensor_tick("new_content_sensor", instance, third.cursor).run_requests == []

    launch(instance, defs.resolve_sensor_def("new_content_sensor").job_name, request)
    results = schema.moderation_results
    assert count(sqlite_db, results, results.c.content_type == "post", results.c.content_id == post_id) == 1
    assert count(sqlite_db, results) == 1, "the run moderates the listed post only"


def test_content_after_moderation_sensor_analyses_each_item_once_it_is_moderated(
    sqlite_db: Database, fresh_world: dict[str, pl.DataFrame]
) -> None:
    instance = dg.DagsterInstance.ephemeral()
    moderation = sensor_tick("new_content_sensor", instance, None)
    first = sensor_tick("content_after_moderation_sensor", instance, None)
    assert first.run_requests == [], "nothing is analysed before it is moderated"

    for request in moderation.run_requests:
        launch(instance, "moderation_job", request)
    history = sensor_tick("content_after_moderation_sensor", instance, first.cursor)
    for content_type, table in (("post", "posts"), ("comment", "comments"), ("video", "videos")):
        ids = sorted(i for r in history.run_requests for i in listed(r, "content_analysis")[table])
        assert ids == sorted(fresh_world[table]["id"].to_list()), f"every moderated {content_type} once"
    assert all(r.run_key.startswith(f"content-{r.partition_key}-") for r in history.run_requests)

    post_id, today = new_post(sqlite_db)
    waiting = sensor_tick("content_after_moderation_sensor", instance, history.cursor)
    assert waiting.run_requests == []
    assert json.loads(waiting.cursor) == json.loads(history.cursor), "the new post waits for moderation"
    (moderate,) = sensor_tick("new_content_sensor", instance, moderation.cursor).run_requests
    launch(instance, "moderation_job", moderate)

    after = sensor_tick("content_after_moderation_sensor", instance, waiting.cursor)
    (request,) = after.run_requests
    assert request.run_key.startswith(f"content-{today}-post1-")
    assert request.partition_key == today
    assert listed(request, "content_analysis") == {"posts": [post_id], "comments": [], "videos": []}
    assert sensor_tick("content_after_moderation_sensor", instance, after.cursor).run_requests == []

    launch(instance, defs.resolve_sensor_def("content_after_moderation_sensor").job_name, request)
    features = schema.content_features
    assert (
        count(sqlite_db, features, features.c.content_type == "post", features.c.content_id == post_id) == 1
    )
    assert count(sqlite_db, features) == 1, "the run analyses the moderated post only"


def test_viral_after_moderation_sensor_predicts_each_young_item_once_it_is_moderated(
    sqlite_db: Database, fresh_world: dict[str, pl.DataFrame]
) -> None:
    publish_synthetic_model(defs.resources["model_store"].store.root)
    instance = dg.DagsterInstance.ephemeral()
    moderation = sensor_tick("new_content_sensor", instance, None)
    first = sensor_tick("viral_after_moderation_sensor", instance, None)
    assert first.run_requests == [], "nothing is predicted before it is moderated"

    for request in moderation.run_requests:
        launch(instance, "moderation_job", request)
    history = sensor_tick("viral_after_moderation_sensor", instance, first.cursor)
    assert all(r.partition_key is None and r.run_key.startswith("viral-") for r in history.run_requests)
    horizon = timedelta(hours=48)  # VIRAL_HORIZON_MINUTES: older items are the hourly run's
    for table in ("posts", "videos"):
        ids = sorted(i for r in history.run_requests for i in listed(r, "viral_predictions")[table])
        world = fresh_world[table]
        assert len(ids) == len(set(ids)), f"each {table} item once"
        assert set(ids) <= set(world["id"])
        young = world.filter(pl.col("created_at") > datetime.now(UTC) - horizon + timedelta(minutes=10))
        assert set(young["id"]) <= set(ids), f"every young moderated {table} item"
    assert all(not listed(r, "viral_predictions")["comments"] for r in history.run_requests)

    post_id, _ = new_post(sqlite_db)
    waiting = sensor_tick("viral_after_moderation_sensor", instance, history.cursor)
    assert waiting.run_requests == [], "the new post waits for moderation"
    (moderate,) = sensor_tick("new_content_sensor", instance, moderation.cursor).run_requests
    launch(instance, "moderation_job", moderate)
    after = sensor_tick("viral_after_moderation_sensor", instance, waiting.cursor)
    (request,) = after.run_requests
    assert listed(request, "viral_predictions") == {"posts": [post_id], "comments": [], "videos": []}
    assert sensor_tick("viral_after_moderation_sensor", instance, after.cursor).run_requests == []

    launch(instance, defs.resolve_sensor_def("viral_after_moderation_sensor").job_name, request)
    predictions = schema.viral_predictions
    assert count(sqlite_db, predictions, predictions.c.content_id == post_id) == 1
    assert count(sqlite_db, predictions) == 1, "the run predicts the listed post only"


def test_moderation_review_sensor_re_decides_the_reviewed_items_of_each_day(
    sqlite_db: Database, fresh_world: dict[str, pl.DataFrame]
) -> None:
    instance = dg.DagsterInstance.ephemeral()
    reviews = fresh_world["moderation_reviews"]
    assert reviews.height, "the world has reviews"
    first = sensor_tick("moderation_review_sensor", instance, None)
    assert first.cursor == str(reviews["id"].max())
    listed_posts = sorted(i for r in first.run_requests for i in listed(r, "moderation_results")["posts"])
    reviewed_posts = sorted(set(reviews.filter(pl.col("content_type") == "post")["content_id"]))
    assert listed_posts == reviewed_posts, "every reviewed post, once"
    assert len({r.partition_key for r in first.run_requests}) == len(first.run_requests), "a run per day"
    assert sensor_tick("moderation_review_sensor", instance, first.cursor).run_requests == []

    request = first.run_requests[0]
    launch(instance, defs.resolve_sensor_def("moderation_review_sensor").job_name, request)
    results = schema.moderation_results
    wanted = sum(len(ids) for ids in listed(request, "moderation_results").values())
    assert count(sqlite_db, results, results.c.human_reviewed.is_(True)) == wanted
