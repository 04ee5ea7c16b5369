"""Versioned model artifacts on disk, with one published version per model name.

The directory layout is `{root}/{name}/{version}/model.joblib` plus `meta.json` beside it, and
`{root}/{name}/published` holding the published version. Assets, the eval CLI and the API all
load models through this one class, so "the model the pipeline uses now" means the same thing
everywhere. The results store's `ml.model_versions` table mirrors the metadata for the UI.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import joblib


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


class ModelRegistry:
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
        os.replace(staging, target)
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


def is_not_worse(
    candidate: dict[str, Any], current: dict[str, Any] | None, metric: str, tolerance: float
) -> bool:
    """The publication gate: a candidate may replace the current version unless it scores lower on
    `metric` by more than `tolerance` (held-out noise). No current version: publish."""
    if current is None or current.get(metric) is None:
        return True
    value = candidate.get(metric)
    return value is not None and float(value) >= float(current[metric]) - tolerance


def publish_if_not_worse(
    registry: ModelRegistry, version: ModelVersion, *, metric: str, tolerance: float = 0.01
) -> str:
    """Publish `version` when the gate allows it; returns "published" or "rejected"."""
    current_version = registry.published_version(version.name)
    current = registry.describe(version.name, current_version).metrics if current_version else None
    if is_not_worse(version.metrics, current, metric, tolerance):
        registry.publish(version.name, version.version)
        return "published"
    return "rejected"
