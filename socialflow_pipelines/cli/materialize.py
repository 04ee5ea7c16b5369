"""Materialize every asset once, in dependency order, on a Dagster instance (`socialflow
materialize` and `demo`), so the runs, their metadata and their checks show up in the Dagster UI.

The steps come from the real Definitions, so a new asset is picked up without editing a list:
the observable source assets (the app tables) are observed first, then the materializable assets
run in a topological order of the asset graph, one run per step. A step holds consecutive assets
of one partitions definition (Dagster refuses a run over assets of different ones); a partitioned
step runs as one single-run backfill over the requested range.

The console gets one progress bar and a summary; the per-step logs go to the run's event log.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import dagster as dg

from socialflow_pipelines.definitions import defs

# Dagster's console logger at WARNING: the DEBUG/INFO lines stay in the event log (the UI).
QUIET_RUN_CONFIG = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}


@dataclass(frozen=True)
class MaterializeStep:
    """One run: assets that share a partitions definition, in an order their deps allow."""

    assets: tuple[dg.AssetsDefinition, ...]
    partitions_def: dg.PartitionsDefinition | None

    @property
    def keys(self) -> list[str]:
        return [key.to_user_string() for a in self.assets for key in a.keys]

    @property
    def names(self) -> str:
        return ", ".join(self.keys)


@dataclass(frozen=True)
class StepOutcome:
    names: str
    seconds: float
    checks_passed: int
    checks_failed: tuple[str, ...]


def observable_assets(definitions: dg.Definitions = defs) -> list[dg.AssetsDefinition]:
    """The definitions that observe source assets (the backend's tables), each once."""
    graph = definitions.resolve_asset_graph()
    found: dict[int, dg.AssetsDefinition] = {}
    for key in graph.toposorted_asset_keys:
        if graph.get(key).is_observable:
            assets_def = graph.get(key).assets_def
            found.setdefault(id(assets_def), assets_def)
    return list(found.values())


def materialize_steps(definitions: dg.Definitions = defs) -> list[MaterializeStep]:
    """The materializable assets of `definitions` as runs in a valid topological order, with as
    few switches of partitions definition as the graph allows.

    Works on the code location's assets definitions (resources bound), not keys, since a
    multi-asset runs whole. Greedy: a step takes every asset whose upstream is done and whose
    partitions definition is the step's, until none is left; the next step starts at the first
    ready asset in Dagster's own topological order.
    """
    graph = definitions.resolve_asset_graph()
    order = [key for key in graph.toposorted_asset_keys if graph.get(key).is_materializable]
    owner = {key: graph.get(key).assets_def for key in order}
    nodes = list({id(owner[key]): owner[key] for key in order}.values())
    upstream = {
        id(node): {
            id(owner[parent])
            for key in node.keys
            for parent in graph.get(key).parent_keys
            if parent in owner and owner[parent] is not node
        }
        for node in nodes
    }
    done: set[int] = set()

    def ready() -> list[dg.AssetsDefinition]:
        return [node for node in nodes if id(node) not in done and upstream[id(node)] <= done]

    steps: list[MaterializeStep] = []
    while len(done) < len(nodes):
        if not (candidates := ready()):
            raise RuntimeError("the asset graph has a cycle between assets definitions")
        partitions_def = candidates[0].partitions_def
        step: list[dg.AssetsDefinition] = []
        while batch := [node for node in candidates if node.partitions_def == partitions_def]:
            step.extend(batch)
            done.update(id(node) for node in batch)
            candidates = ready()
        steps.append(MaterializeStep(tuple(step), partitions_def))
    return steps


def materialize_everything(
    instance: dg.DagsterInstance,
    start: datetime,
    end: datetime,
    on_step: Callable[[str], None] = lambda _names: None,
    on_result: Callable[[dg.ExecuteInProcessResult], None] = lambda _result: None,
) -> list[StepOutcome]:
    """Observe the app tables, then run every step on `instance` over [start, end]; `on_step`
    hears each step's names as it starts, `on_result` each step's run result.

    Raises RuntimeError naming the step that failed (its run in the UI has the details).
    """
    on_step("app tables")
    if not _observe(instance):
        raise RuntimeError("observing the app tables failed; see the run in the Dagster UI")
    outcomes = []
    for step in materialize_steps():
        on_step(step.names)
        started = time.perf_counter()
        result = dg.materialize(
            list(step.assets),
            instance=instance,
            tags=_partition_range_tags(step, start, end),
            run_config=QUIET_RUN_CONFIG,
            raise_on_error=False,
        )
        if not result.success:
            raise RuntimeError(f"materializing {step.names} failed; see the run in the Dagster UI")
        on_result(result)
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


def _observe(instance: dg.DagsterInstance) -> bool:
    """Observe every observable source asset (the app tables' data versions) with the code
    location's own job for them, so the run shows in the UI as the schedule's runs do."""
    graph = defs.resolve_asset_graph()
    sources = {key for assets_def in observable_assets() for key in assets_def.keys}
    selections = {job.name: getattr(job, "selection", None) for job in defs.jobs or ()}
    name = next((n for n, s in selections.items() if s is not None and s.resolve(graph) == sources), None)
    if name is None:
        raise RuntimeError("no job of the code location observes exactly the source assets")
    result = defs.resolve_job_def(name).execute_in_process(
        instance=instance, run_config=QUIET_RUN_CONFIG, raise_on_error=False
    )
    return result.success


def _partition_range_tags(step: MaterializeStep, start: datetime, end: datetime) -> dict[str, str]:
    """The partitions holding `start` and `end`, the partial first and current ones included."""
    if step.partitions_def is None:
        return {}
    partitions = step.partitions_def
    assert isinstance(partitions, dg.TimeWindowPartitionsDefinition)
    first, last = (partitions.get_partition_key_for_timestamp(t.timestamp()) for t in (start, end))
    return {"dagster/asset_partition_range_start": first, "dagster/asset_partition_range_end": last}
