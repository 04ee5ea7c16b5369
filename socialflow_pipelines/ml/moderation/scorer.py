"""One protocol for every model behind a label, and what the transformers-backed scorers (text and
image) share: optional imports, reading the positive class, and a version from the weights."""

from __future__ import annotations

import hashlib
import importlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np


class ScorerUnavailable(RuntimeError):
    """A model that cannot be loaded here (optional package missing, no configured path)."""


@runtime_checkable
class Scorer(Protocol):
    """A model behind one label: a probability in [0, 1] per input (a text or an RGB frame)."""

    name: str
    version: str

    def score(self, items: Sequence[Any]) -> np.ndarray: ...


def import_optional(module: str, what: str) -> Any:
    """The module, or ScorerUnavailable naming what to install."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise ScorerUnavailable(f"{what} is not installed") from exc


def positive_index(config: Any, positive_label: str | None) -> int | None:
    """Index of the positive class in a transformers model's logits; None means a single sigmoid
    output. A two-class model with default names (LABEL_0/LABEL_1) uses class 1; anything else
    must name the positive label, so a score is never read from the wrong class."""
    names = {int(i): str(n) for i, n in config.id2label.items()}
    if positive_label is not None:
        matches = [i for i, n in names.items() if n.lower() == positive_label.lower()]
        if len(matches) != 1:
            raise ValueError(f"positive label {positive_label!r} not among the model's labels {names}")
        return matches[0]
    if config.num_labels == 1:
        return None
    if config.num_labels == 2 and names.get(1, "").upper() == "LABEL_1":
        return 1
    raise ValueError(f"name the positive label: the model's labels are {names}")


def positive_probability(torch: Any, logits: Any, positive: int | None) -> np.ndarray:
    if positive is None:
        probs = torch.sigmoid(logits[:, 0])
    else:
        probs = torch.softmax(logits.float(), dim=-1)[:, positive]
    return probs.float().cpu().numpy().astype(np.float64)


def weights_version(path: Path) -> str:
    """Directory name plus a content hash of the weight files, so a swapped model gets a new
    version in moderation_results."""
    digest = hashlib.sha256()
    weights = sorted(
        p for p in path.iterdir() if p.suffix in {".safetensors", ".bin", ".onnx", ".pt"} and p.is_file()
    )
    if not weights:
        raise ScorerUnavailable(f"no weight files in {path}")
    for weight in weights:
        with weight.open("rb") as handle:
            for chunk in iter(lambda h=handle: h.read(1 << 20), b""):
                digest.update(chunk)
    return f"{path.name}@{digest.hexdigest()[:12]}"
