"""content_after_moderation_sensor over the hand-built world: an item is analysed once it is
moderated, never before (the cursor waits at the first item without a decision), once (an
analysed item is passed over, even with a lost cursor), under the same run key however often
its batch is planned."""

from __future__ import annotations

import json

import dagster as dg

from socialflow_pipelines.definitions import defs
from socialflow_pipelines.defs.content.sensors import content_after_moderation_sensor
from socialflow_pipelines.defs.moderation.assets import moderation_results
from socialflow_pipelines.platform.db import schema
from socialflow_pipelines.platform.db.engine import Database
from tests.defs.content.world import DAY, FIRST_DAY, SECOND_DAY, rows, seed


def tick(instance: dg.DagsterInstance, cursor: str | None) -> dg.SensorResult:
    with dg.build_sensor_context(instance=instance, cursor=cursor, resources=defs.resources) as context:
        return content_after_moderation_sensor(context)


def moderate(instance: dg.DagsterInstance, **ids: list[int]) -> None:
    result = dg.materialize(
        [moderation_results],
        resources=defs.resources,
        instance=instance,
        partition_key=SECOND_DAY.strftime(DAY),
        run_config={"ops": {"moderation_results": {"config": ids}}},
    )
    assert result.success


def planned(result: dg.SensorResult) -> list[tuple[str | None, str | None, dict]]:
    return [
        (r.partition_key, r.run_key, r.run_config["ops"]["content_analysis"]["config"])
        for r in result.run_requests or []
    ]


def test_items_are_analysed_once_moderated_and_wait_behind_the_first_unmoderated_one(
    sqlite_db: Database,
) -> None:
    seed(sqlite_db)
    instance = dg.DagsterInstance.ephemeral()
    first, second = FIRST_DAY.strftime(DAY), SECOND_DAY.strftime(DAY)

    nothing_moderated = tick(instance, None)
    assert not nothing_moderated.run_requests
    assert json.loads(nothing_moderated.cursor) == {}  # stopped before each type's first item

    # Video 1 has no decision yet: video 2 waits behind it; post 3 stops the posts after post 2.
    moderate(instance, posts=[1, 2], videos=[2])
    after_moderation = tick(instance, nothing_moderated.cursor)
    assert planned(after_moderation) == [
        (second, f"content-{second}-post1_2", {"videos": [], "posts": [1, 2], "comments": []})
    ]
    assert json.loads(after_moderation.cursor) == {"post": 2}
    # Planned again from scratch (a lost cursor): the same run, under the same key.
    assert planned(tick(instance, None)) == planned(after_moderation)
    assert not tick(instance, after_moderation.cursor).run_requests

    (request,) = after_moderation.run_requests
    analysed = defs.get_job_def("content_job").execute_in_process(
        instance=instance, partition_key=second, run_config=request.run_config
    )
    assert analysed.success
    assert set(rows(sqlite_db, schema.content_features)) == {("post", 1), ("post", 2)}

    # Once video 1 and post 3 are moderated, they and the video that waited are planned; the
    # analysed posts are not planned again, even from scratch.
    moderate(instance, posts=[3], videos=[1])
    released = tick(instance, after_moderation.cursor)
    assert planned(released) == [
        (first, f"content-{first}-video1_1-post3_3", {"videos": [1], "posts": [3], "comments": []}),
        (second, f"content-{second}-video2_2", {"videos": [2], "posts": [], "comments": []}),
    ]
    assert json.loads(released.cursor) == {"post": 3, "video": 2}
    assert planned(tick(instance, None)) == planned(released)
