"""Materialize every asset once, in dependency order, on a Dagster instance (`socialflow
materialize` and `demo`), so the runs, their metadata and their checks show up in the Dagster UI.

The console gets one progress bar and a summary; the per-step logs go to the run's event log.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import dagster as dg

from socialflow_pipelines.definitions import defs
from socialflow_pipelines.defs.app.schedules import observe_app_tables_job
from socialflow_pipelines.defs.content import assets as content
from socialflow_pipelines.defs.moderation import assets as moderation
from socialflow_pipelines.defs.recommendations import assets as recommendations
from socialflow_pipelines.defs.trending.assets import engagement_hourly, trending_scores

# Dagster's console logger at WARNING: the DEBUG/INFO lines stay in the event log (the UI).
QUIET_RUN_CONFIG = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}


@dataclass(frozen=True)
class MaterializeStep:
    """One run: assets that share a partitioning."""

    assets: tuple[dg.AssetsDefinition, ...]
    partitioned: bool

    @property
    def names(self) -> str:
        return ", ".join(key.to_user_string() for a in self.assets for key in a.keys)


# In dependency order. Partitioned steps run as one single-run backfill over the requested range.
MATERIALIZE_PLAN: list[MaterializeStep] = [
    MaterializeStep((engagement_hourly,), partitioned=True),
    MaterializeStep((trending_scores,), partitioned=False),
    # Models first (they train only when enough human reviews exist), then every item's decision.
    MaterializeStep(moderation.MODEL_ASSETS, partitioned=False),
    MaterializeStep((moderation.moderation_results,), partitioned=True),
    # Features and embeddings, topics over them, then each item's topics from the stored embeddings.
    MaterializeStep((content.content_analysis,), partitioned=True),
    MaterializeStep((content.topic_model,), partitioned=False),
    MaterializeStep((content.content_topics,), partitioned=True),
    # Interactions, the model (published if not worse), then every active user's recommendations.
    MaterializeStep(recommendations.ASSETS, partitioned=False),
]


@dataclass(frozen=True)
class StepOutcome:
    names: str
    seconds: float
    checks_passed: int
    checks_failed: tuple[str, ...]


def materialize_everything(
    instance: dg.DagsterInstance,
    start: datetime,
    end: datetime,
    on_step: Callable[[str], None] = lambda _names: None,
) -> list[StepOutcome]:
    """Run the plan on `instance` over [start, end]; `on_step` hears each step's names as it starts.

    Raises RuntimeError naming the step that failed (its run in the UI has the details).
    """
    on_step("app tables")
    observed = defs.resolve_job_def(observe_app_tables_job.name).execute_in_process(
        instance=instance, run_config=QUIET_RUN_CONFIG
    )
    if not observed.success:
        raise RuntimeError("observing the app tables failed; see the run in the Dagster UI")
    outcomes = []
    for step in MATERIALIZE_PLAN:
        on_step(step.names)
        started = time.perf_counter()
        result = dg.materialize(
            list(step.assets),
            instance=instance,
            resources=defs.resources,
            tags=_partition_range_tags(step, start, end),
            run_config=QUIET_RUN_CONFIG,
            raise_on_error=False,
        )
        if not result.success:
            raise RuntimeError(f"materializing {step.names} failed; see the run in the Dagster UI")
        evaluations = [
            event.asset_check_evaluation_data
            for event in result.all_events
            if event.event_type == dg.DagsterEventType.ASSET_CHECK_EVALUATION
        ]
        outcomes.append(
            StepOutcome(
                names=step.names,
                seconds=time.perf_counter() - started,
                checks_passed=sum(e.passed for e in evaluations),
                checks_failed=tuple(e.check_name for e in evaluations if not e.passed),
            )
        )
    return outcomes


def _partition_range_tags(step: MaterializeStep, start: datetime, end: datetime) -> dict[str, str]:
    """The partitions holding `start` and `end`, the partial first and current ones included."""
    if not step.partitioned:
        return {}
    partitions = step.assets[0].partitions_def
    assert isinstance(partitions, dg.TimeWindowPartitionsDefinition)
    first, last = (partitions.get_partition_key_for_timestamp(t.timestamp()) for t in (start, end))
    return {"dagster/asset_partition_range_start": first, "dagster/asset_partition_range_end": last}
