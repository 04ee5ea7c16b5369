"""content_after_moderation_sensor over the hand-built world: an item is analysed once it is
moderated, never before (the cursor waits at the first item, in creation order, without a
decision), once (an analysed item is passed over, even with a lost cursor), under the same run
key however often its batch is planned."""

from __future__ import annotations

import json
from datetime import datetime

import dagster as dg

from socialflow_pipelines.definitions import defs
from socialflow_pipelines.defs.content.sensors import content_after_moderation_sensor
from socialflow_pipelines.defs.moderation.assets import moderation_results
from socialflow_pipelines.platform.db import schema
from socialflow_pipelines.platform.db.engine import Database
from tests.defs.content.world import DAY, FIRST_DAY, SECOND_DAY, rows, seed
from tests.domains.catalog.world import iid


def tick(instance: dg.DagsterInstance, cursor: str | None) -> dg.SensorResult:
    with dg.build_sensor_context(instance=instance, cursor=cursor, resources=defs.resources) as context:
        return content_after_moderation_sensor(context)


def moderate(instance: dg.DagsterInstance, partition: datetime, **numbers: list[int]) -> None:
    """Moderation of the listed items (by number) in `partition`'s day."""
    result = dg.materialize(
        [moderation_results],
        resources=defs.resources,
        instance=instance,
        partition_key=partition.strftime(DAY),
        run_config={
            "ops": {"moderation_results": {"config": {k: [iid(n) for n in v] for k, v in numbers.items()}}}
        },
    )
    assert result.success


def planned(result: dg.SensorResult) -> list[tuple[str | None, dict]]:
    return [
        (r.partition_key, r.run_config["ops"]["content_analysis"]["config"])
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

    # In creation order video 1 (day one) comes before video 2 (day two): video 2 waits for it.
    moderate(instance, SECOND_DAY, videos=[2])
    assert not tick(instance, None).run_requests
    moderate(instance, FIRST_DAY, videos=[1])
    after_moderation = tick(instance, nothing_moderated.cursor)
    assert planned(after_moderation) == [
        (first, {"videos": [iid(1)], "posts": [], "comments": []}),
        (second, {"videos": [iid(2)], "posts": [], "comments": []}),
    ]
    assert after_moderation.run_requests[0].run_key.startswith(f"content-{first}-video1-")
    assert json.loads(after_moderation.cursor) == {"video": [SECOND_DAY.isoformat(), iid(2)]}
    # Planned again from scratch (a lost cursor): the same runs, under the same keys.
    assert [r.run_key for r in tick(instance, None).run_requests] == [
        r.run_key for r in after_moderation.run_requests
    ]
    assert not tick(instance, after_moderation.cursor).run_requests

    for request in after_moderation.run_requests:
        analysed = defs.get_job_def("content_job").execute_in_process(
            instance=instance, partition_key=request.partition_key, run_config=request.run_config
        )
        assert analysed.success
    assert set(rows(sqlite_db, schema.content_features)) == {("video", 1), ("video", 2)}
    # Analysed items are not planned again, even from scratch; the posts still wait.
    assert not tick(instance, None).run_requests
