"""The new-content sensor: new posts, comments and videos judged within a minute, in batches of
`moderation_job` runs (the shared item batch mechanism: (created_at, id) cursor, deterministic
run keys). The review sensor: a human review recorded now re-decides its item within a minute
(store row, app columns, Redis key), without waiting for the daily backfill."""

import dagster as dg

from socialflow_pipelines.defs.common import PARTITIONS_START
from socialflow_pipelines.defs.item_sensor import ItemBatchSensor, listed_items_request
from socialflow_pipelines.defs.moderation.schedules import moderation_job
from socialflow_pipelines.defs.resources import DatabaseResource
from socialflow_pipelines.domains.moderation.store import reviews_after
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
    return NEW_CONTENT.evaluate(context, database.database, now=utc_now())


REVIEWS_PER_TICK = 5_000


@dg.sensor(
    job=moderation_job,
    minimum_interval_seconds=15,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Re-decides items a human reviewed since its cursor (a review id): one moderation_job run "
    "per creation day, so /moderate answers the reviewer's decision within a minute.",
)
def moderation_review_sensor(
    context: dg.SensorEvaluationContext, database: DatabaseResource
) -> dg.SensorResult:
    after = int(context.cursor or 0)
    found = reviews_after(database.database, after, REVIEWS_PER_TICK)
    if not found:
        return dg.SensorResult(skip_reason=dg.SkipReason("no new reviews"), cursor=str(after))
    by_day: dict[str, list[tuple[str, str]]] = {}
    for _review_id, content_type, content_id, created_at in found:
        by_day.setdefault(created_at.date().isoformat(), []).append((content_type, content_id))
    last = max(review_id for review_id, *_ in found)
    requests = []
    for day, keys in sorted(by_day.items()):
        if day < PARTITIONS_START:
            context.log.warning(f"reviews of items created {day}, before the first partition: not re-decided")
            continue
        # The last review id in the key: a later review of the same items is a new run.
        requests.append(
            listed_items_request(
                "moderation_results", f"reviews-{last}", "moderation_review_sensor", day, keys
            )
        )
    return dg.SensorResult(run_requests=requests, cursor=str(last))


sensors = [new_content_sensor, moderation_review_sensor]
