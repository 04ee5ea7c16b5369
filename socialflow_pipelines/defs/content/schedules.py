"""Content's jobs, the daily topic refit and the daily re-labelling of recent items after it."""

from __future__ import annotations

from datetime import date, timedelta

import dagster as dg

from socialflow_pipelines.defs.common import (
    PARTITIONS_START,
    SCHEDULE_DEFAULTS,
    daily_partitions,
    running_schedule,
)
from socialflow_pipelines.defs.content.assets import content_analysis, content_topics, topic_model
from socialflow_pipelines.defs.content.config import TopicModelConfig

content_job = dg.define_asset_job(
    "content_job",
    selection=dg.AssetSelection.assets(content_analysis),
    partitions_def=daily_partitions,
    description="Analyse the listed items (runs after moderation) or every item of a day range (backfills).",
)
topic_model_job = dg.define_asset_job(
    "topic_model_job",
    selection=dg.AssetSelection.assets(topic_model),
    description="Rediscover the topics of recent content and publish them.",
)
topic_model_daily = running_schedule(
    "topic_model_daily",
    topic_model_job,
    "30 2 * * *",
    "Daily at 02:30: rediscover the topics of the last days' content and publish them.",
)
content_topics_job = dg.define_asset_job(
    "content_topics_job",
    selection=dg.AssetSelection.assets(content_topics),
    partitions_def=daily_partitions,
    description="Label the recent analysed items with the published topic model's topics.",
)


@dg.schedule(
    job=content_topics_job,
    cron_schedule="45 2 * * *",
    **SCHEDULE_DEFAULTS,
    description="Daily at 02:45, after topic_model: re-label the items of the model's lookback days.",
)
def content_topics_daily(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
    """One run over the last `TopicModelConfig.lookback_days` days, up to the day in progress."""
    last = context.scheduled_execution_time.date()
    # Never before the first partition (a new deployment's first week, a short demo history).
    first = max(
        last - timedelta(days=TopicModelConfig().lookback_days - 1), date.fromisoformat(PARTITIONS_START)
    )
    return dg.RunRequest(
        run_key=f"content-topics-{last.isoformat()}",
        tags={
            "dagster/asset_partition_range_start": first.isoformat(),
            "dagster/asset_partition_range_end": last.isoformat(),
        },
    )


jobs = [content_job, topic_model_job, content_topics_job]
schedules = [topic_model_daily, content_topics_daily]
