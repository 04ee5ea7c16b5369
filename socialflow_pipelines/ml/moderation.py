"""Moderation: labels, thresholds, the decision rule, the scorers behind each label and the
moderator that runs them over a batch of posts, comments or videos.

Every score comes from a real model (a trained `TextClassifier`, the model shipped inside
`alt-profanity-check`, nudenet's ONNX detector, or a transformers model from a local directory).
A label without a model is reported as missing with its reason; no score is ever made up.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.metadata
import json
import math
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import numpy as np

from socialflow_pipelines.ml.text_classifier import TextClassifier, TextClassifierParams

if TYPE_CHECKING:
    from socialflow_pipelines.config import Settings

TEXT_LABELS: tuple[str, ...] = ("spam", "toxicity", "hate_speech")
FRAME_LABELS: tuple[str, ...] = ("nsfw", "violence")
LABELS: tuple[str, ...] = TEXT_LABELS + FRAME_LABELS

APPROVED, FLAGGED, REVIEW_REQUIRED, REJECTED = "approved", "flagged", "review_required", "rejected"
DECISIONS: tuple[str, ...] = (APPROVED, FLAGGED, REVIEW_REQUIRED, REJECTED)


class ScorerUnavailable(RuntimeError):
    """A model that cannot be loaded here (optional package missing, no configured path)."""


# --------------------------------------------------------------------------------------------
# Thresholds and the decision rule


@dataclass(frozen=True)
class ModerationThresholds:
    """Per-label thresholds on model probabilities (the seed's defaults), plus the two widths
    that turn one threshold into the four decisions (see `decide`)."""

    nsfw: float = 0.7
    spam: float = 0.8
    violence: float = 0.75
    hate_speech: float = 0.7
    toxicity: float = 0.7
    review_band: float = 0.2
    reject_fraction: float = 0.5

    def __post_init__(self) -> None:
        for name in (*LABELS, "review_band", "reject_fraction"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must lie in [0, 1], got {value}")

    @classmethod
    def from_settings(cls, settings: Settings) -> ModerationThresholds:
        return cls(
            nsfw=settings.nsfw_threshold,
            spam=settings.spam_threshold,
            violence=settings.violence_threshold,
            hate_speech=settings.hate_speech_threshold,
            toxicity=settings.toxicity_threshold,
        )

    def threshold(self, label: str) -> float:
        if label not in LABELS:
            raise ValueError(f"unknown moderation label {label!r}; known: {', '.join(LABELS)}")
        return float(getattr(self, label))

    def reject_at(self, label: str) -> float:
        """Halfway (by default) from the threshold to certainty: spam 0.9, hate_speech 0.85."""
        threshold = self.threshold(label)
        # Rounded so that 0.8 - 0.2 is 0.6, not 0.6000000000000001: boundaries are inclusive.
        return round(threshold + self.reject_fraction * (1.0 - threshold), 9)

    def review_from(self, label: str) -> float:
        return round(max(0.0, self.threshold(label) - self.review_band), 9)


@dataclass(frozen=True)
class Decision:
    decision: str
    flags: tuple[str, ...]
    reason: str
    signals_used: tuple[str, ...]
    uncertain: tuple[str, ...] = ()
    missing_required: tuple[str, ...] = ()


def decide(
    scores: Mapping[str, float | None],
    thresholds: ModerationThresholds,
    *,
    required: Collection[str] = (),
) -> Decision:
    """Map per-label probabilities to one decision. The rule, first match wins:

    1. rejected: some label scores at or above `reject_at(label)` (by default halfway from its
       threshold to 1: the model is confident, no human needs to look first);
    2. flagged: some label scores at or above its threshold (hidden pending review);
    3. review_required: some label scores within `review_band` under its threshold (the model is
       unsure), or a label in `required` has no score, or no label has a score at all;
    4. approved: every scored label is below its review band.

    `flags` lists the labels at or above their threshold. A `None` score means "no model gave a
    score": it is never read as 0, and the decision says which signals were used.
    """
    scored: dict[str, float] = {}
    for label, value in scores.items():
        thresholds.threshold(label)  # rejects unknown labels
        if value is None:
            continue
        if not (math.isfinite(value) and 0.0 <= value <= 1.0):
            raise ValueError(f"score of {label} must be a probability in [0, 1], got {value}")
        scored[label] = float(value)
    signals = tuple(scored)
    flags = tuple(label for label, s in scored.items() if s >= thresholds.threshold(label))
    rejecting = [label for label, s in scored.items() if s >= thresholds.reject_at(label)]
    uncertain = tuple(
        label
        for label, s in scored.items()
        if thresholds.review_from(label) <= s < thresholds.threshold(label)
    )
    missing = tuple(label for label in required if scored.get(label) is None)

    def explain(labels: Sequence[str], limit: str) -> str:
        return ", ".join(
            f"{label} {scored[label]:.2f} (threshold {thresholds.threshold(label):.2f}"
            + (f", reject at {thresholds.reject_at(label):.2f})" if limit == "reject" else ")")
            for label in labels
        )

    if rejecting:
        decision, reason = REJECTED, f"confidently over threshold: {explain(rejecting, 'reject')}"
    elif flags:
        decision, reason = FLAGGED, f"over threshold: {explain(flags, 'flag')}"
    elif uncertain or missing or not signals:
        parts = []
        if uncertain:
            parts.append(f"within {thresholds.review_band:.2f} under threshold: {explain(uncertain, 'flag')}")
        if missing:
            parts.append(f"required signal(s) missing: {', '.join(missing)}")
        if not signals:
            parts.append("no model produced a score")
        decision, reason = REVIEW_REQUIRED, "; ".join(parts)
    else:
        decision, reason = APPROVED, f"all below review band: {', '.join(signals)}"
    return Decision(decision, flags, reason, signals, uncertain, missing)


# --------------------------------------------------------------------------------------------
# Scorers: one protocol for every model behind a label


@runtime_checkable
class Scorer(Protocol):
    """A model behind one label: a probability in [0, 1] per input (a text or an RGB frame)."""

    name: str
    version: str

    def score(self, items: Sequence[Any]) -> np.ndarray: ...


class TrainedTextScorer:
    """A `TextClassifier` trained by the pipeline, under its registry name and version."""

    def __init__(self, model: TextClassifier, *, name: str, version: str) -> None:
        self.model, self.name, self.version = model, name, version

    def score(self, items: Sequence[str]) -> np.ndarray:
        return self.model.predict_proba(items)


class ProfanityCheckScorer:
    """The offensive-language model shipped inside `alt-profanity-check` (a calibrated linear
    SVM over TF-IDF words): the toxicity scorer until the pipeline has trained its own."""

    name = "alt-profanity-check"

    def __init__(self) -> None:
        try:
            self._module = importlib.import_module("profanity_check")
        except ImportError as exc:
            raise ScorerUnavailable(f"alt-profanity-check is not installed: {exc}") from exc
        self.version = importlib.metadata.version("alt-profanity-check")

    def score(self, items: Sequence[str]) -> np.ndarray:
        if not items:
            return np.empty(0, dtype=np.float64)
        return np.asarray(self._module.predict_prob(list(items)), dtype=np.float64)


class TransformersTextScorer:
    """A transformers sequence classifier from a local directory (never downloaded).

    The positive class is `positive_label` in the model's id2label (case-insensitive); a model
    with one output uses its sigmoid; a two-class model with default names (LABEL_0/LABEL_1)
    uses class 1. Anything else must name the positive label, so a score is never read from the
    wrong class.
    """

    def __init__(
        self,
        path: Path | str,
        *,
        positive_label: str | None = None,
        name: str | None = None,
        batch_size: int = 32,
        max_length: int = 256,
    ) -> None:
        transformers = _import_optional("transformers", "transformers")
        self._torch = _import_optional("torch", "torch")
        self.path = Path(path)
        self.tokenizer = transformers.AutoTokenizer.from_pretrained(self.path, local_files_only=True)
        self.model = transformers.AutoModelForSequenceClassification.from_pretrained(
            self.path, local_files_only=True
        ).eval()
        self._positive = _positive_index(self.model.config, positive_label)
        self.name = name or f"transformers:{self.path.name}"
        self.version = _weights_version(self.path)
        self.batch_size, self.max_length = batch_size, max_length

    def score(self, items: Sequence[str]) -> np.ndarray:
        out = np.empty(len(items), dtype=np.float64)
        # Length-sorted batches waste less padding.
        order = sorted(range(len(items)), key=lambda i: len(items[i]))
        with self._torch.inference_mode():
            for start in range(0, len(order), self.batch_size):
                idx = order[start : start + self.batch_size]
                batch = self.tokenizer(
                    [items[i] for i in idx],
                    padding=True,
                    truncation=True,
                    max_length=self.max_length,
                    return_tensors="pt",
                )
                out[idx] = _positive_probability(self._torch, self.model(**batch).logits, self._positive)
        return out


class TransformersImageScorer:
    """A transformers image classifier from a local directory, e.g. for violence on frames.

    Frames are RGB uint8 arrays (H, W, 3). Preprocessing follows the directory's
    `preprocessor_config.json` (resize or shortest-edge resize plus center crop, rescale,
    normalise) in torch, because transformers' own image processors need Pillow and torchvision,
    which this platform does not install. Positive class chosen as in `TransformersTextScorer`.
    """

    def __init__(
        self,
        path: Path | str,
        *,
        positive_label: str | None = None,
        name: str | None = None,
        batch_size: int = 16,
    ) -> None:
        transformers = _import_optional("transformers", "transformers")
        self._torch = _import_optional("torch", "torch")
        self.path = Path(path)
        self.model = transformers.AutoModelForImageClassification.from_pretrained(
            self.path, local_files_only=True
        ).eval()
        self._preprocessing = _ImagePreprocessing.from_directory(self.path, self.model.config)
        self._positive = _positive_index(self.model.config, positive_label)
        self.name = name or f"transformers:{self.path.name}"
        self.version = _weights_version(self.path)
        self.batch_size = batch_size

    def score(self, items: Sequence[np.ndarray]) -> np.ndarray:
        out = np.empty(len(items), dtype=np.float64)
        with self._torch.inference_mode():
            for start in range(0, len(items), self.batch_size):
                chunk = items[start : start + self.batch_size]
                pixels = self._torch.cat([self._preprocessing(self._torch, _rgb_frame(f)) for f in chunk])
                logits = self.model(pixel_values=pixels).logits
                out[start : start + len(chunk)] = _positive_probability(self._torch, logits, self._positive)
        return out


@dataclass(frozen=True)
class _ImagePreprocessing:
    resize_to: tuple[int, int] | None  # (height, width)
    shortest_edge: int | None
    crop_to: tuple[int, int] | None
    rescale_factor: float | None
    mean: tuple[float, ...] | None
    std: tuple[float, ...] | None

    @classmethod
    def from_directory(cls, path: Path, model_config: Any) -> _ImagePreprocessing:
        config_file = path / "preprocessor_config.json"
        config = json.loads(config_file.read_text()) if config_file.is_file() else {}
        size = config.get("size")
        if isinstance(size, int):
            size = {"height": size, "width": size}
        if size is None:
            side = int(getattr(model_config, "image_size", 224))
            size = {"height": side, "width": side}
        resize_to = shortest = crop = None
        if config.get("do_resize", True):
            if "height" in size:
                resize_to = (int(size["height"]), int(size["width"]))
            else:
                shortest = int(size["shortest_edge"])
        if config.get("do_center_crop") and config.get("crop_size"):
            crop_size = config["crop_size"]
            crop = (int(crop_size["height"]), int(crop_size["width"]))
        normalise = config.get("do_normalize", True)
        return cls(
            resize_to=resize_to,
            shortest_edge=shortest,
            crop_to=crop,
            rescale_factor=float(config.get("rescale_factor", 1 / 255))
            if config.get("do_rescale", True)
            else None,
            mean=tuple(config.get("image_mean", (0.5, 0.5, 0.5))) if normalise else None,
            std=tuple(config.get("image_std", (0.5, 0.5, 0.5))) if normalise else None,
        )

    def __call__(self, torch: Any, frame: np.ndarray) -> Any:
        """One frame as a (1, 3, H, W) float tensor ready for the model."""
        pixels = torch.from_numpy(np.ascontiguousarray(frame)).permute(2, 0, 1)[None].float()
        if self.resize_to is not None:
            pixels = _resize(torch, pixels, self.resize_to)
        elif self.shortest_edge is not None:
            height, width = pixels.shape[-2:]
            scale = self.shortest_edge / min(height, width)
            pixels = _resize(torch, pixels, (round(height * scale), round(width * scale)))
        if self.crop_to is not None:
            height, width = pixels.shape[-2:]
            top, left = max(0, (height - self.crop_to[0]) // 2), max(0, (width - self.crop_to[1]) // 2)
            pixels = pixels[..., top : top + self.crop_to[0], left : left + self.crop_to[1]]
        if self.rescale_factor is not None:
            pixels = pixels * self.rescale_factor
        if self.mean is not None and self.std is not None:
            mean = torch.tensor(self.mean).view(1, 3, 1, 1)
            std = torch.tensor(self.std).view(1, 3, 1, 1)
            pixels = (pixels - mean) / std
        return pixels


def _resize(torch: Any, pixels: Any, size: tuple[int, int]) -> Any:
    return torch.nn.functional.interpolate(
        pixels, size=size, mode="bilinear", antialias=True, align_corners=False
    )


NUDENET_EXPLICIT_CLASSES: tuple[str, ...] = (
    "FEMALE_GENITALIA_EXPOSED",
    "MALE_GENITALIA_EXPOSED",
    "FEMALE_BREAST_EXPOSED",
    "BUTTOCKS_EXPOSED",
    "ANUS_EXPOSED",
)


class NudeNetScorer:
    """NSFW per frame from nudenet's shipped ONNX detector (AGPL-3.0, an optional extra).

    A frame's score is the highest detector confidence for any exposed explicit body part
    (`NUDENET_EXPLICIT_CLASSES`); covered parts, faces and feet do not count. Frames are RGB
    uint8 arrays (H, W, 3), letterboxed to the model's square input as nudenet itself does, and
    run through the ONNX session in batches.
    """

    name = "nudenet"

    def __init__(self, *, batch_size: int = 16) -> None:
        nudenet = _import_optional("nudenet", "nudenet (pip install 'socialflow-pipelines[nsfw]')")
        self._cv2 = _import_optional("cv2", "opencv (installed with nudenet)")
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
            batch = np.stack([self._prepare(frame) for frame in items[start : start + self.batch_size]])
            (raw,) = self._session.run(None, {self._input_name: batch})[:1]
            # raw: (batch, 4 box coordinates + one score per class, anchors)
            class_scores = raw[:, 4:, :][:, self._explicit, :]
            out[start : start + len(batch)] = class_scores.max(axis=(1, 2))
        return np.clip(out, 0.0, 1.0)

    def _prepare(self, frame: np.ndarray) -> np.ndarray:
        frame = _rgb_frame(frame)
        height, width = frame.shape[:2]
        side = max(height, width)
        square = np.zeros((side, side, 3), dtype=np.uint8)
        square[:height, :width] = frame
        resized = self._cv2.resize(square, (self._size, self._size), interpolation=self._cv2.INTER_LINEAR)
        return (resized.astype(np.float32) / 255.0).transpose(2, 0, 1)


def _rgb_frame(frame: np.ndarray) -> np.ndarray:
    frame = np.asarray(frame)
    if frame.ndim != 3 or frame.shape[2] not in (3, 4) or frame.dtype != np.uint8:
        raise ValueError(
            f"a frame must be an RGB(A) uint8 array (H, W, 3|4), got {frame.dtype} {frame.shape}"
        )
    return frame[:, :, :3]


def _import_optional(module: str, what: str) -> Any:
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise ScorerUnavailable(f"{what} is not installed") from exc


def _positive_index(config: Any, positive_label: str | None) -> int | None:
    """Index of the positive class in the logits; None means a single sigmoid output."""
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


def _positive_probability(torch: Any, logits: Any, positive: int | None) -> np.ndarray:
    if positive is None:
        probs = torch.sigmoid(logits[:, 0])
    else:
        probs = torch.softmax(logits.float(), dim=-1)[:, positive]
    return probs.float().cpu().numpy().astype(np.float64)


def _weights_version(path: Path) -> str:
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


# --------------------------------------------------------------------------------------------
# Building the scorers a moderator uses


# The shipped model a label's trained classifier fuses in: the offensive-language model knows
# English beyond the platform's reviews, so words the reviews never showed do not read as abuse.
LABEL_PRIOR_MODELS: dict[str, str] = {"toxicity": "alt-profanity-check"}


def text_model_params(label: str, *, seed: int = 0) -> TextClassifierParams:
    """The classifier family every path trains for a text label (assets, `train`, `eval`)."""
    if label not in TEXT_LABELS:
        raise ValueError(f"unknown text label {label!r}; known: {', '.join(TEXT_LABELS)}")
    return TextClassifierParams(seed=seed, prior=LABEL_PRIOR_MODELS.get(label))


def text_scorers(
    trained: Mapping[str, tuple[TextClassifier, str]],
    *,
    local_models: Mapping[str, Scorer] | None = None,
) -> tuple[dict[str, Scorer], dict[str, str]]:
    """Scorers for the text labels and the reasons for labels left without one.

    Per label, in order: a configured local transformers model, the pipeline's trained model
    (`trained[label] = (model, version)`), and for toxicity alone alt-profanity-check's shipped
    model. A label with none of these is missing, with a reason that says how to train one.
    """
    scorers: dict[str, Scorer] = {}
    unavailable: dict[str, str] = {}
    for label in TEXT_LABELS:
        if local_models and label in local_models:
            scorers[label] = local_models[label]
        elif label in trained:
            model, version = trained[label]
            scorers[label] = TrainedTextScorer(model, name=f"{label}_model", version=version)
        elif label == "toxicity":
            try:
                scorers[label] = ProfanityCheckScorer()
            except ScorerUnavailable as exc:
                unavailable[label] = str(exc)
        else:
            unavailable[label] = f"no trained {label}_model published (run `socialflow train {label}`)"
    return scorers, unavailable


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


# --------------------------------------------------------------------------------------------
# The moderator


@dataclass(frozen=True)
class VideoItem:
    """A video to moderate: its text (see `video_text`) and sampled RGB uint8 frames."""

    text: str
    frames: Sequence[np.ndarray] = ()


def video_text(title: str | None, description: str | None = None, captions: str | None = None) -> str:
    """The text a video is judged by: title, description and captions, one per line."""
    return "\n".join(part.strip() for part in (title, description, captions) if part and part.strip())


@dataclass(frozen=True)
class ModerationResult:
    scores: dict[str, float | None]
    model_versions: dict[str, str | None]
    models: dict[str, str | None]
    missing: dict[str, str]
    decision: Decision = field(repr=False)

    @property
    def flags(self) -> tuple[str, ...]:
        return self.decision.flags

    @property
    def signals_used(self) -> tuple[str, ...]:
        return self.decision.signals_used

    def to_dict(self) -> dict[str, Any]:
        return {
            "decision": self.decision.decision,
            "flags": list(self.decision.flags),
            "reason": self.decision.reason,
            "scores": dict(self.scores),
            "model_versions": dict(self.model_versions),
            "models": dict(self.models),
            "signals_used": list(self.decision.signals_used),
            "missing": dict(self.missing),
        }


class ContentModerator:
    """Runs each label's scorer once over a whole batch and decides per item.

    `required` are the labels whose absence sends an item to review; by default the labels that
    have a scorer for that kind of item (so a configured model that could not score an item,
    say a video without frames, is not silently treated as clean), while labels with no model
    at all are reported in `missing` but do not block.
    """

    def __init__(
        self,
        text_scorers: Mapping[str, Scorer],
        frame_scorers: Mapping[str, Scorer] | None = None,
        thresholds: ModerationThresholds | None = None,
        *,
        unavailable: Mapping[str, str] | None = None,
        required: Collection[str] | None = None,
    ) -> None:
        self.text_scorers = dict(text_scorers)
        self.frame_scorers = dict(frame_scorers or {})
        for label in self.text_scorers:
            if label not in TEXT_LABELS:
                raise ValueError(f"{label!r} is not a text label ({', '.join(TEXT_LABELS)})")
        for label in self.frame_scorers:
            if label not in FRAME_LABELS:
                raise ValueError(f"{label!r} is not a frame label ({', '.join(FRAME_LABELS)})")
        self.thresholds = thresholds or ModerationThresholds()
        self.unavailable = dict(unavailable or {})
        self.required = None if required is None else frozenset(required)

    def moderate_texts(self, texts: Sequence[str]) -> list[ModerationResult]:
        """Posts, comments, or any text item."""
        scores, missing = self._score_texts(texts)
        return [
            self._result(TEXT_LABELS, scores[i], missing[i], self.text_scorers) for i in range(len(texts))
        ]

    def moderate_videos(self, videos: Sequence[VideoItem]) -> list[ModerationResult]:
        """Videos: text labels on their text, frame labels on their frames (max over frames:
        one explicit frame is enough to act on)."""
        scores, missing = self._score_texts([video.text for video in videos])
        frames = [_rgb_frame(frame) for video in videos for frame in video.frames]
        owner = np.repeat(np.arange(len(videos)), [len(video.frames) for video in videos])
        for label in FRAME_LABELS:
            scorer = self.frame_scorers.get(label)
            if scorer is None:
                for item_missing in missing:
                    item_missing[label] = self.unavailable.get(label, "no model configured")
                continue
            per_frame = _checked(scorer, scorer.score(frames), len(frames)) if frames else np.empty(0)
            best = np.full(len(videos), -1.0)
            np.maximum.at(best, owner, per_frame)
            for i, value in enumerate(best):
                if value < 0:
                    missing[i][label] = "no frames"
                else:
                    scores[i][label] = float(value)
        all_scorers = {**self.text_scorers, **self.frame_scorers}
        return [self._result(LABELS, scores[i], missing[i], all_scorers) for i in range(len(videos))]

    def _score_texts(self, texts: Sequence[str]) -> tuple[list[dict[str, float]], list[dict[str, str]]]:
        scores: list[dict[str, float]] = [{} for _ in texts]
        missing: list[dict[str, str]] = [{} for _ in texts]
        present = [i for i, text in enumerate(texts) if text and text.strip()]
        for i in set(range(len(texts))) - set(present):
            for label in TEXT_LABELS:
                missing[i][label] = "empty text"
        batch = [texts[i] for i in present]
        for label in TEXT_LABELS:
            scorer = self.text_scorers.get(label)
            if scorer is None:
                for i in present:
                    missing[i][label] = self.unavailable.get(label, "no model configured")
                continue
            if not batch:
                continue
            for i, value in zip(present, _checked(scorer, scorer.score(batch), len(batch)), strict=True):
                scores[i][label] = float(value)
        return scores, missing

    def _result(
        self,
        labels: Sequence[str],
        scores: dict[str, float],
        missing: dict[str, str],
        scorers: Mapping[str, Scorer],
    ) -> ModerationResult:
        required = set(scorers) if self.required is None else self.required & set(labels)
        full_scores = {label: scores.get(label) for label in labels}
        decision = decide(full_scores, self.thresholds, required=sorted(required))
        return ModerationResult(
            scores=full_scores,
            model_versions={label: scorers[label].version if label in scores else None for label in labels},
            models={label: scorers[label].name if label in scores else None for label in labels},
            missing=missing,
            decision=decision,
        )


def _checked(scorer: Scorer, values: np.ndarray, expected: int) -> np.ndarray:
    values = np.asarray(values, dtype=np.float64)
    if (
        values.shape != (expected,)
        or not np.isfinite(values).all()
        or (values < 0).any()
        or (values > 1).any()
    ):
        raise RuntimeError(
            f"scorer {scorer.name} {scorer.version} returned {values.shape} values outside [0, 1] "
            f"or not one per input ({expected})"
        )
    return values
