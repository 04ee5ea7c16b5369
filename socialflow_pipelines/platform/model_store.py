"""Versioned model artifacts on disk, with one published version per model name.

The directory layout is `{root}/{name}/{version}/model.joblib` plus `meta.json` beside it, and
`{root}/{name}/published` holding the published version. Assets, the eval CLI and the API all
load models through this one class, so "the model the pipeline uses now" means the same thing
everywhere: `load_published` (cached per version, since a version never changes) to use one,
`publish_candidate` (save, gate against the published version, publish, mirror) to train one.
The results store's `ml.model_versions` table mirrors the metadata for the UI.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import joblib
import polars as pl

from socialflow_pipelines.platform.db import schema
from socialflow_pipelines.platform.db.engine import Database
from socialflow_pipelines.platform.time import utc_now


@dataclass(frozen=True)
class ModelVersion:
    name: str
    version: str
    path: Path
    metrics: dict[str, Any]
    params: dict[str, Any]
    created_at: datetime


class ModelNotFoundError(LookupError):
    pass


class ModelStore:
    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)

    def save(
        self, name: str, model: object, *, metrics: dict[str, Any], params: dict[str, Any] | None = None
    ) -> ModelVersion:
        """Write a new candidate version; the version id is the artifact's content hash, so saving
        the same model twice is idempotent."""
        staging = Path(tempfile.mkdtemp(prefix=f".{name}-", dir=self._ensure(self.root)))
        artifact = staging / "model.joblib"
        joblib.dump(model, artifact)
        version = datetime.now(UTC).strftime("%Y%m%dT%H%M%S") + "-" + _sha256(artifact)[:10]
        created = datetime.now(UTC)
        meta = {"metrics": metrics, "params": params or {}, "created_at": created.isoformat()}
        (staging / "meta.json").write_text(json.dumps(meta, indent=2, default=str))
        target = self._ensure(self.root / name) / version
        try:
            os.replace(staging, target)
        except OSError:
            if not (target / "model.joblib").is_file():
                raise
            # The same artifact saved again within the second: that version is this one.
            shutil.rmtree(staging)
            return self.describe(name, version)
        return ModelVersion(name, version, target, metrics, params or {}, created)

    def publish(self, name: str, version: str) -> None:
        if not (self.root / name / version / "model.joblib").is_file():
            raise ModelNotFoundError(f"{name} version {version} is not in {self.root}")
        pointer = self.root / name / "published"
        tmp = pointer.with_suffix(".tmp")
        tmp.write_text(version)
        os.replace(tmp, pointer)

    def published_version(self, name: str) -> str | None:
        pointer = self.root / name / "published"
        return pointer.read_text().strip() if pointer.is_file() else None

    def describe(self, name: str, version: str | None = None) -> ModelVersion:
        version = version or self.published_version(name)
        if version is None:
            raise ModelNotFoundError(f"no published version of {name} in {self.root}")
        path = self.root / name / version
        if not (path / "meta.json").is_file():
            raise ModelNotFoundError(f"{name} version {version} is not in {self.root}")
        meta = json.loads((path / "meta.json").read_text())
        return ModelVersion(
            name, version, path, meta["metrics"], meta["params"], datetime.fromisoformat(meta["created_at"])
        )

    def load(self, name: str, version: str | None = None) -> tuple[Any, ModelVersion]:
        """The model object and its metadata; the published version unless one is named."""
        described = self.describe(name, version)
        return joblib.load(described.path / "model.joblib"), described

    def load_published(self, name: str) -> tuple[Any, ModelVersion] | None:
        """The published model and its metadata, or None when nothing is published. Loaded once
        per version and process: a version's artifact never changes, a new publication is a new key."""
        version = self.published_version(name)
        if version is None:
            return None
        key = (str(self.root.resolve()), name, version)
        with _loaded_lock:
            if key in _loaded:
                _loaded.move_to_end(key)
                return _loaded[key]
        loaded = self.load(name, version)
        with _loaded_lock:
            _loaded[key] = loaded
            while len(_loaded) > _LOADED_MAX:
                _loaded.popitem(last=False)
        return loaded

    def is_loaded(self, name: str) -> bool:
        """Whether this process holds the published version of `name` (load_published's cache)."""
        version = self.published_version(name)
        with _loaded_lock:
            return (str(self.root.resolve()), name, version) in _loaded

    def evict(self, name: str) -> int:
        """Drop every loaded version of `name` from this process; returns how many were held."""
        root = str(self.root.resolve())
        with _loaded_lock:
            keys = [key for key in _loaded if key[:2] == (root, name)]
            for key in keys:
                del _loaded[key]
        return len(keys)

    def publish_candidate(
        self,
        name: str,
        model: object,
        *,
        metrics: dict[str, Any],
        params: dict[str, Any] | None = None,
        gate: Gate,
        mirror_to: Database | None = None,
    ) -> Publication:
        """Save `model` as a new version, publish it if `gate` allows it against the published
        version, and record the outcome in `ml.model_versions` of `mirror_to`."""
        current = self.published_version(name)
        previous = self.describe(name, current) if current else None
        candidate = self.save(name, model, metrics=metrics, params=params)
        published = gate.allows(candidate.metrics, previous.metrics if previous else None)
        if published:
            self.publish(name, candidate.version)
        if mirror_to is not None:
            mirror_model_versions(
                mirror_to,
                candidate,
                "published" if published else "rejected",
                replaced=current if published else None,
            )
        return Publication(candidate, previous, gate, published)

    @staticmethod
    def _ensure(path: Path) -> Path:
        path.mkdir(parents=True, exist_ok=True)
        return path


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


@dataclass(frozen=True)
class Gate:
    """The publication rule: a candidate may replace the published version unless it scores lower
    on `metric` by more than `tolerance` (held-out noise). `metric=None` publishes every candidate
    (a model with no held-out measure, such as a clustering refitted on new data)."""

    metric: str | None
    tolerance: float = 0.01

    def allows(self, candidate: dict[str, Any], current: dict[str, Any] | None) -> bool:
        if self.metric is None or current is None or current.get(self.metric) is None:
            return True
        value = candidate.get(self.metric)
        return value is not None and float(value) >= float(current[self.metric]) - self.tolerance


@dataclass(frozen=True)
class Publication:
    """What `publish_candidate` did: the candidate, the version it was judged against, the verdict."""

    candidate: ModelVersion
    previous: ModelVersion | None
    gate: Gate
    published: bool

    @property
    def status(self) -> str:
        return "published" if self.published else "rejected"

    @property
    def published_version(self) -> str:
        """The version in use after the decision."""
        if self.published:
            return self.candidate.version
        return self.previous.version if self.previous else "none"

    def gate_facts(self) -> dict[str, Any]:
        """The candidate's and the published version's gate metric, for the UI and the check."""
        metric = self.gate.metric
        facts: dict[str, Any] = {
            "candidate": self.candidate.version,
            "published": self.previous.version if self.previous else "none",
        }
        if metric is not None:
            facts[f"candidate_{metric}"] = self.candidate.metrics.get(metric)
            facts[f"published_{metric}"] = self.previous.metrics.get(metric) if self.previous else None
            facts["tolerance"] = self.gate.tolerance
        return facts


_loaded_lock = threading.Lock()
_loaded: OrderedDict[tuple[str, str, str], tuple[Any, ModelVersion]] = OrderedDict()
_LOADED_MAX = 32  # a handful of names, a version or two each while a new one rolls out


def mirror_model_versions(db: Database, version: ModelVersion, status: str, *, replaced: str | None) -> None:
    """Record a version (and the one it replaces, now retired) in `ml.model_versions` for the UI."""
    row = {
        "name": version.name,
        "version": version.version,
        "status": status,
        "artifact_path": str(version.path),
        "metrics": json.dumps(version.metrics, default=str),
        "params": json.dumps(version.params, default=str),
        "created_at": version.created_at,
        "published_at": utc_now() if status == "published" else None,
    }
    table = schema.model_versions
    with db.begin() as conn:
        db.upsert(table, pl.DataFrame([row]), keys=["name", "version"], connection=conn)
        if replaced is not None and replaced != version.version:
            conn.execute(
                table.update()
                .where(table.c.name == version.name, table.c.version == replaced)
                .values(status="retired")
            )
