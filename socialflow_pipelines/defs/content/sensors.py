"""Content after moderation: new items are analysed once moderated, in batches of `content_job`
runs (the shared item batch mechanism: a (created_at, id) cursor, deterministic run keys). The
cursor waits at the first item not moderated yet, so an item is never analysed before its
decision exists."""

from __future__ import annotations

import dagster as dg

from socialflow_pipelines.defs.content.schedules import content_job
from socialflow_pipelines.defs.item_sensor import ItemBatchSensor
from socialflow_pipelines.defs.resources import DatabaseResource
from socialflow_pipelines.platform.db import schema
from socialflow_pipelines.platform.time import utc_now

AFTER_MODERATION = ItemBatchSensor(
    name="content_after_moderation_sensor",
    asset="content_analysis",
    run_key_prefix="content",
    done=schema.content_features,
    ready=schema.moderation_results,
)


@dg.sensor(
    name=AFTER_MODERATION.name,
    job=content_job,
    minimum_interval_seconds=30,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description=(
        "Analyses new posts, comments and videos once moderated: batches past its cursor that have "
        "a moderation result and no content features into content_job runs."
    ),
)
def content_after_moderation_sensor(
    context: dg.SensorEvaluationContext, database: DatabaseResource
) -> dg.SensorResult:
    return AFTER_MODERATION.evaluate(context, database.database, now=utc_now())


sensors = [content_after_moderation_sensor]
