"""The moderator as configured now: the scorer behind every label, built from the settings (local
model paths, thresholds) and the published text models in the model store, and the moderation of
items with it. An item gets the same decision whichever path (asset, sensor run, API) judged it.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from datetime import datetime
from functools import cached_property
from typing import Any

import numpy as np

from socialflow_pipelines.config import Settings
from socialflow_pipelines.domains.catalog.records import ContentItem
from socialflow_pipelines.domains.moderation.records import HumanReview, ModerationRecord
from socialflow_pipelines.ml.moderation import (
    FRAME_LABELS,
    TEXT_LABELS,
    ContentModerator,
    FramesUnavailable,
    ModerationResult,
    ModerationThresholds,
    Scorer,
    ScorerUnavailable,
    TransformersTextScorer,
    VideoItem,
    frame_scorers,
    sample_frames,
    text_scorers,
)
from socialflow_pipelines.ml.text_classifier import TextClassifier
from socialflow_pipelines.platform.model_store import ModelNotFoundError, ModelStore


def model_name(label: str) -> str:
    """The model store name of a trained text label's model (`spam_model`, ...)."""
    return f"{label}_model"


def published_text_models(models: ModelStore) -> dict[str, tuple[TextClassifier, str]]:
    """The published version of each trained text label's model, keyed by label."""
    trained: dict[str, tuple[TextClassifier, str]] = {}
    for label in TEXT_LABELS:
        loaded = models.load_published(model_name(label))
        if loaded is not None:
            model, version = loaded
            trained[label] = (model, version.version)
    return trained


def local_text_models(settings: Settings) -> tuple[dict[str, Scorer], dict[str, str]]:
    """Transformers classifiers from the directories configured per label (ML_<LABEL>_MODEL_PATH)."""
    scorers: dict[str, Scorer] = {}
    failed: dict[str, str] = {}
    for label in TEXT_LABELS:
        path = getattr(settings, f"{label}_model_path")
        if path is None:
            continue
        try:
            scorers[label] = TransformersTextScorer(
                path, positive_label=getattr(settings, f"{label}_positive_label"), name=f"{label}:{path.name}"
            )
        except (ScorerUnavailable, OSError, ValueError) as exc:
            failed[label] = f"configured model at {path} could not be loaded: {exc}"
    return scorers, failed


class ModerationRuntime:
    """The scorers behind every label as configured now, and the moderation of items with them.

    Frame models load lazily: a batch of posts and comments never pays for them.
    """

    def __init__(self, settings: Settings, models: ModelStore) -> None:
        self.settings = settings
        self.thresholds = ModerationThresholds.from_settings(settings)
        local, failed = local_text_models(settings)
        self.text_scorers, unavailable = text_scorers(published_text_models(models), local_models=local)
        # A configured model that failed to load is a reason worth reporting over the fallback's.
        self.text_unavailable = {**unavailable, **{k: v for k, v in failed.items() if k in unavailable}}

    @cached_property
    def frame_models(self) -> tuple[dict[str, Scorer], dict[str, str]]:
        path = self.settings.violence_model_path
        try:
            return frame_scorers(
                violence_model_path=path, violence_positive_label=self.settings.violence_positive_label
            )
        except (ScorerUnavailable, OSError, ValueError) as exc:
            # A broken violence model must not stop moderation: report it, keep the other labels.
            scorers, unavailable = frame_scorers()
            return scorers, {
                **unavailable,
                "violence": f"configured model at {path} could not be loaded: {exc}",
            }

    @property
    def loaded_frame_models(self) -> tuple[dict[str, Scorer], dict[str, str]] | None:
        """The frame models once a video (or a preload) needed them; never loads them."""
        return self.__dict__.get("frame_models")  # where cached_property keeps its value

    def unload_frame_models(self) -> None:
        """Free the frame models; the next video loads them again."""
        self.__dict__.pop("frame_models", None)

    def describe_models(self) -> dict[str, str]:
        """Which model scores each label now, or why none does (for the UI and the API). The frame
        models are described once a video has loaded them, never loaded just to be described."""
        described = {}
        for label in TEXT_LABELS:
            scorer = self.text_scorers.get(label)
            described[label] = (
                f"{scorer.name} {scorer.version}" if scorer else f"none: {self.text_unavailable[label]}"
            )
        loaded = self.loaded_frame_models is not None
        frame_scorers_, frame_unavailable = self.loaded_frame_models or ({}, {})
        for label in FRAME_LABELS:
            scorer = frame_scorers_.get(label)
            if scorer is not None:
                described[label] = f"{scorer.name} {scorer.version}"
            else:
                described[label] = (
                    f"none: {frame_unavailable[label]}" if loaded else "not loaded: no video frames"
                )
        return described

    def text_moderator(self) -> ContentModerator:
        """For posts, comments and raw text: the text labels that have a model are required."""
        return ContentModerator(
            self.text_scorers,
            {},
            self.thresholds,
            unavailable=self.text_unavailable,
            required=set(self.text_scorers),
        )

    def video_moderator(self, *, with_frames: bool) -> ContentModerator:
        """For videos: with frames every label that has a model is required; without, only the
        text labels (the frame labels are reported missing with the reason, never as clean)."""
        scorers, unavailable = self.frame_models
        return ContentModerator(
            self.text_scorers,
            scorers,
            self.thresholds,
            unavailable={**self.text_unavailable, **unavailable},
            required=None if with_frames else set(self.text_scorers),
        )

    def moderate(
        self, items: Sequence[ContentItem], reviews: Mapping[tuple[str, str], HumanReview], now: datetime
    ) -> list[ModerationRecord]:
        """One record per item, in the order given: model output, then any human review on top."""
        results: dict[int, ModerationResult] = {}
        texts = [i for i, item in enumerate(items) if item.content_type != "video"]
        if texts:
            moderated = self.text_moderator().moderate_texts([items[i].text for i in texts])
            results |= dict(zip(texts, moderated, strict=True))
        videos = [i for i, item in enumerate(items) if item.content_type == "video"]
        if videos:
            results |= self._moderate_videos(items, videos)
        return [
            ModerationRecord.build(item, results[i], reviews.get(item.key), now)
            for i, item in enumerate(items)
        ]

    def _moderate_videos(
        self, items: Sequence[ContentItem], videos: Sequence[int]
    ) -> dict[int, ModerationResult]:
        frames: dict[int, list[np.ndarray]] = {}
        no_frames: dict[int, str] = {}
        for i in videos:
            path = items[i].media_path
            if not path:
                no_frames[i] = "no media file for this video; judged on its text"
            elif not self.frame_models[0]:
                no_frames[i] = "no frame model available; judged on its text"
            else:
                try:
                    frames[i] = sample_frames(path, self.settings.moderation_frames_per_video)
                except FramesUnavailable as exc:
                    no_frames[i] = f"{exc}; judged on its text"
        results: dict[int, ModerationResult] = {}
        framed = list(frames)
        if framed:
            moderated = self.video_moderator(with_frames=True).moderate_videos(
                [VideoItem(items[i].text, frames[i]) for i in framed]
            )
            results |= dict(zip(framed, moderated, strict=True))
        frameless = list(no_frames)
        if frameless:
            moderated = self.video_moderator(with_frames=False).moderate_videos(
                [VideoItem(items[i].text) for i in frameless]
            )
            for i, result in zip(frameless, moderated, strict=True):
                for label in FRAME_LABELS:
                    if label in self.frame_models[0]:
                        result.missing[label] = no_frames[i]
                results[i] = result
        return results


def current_text_scorer(label: str, settings: Settings, models: ModelStore) -> Scorer:
    """The scorer the pipeline uses for a text label now (`socialflow eval` without --train):
    a configured local model, else the published trained one, else (toxicity) alt-profanity-check."""
    if label not in TEXT_LABELS:
        raise ValueError(f"unknown text label {label!r}; known: {', '.join(TEXT_LABELS)}")
    runtime = ModerationRuntime(settings, models)
    if label not in runtime.text_scorers:
        raise ModelNotFoundError(runtime.text_unavailable[label])
    return runtime.text_scorers[label]


# The API's one cache of a built runtime. `ModelStore.load_published` already keeps the trained
# text classifiers per version, but a runtime also holds what no model store knows: transformers
# models loaded from the configured local directories, alt-profanity-check, and the frame models
# (nudenet's ONNX session, a violence image model), each seconds to load. The API must not pay
# that per request, yet must pick up a newly published version or other settings: the runtime is
# rebuilt whenever what it was built from changes.
_runtime_lock = threading.Lock()
_runtime: tuple[tuple[Any, ...], ModerationRuntime] | None = None


def _published_versions(models: ModelStore) -> tuple[str | None, ...]:
    return tuple(models.published_version(model_name(label)) for label in TEXT_LABELS)


def current_runtime(settings: Settings, models: ModelStore) -> ModerationRuntime:
    """The runtime for the published models, reused while the settings, the model store and the
    published text model versions stay the same."""
    global _runtime
    built_from = (settings, str(models.root), _published_versions(models))
    with _runtime_lock:
        if _runtime is None or _runtime[0] != built_from:
            _runtime = (built_from, ModerationRuntime(settings, models))
        return _runtime[1]


def forget_runtime() -> None:
    """Drop the cached runtime (its scorers and frame models): the next call builds a new one."""
    global _runtime
    with _runtime_lock:
        _runtime = None


def cached_runtime(models: ModelStore | None = None) -> ModerationRuntime | None:
    """The runtime this process holds now, if any (never builds one); with `models`, only if it
    was built from the text models published there now (a stale one is rebuilt on next use)."""
    with _runtime_lock:
        if _runtime is None:
            return None
        built_from, runtime = _runtime
    if models is not None and built_from[1:] != (str(models.root), _published_versions(models)):
        return None
    return runtime
