"""The one way a sensor turns new items into runs: scan the app tables past a cursor per content
type (the last item's creation time and id: backend ids are UUIDs, which do not grow), batch the
items that still lack the asset's result by creation day (the partition), and key each run by
its day and a digest of its ids, so a batch never runs twice, even when the cursor is lost. An
item waits while its upstream result (`ready`) is missing: the cursor stops before it, and a
later tick picks it up."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import dagster as dg
import sqlalchemy as sa

from socialflow_pipelines.defs.common import PARTITIONS_START
from socialflow_pipelines.domains.catalog import store
from socialflow_pipelines.domains.catalog.records import CONTENT_TYPES
from socialflow_pipelines.platform.db.engine import Database

SCOPE_FIELDS = {"post": "posts", "comment": "comments", "video": "videos"}  # ItemScopeConfig's fields


@dataclass(frozen=True)
class ItemBatchPlan:
    requests: list[dg.RunRequest]
    cursor: dict[str, tuple[datetime, str]]
    skipped: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class ItemBatchSensor:
    """New items of `content_types` past the cursor, without a row in `done`, into runs of `asset`
    (ItemScopeConfig ids; one daily partition per run when `partitioned`). With `ready`, an item
    waits until that table has its row; with `max_age`, an item older than that is passed over
    (its result comes from the asset's own schedule, if any)."""

    name: str
    asset: str
    run_key_prefix: str
    done: sa.Table
    ready: sa.Table | None = None
    content_types: tuple[str, ...] = CONTENT_TYPES
    partitioned: bool = True
    max_age: timedelta | None = None
    batch: int = 500  # items per run: a run finishes in seconds, and a burst spreads over several
    max_runs: int = 20

    def plan(
        self, db: Database, cursor: Mapping[str, tuple[datetime, str]], *, now: datetime
    ) -> ItemBatchPlan:
        new_cursor = dict(cursor)
        pending: dict[str, list[tuple[str, str]]] = {}
        skipped: list[str] = []
        last_day = (now.date() + timedelta(days=1)).isoformat()
        oldest = None if self.max_age is None else now - self.max_age
        for content_type in self.content_types:
            after = cursor.get(content_type)
            for item in store.items_after(
                db, content_type, after, self.batch * self.max_runs, done=self.done, ready=self.ready
            ):
                day = item.created_at.date().isoformat()  # partitions are UTC days
                if oldest is not None and item.created_at < oldest:
                    pass  # too old for this sensor: the cursor moves past it
                elif not item.done and self.partitioned and not PARTITIONS_START <= day <= last_day:
                    skipped.append(f"{content_type}:{item.content_id} ({day})")
                elif not item.done and not item.ready:
                    break
                elif not item.done:
                    pending.setdefault(day, []).append((content_type, item.content_id))
                after = (item.created_at, item.content_id)
            if after is not None:
                new_cursor[content_type] = after
        requests = [
            self._request(day, keys[start : start + self.batch])
            for day, keys in sorted(pending.items())
            for start in range(0, len(keys), self.batch)
        ]
        return ItemBatchPlan(requests, new_cursor, skipped)

    def _request(self, day: str, keys: list[tuple[str, str]]) -> dg.RunRequest:
        return listed_items_request(
            self.asset, self.run_key_prefix, self.name, day, keys, partitioned=self.partitioned
        )

    def evaluate(
        self, context: dg.SensorEvaluationContext, db: Database, *, now: datetime
    ) -> dg.SensorResult:
        """One tick: the plan from the stored cursor, logged, as the sensor's result."""
        plan = self.plan(db, decode_cursor(context.cursor), now=now)
        if plan.skipped:
            context.log.warning(
                f"{len(plan.skipped)} items outside the partition range, not processed: {plan.skipped[:10]}"
            )
        encoded = json.dumps({ct: [at.isoformat(), i] for ct, (at, i) in plan.cursor.items()}, sort_keys=True)
        if not plan.requests:
            return dg.SensorResult(skip_reason=dg.SkipReason("no new items"), cursor=encoded)
        context.log.info(f"{len(plan.requests)} {self.asset} runs for new items")
        return dg.SensorResult(run_requests=plan.requests, cursor=encoded)


def listed_items_request(
    asset: str,
    run_key_prefix: str,
    trigger: str,
    day: str,
    keys: Sequence[tuple[str, str]],
    *,
    partitioned: bool = True,
) -> dg.RunRequest:
    """A run of `asset` (its ItemScopeConfig) over the listed (content type, id) items created on
    `day` (its partition, when `partitioned`), keyed by the day and a digest of the ids: the same
    items always give the same key."""
    ids = {ct: sorted({i for t, i in keys if t == ct}) for ct in CONTENT_TYPES}
    digest = hashlib.sha256(json.dumps(ids, sort_keys=True).encode()).hexdigest()[:16]
    counts = "-".join(f"{ct}{len(v)}" for ct, v in ids.items() if v)
    return dg.RunRequest(
        run_key=f"{run_key_prefix}-{day}-{counts}-{digest}",
        partition_key=day if partitioned else None,
        run_config={"ops": {asset: {"config": {SCOPE_FIELDS[ct]: v for ct, v in ids.items()}}}},
        tags={"socialflow/trigger": trigger, "socialflow/items": str(sum(len(v) for v in ids.values()))},
    )


def decode_cursor(raw: str | None) -> dict[str, tuple[datetime, str]]:
    """The stored cursor; one in an older format (ids only) is dropped: the scan restarts, and
    the `done` check and run keys keep it from running anything twice."""
    cursor: dict[str, tuple[datetime, str]] = {}
    for content_type, value in (json.loads(raw) if raw else {}).items():
        if isinstance(value, list) and len(value) == 2:
            cursor[content_type] = (datetime.fromisoformat(value[0]), str(value[1]))
    return cursor
