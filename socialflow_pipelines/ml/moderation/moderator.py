"""The moderator: each label's scorer run once over a whole batch of posts, comments or videos,
and a decision per item.

Every score comes from a real model (a trained `TextClassifier`, the model shipped inside
`alt-profanity-check`, nudenet's ONNX detector, or a transformers model from a local directory).
A label without a model is reported as missing with its reason; no score is ever made up.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from socialflow_pipelines.ml.moderation.decision import (
    FRAME_LABELS,
    LABELS,
    TEXT_LABELS,
    Decision,
    ModerationThresholds,
    decide,
)
from socialflow_pipelines.ml.moderation.frames import rgb_frame
from socialflow_pipelines.ml.moderation.scorer import Scorer
from socialflow_pipelines.ml.text_normalise import normalise_text


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
        frames = [rgb_frame(frame) for video in videos for frame in video.frames]
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
        # Every text model reads the normal form: disguised text is judged as what it shows, and
        # text of format characters alone is as empty as it looks.
        texts = [normalise_text(text) if text else "" for text in texts]
        scores: list[dict[str, float]] = [{} for _ in texts]
        missing: list[dict[str, str]] = [{} for _ in texts]
        present = [i for i, text in enumerate(texts) if text.strip()]
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
