"""The new-content sensor: new posts, comments and videos judged within a minute, in batches of
`moderation_job` runs (the shared item batch mechanism: id cursor, deterministic run keys)."""

import dagster as dg

from socialflow_pipelines.defs.item_sensor import ItemBatchSensor
from socialflow_pipelines.defs.moderation.schedules import moderation_job
from socialflow_pipelines.defs.resources import DatabaseResource
from socialflow_pipelines.platform.db import schema
from socialflow_pipelines.platform.time import utc_now

NEW_CONTENT = ItemBatchSensor(
    name="new_content_sensor",
    asset="moderation_results",
    run_key_prefix="moderation",
    done=schema.moderation_results,
)


@dg.sensor(
    name=NEW_CONTENT.name,
    job=moderation_job,
    minimum_interval_seconds=15,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Moderates new posts, comments and videos: batches past its cursor into moderation_job runs.",
)
def new_content_sensor(context: dg.SensorEvaluationContext, database: DatabaseResource) -> dg.SensorResult:
    return NEW_CONTENT.evaluate(context, database.database, today=utc_now().date())


sensors = [new_content_sensor]
