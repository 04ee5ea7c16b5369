"""The models behind the frame labels: nudenet's shipped ONNX detector for nsfw, a transformers
image classifier from a local directory for violence; and which of them load here."""

from __future__ import annotations

import importlib
import importlib.metadata
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from socialflow_pipelines.ml.moderation.frames import ImagePreprocessing, letterboxed
from socialflow_pipelines.ml.moderation.scorer import (
    Scorer,
    ScorerUnavailable,
    import_optional,
    positive_index,
    positive_probability,
    weights_version,
)

NUDENET_EXPLICIT_CLASSES: tuple[str, ...] = (
    "FEMALE_GENITALIA_EXPOSED",
    "MALE_GENITALIA_EXPOSED",
    "FEMALE_BREAST_EXPOSED",
    "BUTTOCKS_EXPOSED",
    "ANUS_EXPOSED",
)


class TransformersImageScorer:
    """A transformers image classifier from a local directory, e.g. for violence on frames.

    Frames are RGB uint8 arrays (H, W, 3), preprocessed as the directory says
    (`ImagePreprocessing`); the positive class is chosen by `positive_index`.
    """

    def __init__(
        self,
        path: Path | str,
        *,
        positive_label: str | None = None,
        name: str | None = None,
        batch_size: int = 16,
    ) -> None:
        transformers = import_optional("transformers", "transformers")
        self._torch = import_optional("torch", "torch")
        self.path = Path(path)
        self.model = transformers.AutoModelForImageClassification.from_pretrained(
            self.path, local_files_only=True
        ).eval()
        self._preprocessing = ImagePreprocessing.from_directory(self.path, self.model.config)
        self._positive = positive_index(self.model.config, positive_label)
        self.name = name or f"transformers:{self.path.name}"
        self.version = weights_version(self.path)
        self.batch_size = batch_size

    def score(self, items: Sequence[np.ndarray]) -> np.ndarray:
        out = np.empty(len(items), dtype=np.float64)
        with self._torch.inference_mode():
            for start in range(0, len(items), self.batch_size):
                chunk = items[start : start + self.batch_size]
                pixels = self._torch.cat([self._preprocessing(self._torch, frame) for frame in chunk])
                logits = self.model(pixel_values=pixels).logits
                out[start : start + len(chunk)] = positive_probability(self._torch, logits, self._positive)
        return out


class NudeNetScorer:
    """NSFW per frame from nudenet's shipped ONNX detector (AGPL-3.0, an optional extra).

    A frame's score is the highest detector confidence for any exposed explicit body part
    (`NUDENET_EXPLICIT_CLASSES`); covered parts, faces and feet do not count. Frames are RGB
    uint8 arrays (H, W, 3), letterboxed to the model's square input as nudenet itself does, and
    run through the ONNX session in batches.
    """

    name = "nudenet"

    def __init__(self, *, batch_size: int = 16) -> None:
        nudenet = import_optional("nudenet", "nudenet (pip install 'socialflow-pipelines[nsfw]')")
        self._cv2 = import_optional("cv2", "opencv (installed with nudenet)")
        detector = nudenet.NudeDetector()
        self._session, self._input_name = detector.onnx_session, detector.input_name
        self._size = detector.input_width
        class_names = list(getattr(importlib.import_module("nudenet.nudenet"), "__labels"))
        self._explicit = [class_names.index(name) for name in NUDENET_EXPLICIT_CLASSES]
        self.version = f"{importlib.metadata.version('nudenet')}/{self._size}n"
        self.batch_size = batch_size

    def score(self, items: Sequence[np.ndarray]) -> np.ndarray:
        out = np.empty(len(items), dtype=np.float64)
        for start in range(0, len(items), self.batch_size):
            chunk = items[start : start + self.batch_size]
            batch = np.stack([letterboxed(self._cv2, frame, self._size) for frame in chunk])
            (raw,) = self._session.run(None, {self._input_name: batch})[:1]
            # raw: (batch, 4 box coordinates + one score per class, anchors)
            class_scores = raw[:, 4:, :][:, self._explicit, :]
            out[start : start + len(batch)] = class_scores.max(axis=(1, 2))
        return np.clip(out, 0.0, 1.0)


def frame_scorers(
    *, violence_model_path: Path | str | None = None, violence_positive_label: str | None = None
) -> tuple[dict[str, Scorer], dict[str, str]]:
    """Frame scorers that can be loaded here: nudenet for nsfw when installed, and a local image
    classifier for violence only when a path is configured (no offline default exists)."""
    scorers: dict[str, Scorer] = {}
    unavailable: dict[str, str] = {}
    try:
        scorers["nsfw"] = NudeNetScorer()
    except ScorerUnavailable as exc:
        unavailable["nsfw"] = str(exc)
    if violence_model_path is None:
        unavailable["violence"] = "no local violence image model configured"
    else:
        scorers["violence"] = TransformersImageScorer(
            violence_model_path, positive_label=violence_positive_label, name="violence_image_model"
        )
    return scorers, unavailable
