"""Viral prediction for new items: a post or video is predicted once moderated (from its
creator, what it is and its first engagement), in `viral_predictions_job` runs over the listed
items (the shared item batch mechanism), without waiting for the hourly run."""

from __future__ import annotations

from datetime import timedelta

import dagster as dg

from socialflow_pipelines.config import Settings
from socialflow_pipelines.defs.item_sensor import ItemBatchSensor
from socialflow_pipelines.defs.resources import DatabaseResource, SettingsResource
from socialflow_pipelines.defs.virality.schedules import viral_predictions_job
from socialflow_pipelines.domains.virality.service import CONTENT_TYPES
from socialflow_pipelines.platform.db import schema
from socialflow_pipelines.platform.time import utc_now

SENSOR_NAME = "viral_after_moderation_sensor"


def after_moderation(settings: Settings) -> ItemBatchSensor:
    """The sensor's plan: new posts and videos past its cursor, younger than the horizon, with a
    moderation result and no prediction yet."""
    return ItemBatchSensor(
        name=SENSOR_NAME,
        asset="viral_predictions",
        run_key_prefix="viral",
        done=schema.viral_predictions,
        ready=schema.moderation_results,
        content_types=CONTENT_TYPES,
        partitioned=False,
        max_age=timedelta(minutes=settings.viral_horizon_minutes),
    )


@dg.sensor(
    name=SENSOR_NAME,
    job=viral_predictions_job,
    minimum_interval_seconds=30,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description=(
        "Predicts new posts and videos once moderated: batches past its cursor that have a moderation "
        "result and no viral prediction into viral_predictions_job runs over the listed items."
    ),
)
def viral_after_moderation_sensor(
    context: dg.SensorEvaluationContext, database: DatabaseResource, settings: SettingsResource
) -> dg.SensorResult:
    return after_moderation(settings.get()).evaluate(context, database.database, now=utc_now())


sensors = [viral_after_moderation_sensor]
