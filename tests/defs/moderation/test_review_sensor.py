"""A human review reaches readers within a tick: the review sensor re-decides the item (store row,
app column, Redis key), once per review."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import dagster as dg
import redis
import sqlalchemy as sa

from socialflow_pipelines.definitions import defs
from socialflow_pipelines.defs.moderation.assets import moderation_results
from socialflow_pipelines.defs.moderation.schedules import moderation_job
from socialflow_pipelines.defs.moderation.sensors import moderation_review_sensor
from socialflow_pipelines.domains.moderation.store import read_results
from socialflow_pipelines.platform.db import schema
from socialflow_pipelines.platform.db.engine import Database
from tests.defs.content.world import DAY, SECOND_DAY, seed
from tests.domains.catalog.world import iid


def tick(instance: dg.DagsterInstance, cursor: str | None) -> dg.SensorResult:
    with dg.build_sensor_context(instance=instance, cursor=cursor, resources=defs.resources) as context:
        return moderation_review_sensor(context)


def test_a_review_is_what_readers_get_after_the_next_tick(sqlite_db: Database, redis_url: str) -> None:
    seed(sqlite_db)
    instance = dg.DagsterInstance.ephemeral()
    posts = {"posts": [iid(1)]}
    assert dg.materialize(
        [moderation_results],
        resources=defs.resources,
        instance=instance,
        partition_key=SECOND_DAY.strftime(DAY),
        run_config={"ops": {"moderation_results": {"config": posts}}},
    ).success
    assert read_results(sqlite_db, [("post", iid(1))])[("post", iid(1))].decision == "approved"
    idle = tick(instance, None)
    assert not idle.run_requests and idle.cursor == "0"

    with sqlite_db.begin() as conn:
        conn.execute(
            schema.moderation_reviews.insert().values(
                content_type="post",
                content_id=iid(1),
                reviewer_id=iid(99),
                decision="rejected",
                labels={"spam": True},
                created_at=datetime.now(UTC),
            )
        )
    planned = tick(instance, idle.cursor)
    (request,) = planned.run_requests
    assert request.partition_key == SECOND_DAY.strftime(DAY)
    assert request.run_config["ops"]["moderation_results"]["config"] == {
        "posts": [iid(1)],
        "comments": [],
        "videos": [],
    }
    assert (
        moderation_job.resolve(asset_graph=defs.resolve_asset_graph())
        .execute_in_process(
            run_config=request.run_config,
            partition_key=request.partition_key,
            resources=defs.resources,
            instance=instance,
        )
        .success
    )

    stored = read_results(sqlite_db, [("post", iid(1))])[("post", iid(1))]
    assert (stored.decision, stored.human_reviewed) == ("rejected", True)
    with sqlite_db.engine.connect() as conn:
        flagged = conn.execute(
            sa.select(schema.posts.c.is_flagged).where(schema.posts.c.id == iid(1))
        ).scalar_one()
    assert flagged is True
    cached = json.loads(redis.Redis.from_url(redis_url).get(f"moderation:post:{iid(1)}"))
    assert cached["decision"] == "rejected" and cached["human_reviewed"] is True
    assert not tick(instance, planned.cursor).run_requests  # each review re-decides once
