"""What an operator scrapes at `/metrics`: every response by route and status, the serving cache's
hit rate, model load times, and the seed's pipeline figures (task success rate and latency per
asset from Dagster's run records, queue length: queued runs and items the sensors have still to
process).

With several uvicorn workers (`socialflow serve`), PROMETHEUS_MULTIPROC_DIR makes the request,
cache and model figures the sum over workers (prometheus_client's multiprocess mode), so a scrape
that lands on any worker sees the whole service. The pipeline figures are read at scrape time,
at most every PIPELINE_REFRESH_S, in the scraping worker."""

from __future__ import annotations

import logging
import os
import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import numpy as np
from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

from socialflow_pipelines.domains.catalog.store import count_missing
from socialflow_pipelines.platform.db import schema
from socialflow_pipelines.platform.db.engine import Database

log = logging.getLogger(__name__)
MULTIPROCESS_ENV = "PROMETHEUS_MULTIPROC_DIR"
PIPELINE_REFRESH_S = 30.0
PIPELINE_WINDOW = timedelta(hours=24)
MAX_RUNS = 500  # run records read per refresh: the step stats of each are one more query
PENDING_WINDOW = timedelta(days=7)  # how far back the sensors look for items without a result


class ServiceMetrics:
    """The service's metric objects, and `render()` for the scrape."""

    def __init__(self, database: Database) -> None:
        self.multiprocess = bool(os.environ.get(MULTIPROCESS_ENV))
        # In multiprocess mode the values live in per-process files, not in a registry.
        own = None if self.multiprocess else CollectorRegistry()
        self.registry = own
        self.requests_total = Counter(
            "socialflow_api_requests_total", "API responses", ["method", "route", "status"], registry=own
        )
        self.latency = Histogram(
            "socialflow_api_request_seconds", "API latency", ["method", "route"], registry=own
        )
        self.cache_reads = Counter(
            "socialflow_cache_reads_total",
            "Serving cache reads by key kind: hit, miss, or unavailable (Redis down: served from the store)",
            ["kind", "outcome"],
            registry=own,
        )
        self.model_load_seconds = Gauge(
            "socialflow_model_load_seconds",
            "Seconds the last load (and warm-up) of each model took",
            ["model"],
            registry=own,
            multiprocess_mode="max",
        )
        self.pipeline = PipelineCollector(database)
        if own is not None:
            own.register(self.pipeline)

    def cache_read(self, kind: str, outcome: str) -> None:
        self.cache_reads.labels(kind, outcome).inc()

    def model_loaded(self, name: str, seconds: float) -> None:
        self.model_load_seconds.labels(name).set(seconds)

    def render(self) -> bytes:
        if self.registry is not None:
            return generate_latest(self.registry)
        registry = CollectorRegistry()  # every worker's values, from their files
        MultiProcessCollector(registry)
        registry.register(self.pipeline)
        return generate_latest(registry)


class PipelineCollector(Collector):
    """The seed's task figures, from the Dagster instance (DAGSTER_HOME; absent: not exported)
    and the results store, cached for PIPELINE_REFRESH_S so scrapes stay cheap."""

    def __init__(self, database: Database) -> None:
        self.database = database
        self._lock = threading.Lock()
        self._cached: tuple[float, list[Metric]] | None = None

    def collect(self) -> Iterator[Metric]:
        with self._lock:
            if self._cached is None or time.monotonic() - self._cached[0] > PIPELINE_REFRESH_S:
                self._cached = (time.monotonic(), self._read())
            yield from self._cached[1]

    def _read(self) -> list[Metric]:
        metrics: list[Metric] = []
        try:
            metrics += self._pending_items()
        except Exception as exc:  # the store is down: the request figures still go out
            log.warning("pending items not read (%s)", type(exc).__name__)
        if os.environ.get("DAGSTER_HOME"):
            try:
                metrics += _run_figures()
            except Exception as exc:
                log.warning("Dagster run records not read (%s)", type(exc).__name__)
        return metrics

    def _pending_items(self) -> list[Metric]:
        now = datetime.now(UTC)
        pending = GaugeMetricFamily(
            "socialflow_pending_items",
            f"Items of the last {PENDING_WINDOW.days} days without a result yet (the sensors' queue)",
            labels=["result"],
        )
        for name, table in (
            ("moderation", schema.moderation_results),
            ("content_features", schema.content_features),
        ):
            pending.add_metric(
                [name], count_missing(self.database, table, window=(now - PENDING_WINDOW, now))
            )
        return [pending]


def _run_figures() -> list[Metric]:
    """Per asset (a run's step): success rate and step seconds over PIPELINE_WINDOW; and how many
    runs wait in the run queue or are running now."""
    import dagster as dg

    instance = dg.DagsterInstance.get()
    since = datetime.now(UTC) - PIPELINE_WINDOW
    records = instance.get_run_records(filters=dg.RunsFilter(created_after=since), limit=MAX_RUNS)
    outcomes: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    seconds: dict[str, list[float]] = defaultdict(list)
    for record in records:
        if not record.dagster_run.is_finished:
            continue
        for step in instance.get_run_step_stats(record.dagster_run.run_id):
            status = step.status.value.lower() if step.status is not None else "unknown"
            outcomes[step.step_key][status] += 1
            if step.start_time is not None and step.end_time is not None:
                seconds[step.step_key].append(step.end_time - step.start_time)
    steps = GaugeMetricFamily(
        "socialflow_task_steps", "Finished asset steps in the last 24 h by status", labels=["asset", "status"]
    )
    success = GaugeMetricFamily(
        "socialflow_task_success_ratio",
        "Share of asset steps that succeeded in the last 24 h",
        labels=["asset"],
    )
    latency = GaugeMetricFamily(
        "socialflow_task_seconds", "Asset step seconds in the last 24 h", labels=["asset", "quantile"]
    )
    for asset, counts in sorted(outcomes.items()):
        for status, count in sorted(counts.items()):
            steps.add_metric([asset, status], count)
        finished = counts.get("success", 0) + counts.get("failure", 0)
        if finished:
            success.add_metric([asset], counts.get("success", 0) / finished)
        if seconds[asset]:
            for quantile in (0.5, 0.95):
                latency.add_metric([asset, str(quantile)], float(np.quantile(seconds[asset], quantile)))
    queue = GaugeMetricFamily("socialflow_runs", "Dagster runs now, by status", labels=["status"])
    for status in (dg.DagsterRunStatus.QUEUED, dg.DagsterRunStatus.STARTING, dg.DagsterRunStatus.STARTED):
        queue.add_metric([status.value.lower()], instance.get_runs_count(dg.RunsFilter(statuses=[status])))
    return [steps, success, latency, queue]
