"""Moderation at run time: the one place that builds the `ContentModerator` from the model registry
and the settings, reads the items to judge from the app tables, and turns model output plus any
human review into the record stored in `ml.moderation_results`, the app columns and Redis.

The `moderation_results` asset, the `new_content_sensor` runs and `POST /api/v1/ml/moderate` all go
through here, so an item gets the same decision whichever path judged it.

Human reviews win: an item with a row in `moderation_reviews` keeps the reviewer's decision (the
latest review) and flags; the model's scores are still stored beside it for retraining and audit.
"""

from __future__ import annotations

import json
import random
import re
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import sqlalchemy as sa

from socialflow_pipelines.config import Settings
from socialflow_pipelines.ml.moderation import (
    APPROVED,
    FRAME_LABELS,
    TEXT_LABELS,
    ContentModerator,
    ModerationResult,
    ModerationThresholds,
    Scorer,
    ScorerUnavailable,
    TransformersTextScorer,
    VideoItem,
    frame_scorers,
    text_scorers,
    video_text,
)
from socialflow_pipelines.ml.text_classifier import TextClassifier
from socialflow_pipelines.platform.db import schema
from socialflow_pipelines.platform.db.engine import Database
from socialflow_pipelines.platform.model_store import ModelNotFoundError, ModelStore

CONTENT_TYPES: tuple[str, ...] = ("video", "post", "comment")
_ID_CHUNK = 900  # under SQLite's bound-parameter limit with room for the other parameters


def model_name(label: str) -> str:
    """The registry name of a trained text label's model (`spam_model`, ...)."""
    return f"{label}_model"


# --------------------------------------------------------------------------------------------
# Items and reviews, read from the app tables


@dataclass(frozen=True)
class ContentItem:
    """One post, comment or video as the moderator sees it."""

    content_type: str
    content_id: int
    created_at: datetime
    text: str
    media_path: str | None = None

    @property
    def key(self) -> tuple[str, int]:
        return self.content_type, self.content_id


@dataclass(frozen=True)
class HumanReview:
    """The latest reviewer decision on an item: it overrides the model's."""

    review_id: int
    reviewer_id: int
    decision: str
    labels: dict[str, bool]
    created_at: datetime

    @property
    def flags(self) -> tuple[str, ...]:
        return tuple(sorted(label for label, value in self.labels.items() if value is True))


_VTT_TIMING = re.compile(r"-->")
_VTT_TAG = re.compile(r"<[^>]+>")


def webvtt_text(webvtt: str) -> str:
    """The spoken words of a WebVTT document: cue text without header, ids, timings, notes or tags."""
    lines: list[str] = []
    for block in re.split(r"\n\s*\n", webvtt.replace("\r\n", "\n").strip()):
        rows = [row.strip() for row in block.split("\n") if row.strip()]
        if not rows or rows[0].startswith(("WEBVTT", "NOTE", "STYLE", "REGION")):
            continue
        timing = next((i for i, row in enumerate(rows) if _VTT_TIMING.search(row)), None)
        cue = rows if timing is None else rows[timing + 1 :]
        lines.extend(_VTT_TAG.sub("", row) for row in cue)
    return " ".join(line for line in lines if line)


def read_items(
    database: Database,
    *,
    window: tuple[datetime, datetime] | None = None,
    ids: Mapping[str, Sequence[int]] | None = None,
) -> list[ContentItem]:
    """Posts, comments and videos created in `window` ([start, end)), or the listed ids per type.

    A video's text is its title, description and, where `ml.captions` holds them, its captions.
    """
    if (window is None) == (ids is None):
        raise ValueError("give either a creation-time window or ids per content type")
    items: list[ContentItem] = []
    with database.engine.connect() as conn:
        for content_type in CONTENT_TYPES:
            table = schema.APP_CONTENT_TABLES[content_type]
            columns = (
                [table.c.id, table.c.created_at, table.c.title, table.c.description, table.c.media_path]
                if content_type == "video"
                else [table.c.id, table.c.created_at, table.c.text]
            )
            rows: list[Any] = []
            if window is not None:
                query = sa.select(*columns).where(
                    table.c.created_at >= window[0], table.c.created_at < window[1]
                )
                rows = list(conn.execute(query))
            else:
                wanted = sorted({int(i) for i in (ids or {}).get(content_type, ())})
                for start in range(0, len(wanted), _ID_CHUNK):
                    chunk = wanted[start : start + _ID_CHUNK]
                    rows += conn.execute(sa.select(*columns).where(table.c.id.in_(chunk))).all()
            if content_type == "video":
                captions = _captions(conn, [row.id for row in rows])
                items += [
                    ContentItem(
                        "video",
                        int(row.id),
                        utc(row.created_at),
                        video_text(row.title, row.description, captions.get(int(row.id))),
                        row.media_path,
                    )
                    for row in rows
                ]
            else:
                items += [ContentItem(content_type, int(r.id), utc(r.created_at), r.text or "") for r in rows]
    return sorted(items, key=lambda item: (CONTENT_TYPES.index(item.content_type), item.content_id))


def _captions(conn: sa.Connection, video_ids: Sequence[int]) -> dict[int, str]:
    captions = schema.captions
    found: dict[int, str] = {}
    for start in range(0, len(video_ids), _ID_CHUNK):
        chunk = list(video_ids[start : start + _ID_CHUNK])
        query = sa.select(captions.c.video_id, captions.c.webvtt).where(captions.c.video_id.in_(chunk))
        found |= {int(row.video_id): webvtt_text(row.webvtt) for row in conn.execute(query)}
    return found


def read_reviews(database: Database, keys: Iterable[tuple[str, int]]) -> dict[tuple[str, int], HumanReview]:
    """The latest human review per item, for the items in `keys` that have one."""
    by_type: dict[str, list[int]] = {}
    for content_type, content_id in keys:
        by_type.setdefault(content_type, []).append(int(content_id))
    reviews = schema.moderation_reviews
    latest: dict[tuple[str, int], HumanReview] = {}
    with database.engine.connect() as conn:
        for content_type, content_ids in by_type.items():
            for start in range(0, len(content_ids), _ID_CHUNK):
                chunk = content_ids[start : start + _ID_CHUNK]
                query = (
                    sa.select(reviews)
                    .where(reviews.c.content_type == content_type, reviews.c.content_id.in_(chunk))
                    .order_by(reviews.c.created_at, reviews.c.id)
                )
                for row in conn.execute(query):
                    latest[(content_type, int(row.content_id))] = HumanReview(
                        review_id=int(row.id),
                        reviewer_id=int(row.reviewer_id),
                        decision=str(row.decision),
                        labels=_json_object(row.labels),
                        created_at=utc(row.created_at),
                    )
    return latest


def reviewed_training_texts(database: Database, label: str) -> tuple[list[str], list[int]]:
    """Texts and 0/1 labels for one text label from the latest human review of each item whose
    review gives a verdict on that label: the training data of `{label}_model`."""
    reviews = schema.moderation_reviews
    with database.engine.connect() as conn:
        keys = {
            (str(row.content_type), int(row.content_id))
            for row in conn.execute(sa.select(reviews.c.content_type, reviews.c.content_id).distinct())
        }
    latest = read_reviews(database, keys)
    ids: dict[str, list[int]] = {}
    for content_type, content_id in latest:
        ids.setdefault(content_type, []).append(content_id)
    texts: list[str] = []
    labels: list[int] = []
    for item in read_items(database, ids=ids):
        verdict = latest[item.key].labels.get(label)
        if isinstance(verdict, bool) and item.text.strip():
            texts.append(item.text)
            labels.append(int(verdict))
    return texts, labels


def population_texts(database: Database, now: datetime, *, days: int = 30, limit: int = 20_000) -> list[str]:
    """Texts of the items created in the last `days` (a fixed random sample of at most `limit`):
    the population whose base rate a trained model is adapted to."""
    texts = [
        item.text for item in read_items(database, window=(now - timedelta(days=days), now)) if item.text
    ]
    if len(texts) > limit:
        texts = random.Random(0).sample(texts, limit)
    return texts


# --------------------------------------------------------------------------------------------
# Frames


class FramesUnavailable(RuntimeError):
    """A video's media could not give frames (no path, missing file, undecodable)."""


def sample_frames(path: str | Path, count: int) -> list[np.ndarray]:
    """Up to `count` RGB uint8 frames spread evenly over the video (OpenCV, shipped with the nsfw
    extra). Raises FramesUnavailable with the reason when none can be read."""
    try:
        import cv2
    except ImportError as exc:
        raise FramesUnavailable("opencv is not installed (pip install 'socialflow-pipelines[nsfw]')") from exc
    if not Path(path).is_file():
        raise FramesUnavailable(f"media file not found: {path}")
    capture = cv2.VideoCapture(str(path))
    try:
        if not capture.isOpened():
            raise FramesUnavailable(f"media could not be decoded: {path}")
        total = int(capture.get(cv2.CAP_PROP_FRAME_COUNT))
        positions = np.linspace(0, max(total - 1, 0), num=min(count, max(total, 1))).round().astype(int)
        frames = []
        for position in sorted(set(positions.tolist())):
            capture.set(cv2.CAP_PROP_POS_FRAMES, position)
            ok, frame = capture.read()
            if ok and frame is not None and frame.ndim == 3:
                frames.append(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB))
    finally:
        capture.release()
    if not frames:
        raise FramesUnavailable(f"no frame could be decoded from {path}")
    return frames


# --------------------------------------------------------------------------------------------
# The moderator the pipeline uses now


def published_text_models(registry: ModelStore) -> dict[str, tuple[TextClassifier, str]]:
    """The published version of each trained text label's model, keyed by label."""
    trained: dict[str, tuple[TextClassifier, str]] = {}
    for label in TEXT_LABELS:
        if registry.published_version(model_name(label)) is not None:
            model, version = registry.load(model_name(label))
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

    def __init__(self, settings: Settings, registry: ModelStore) -> None:
        self.settings = settings
        self.thresholds = ModerationThresholds.from_settings(settings)
        local, failed = local_text_models(settings)
        trained = published_text_models(registry)
        self.text_scorers, unavailable = text_scorers(trained, local_models=local)
        # A configured model that failed to load is a reason worth reporting over the fallback's.
        self.text_unavailable = {**unavailable, **{k: v for k, v in failed.items() if k in unavailable}}
        self.fingerprint = runtime_fingerprint(settings, registry)

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

    def describe_models(self) -> dict[str, str]:
        """Which model scores each label now, or why none does (for the UI and the API). The frame
        models are described once a video has loaded them, never loaded just to be described."""
        described = {}
        for label in TEXT_LABELS:
            scorer = self.text_scorers.get(label)
            described[label] = (
                f"{scorer.name} {scorer.version}" if scorer else f"none: {self.text_unavailable[label]}"
            )
        loaded = "frame_models" in self.__dict__  # cached_property: set once a video needed them
        frame_scorers_, frame_unavailable = self.frame_models if loaded else ({}, {})
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
        self, items: Sequence[ContentItem], reviews: Mapping[tuple[str, int], HumanReview], now: datetime
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


def current_text_scorer(label: str, settings: Settings, model_dir: Path | None = None) -> Scorer:
    """The scorer the pipeline uses for a text label now (`socialflow eval` without --train):
    a configured local model, else the published trained one, else (toxicity) alt-profanity-check."""
    if label not in TEXT_LABELS:
        raise ValueError(f"unknown text label {label!r}; known: {', '.join(TEXT_LABELS)}")
    runtime = ModerationRuntime(settings, ModelStore(model_dir or settings.model_dir))
    if label not in runtime.text_scorers:
        raise ModelNotFoundError(runtime.text_unavailable[label])
    return runtime.text_scorers[label]


def runtime_fingerprint(settings: Settings, registry: ModelStore) -> tuple[Any, ...]:
    """What the runtime depends on: a change in any of it means rebuilding the moderator."""
    return (
        str(registry.root),
        tuple(registry.published_version(model_name(label)) for label in TEXT_LABELS),
        tuple(str(getattr(settings, f"{label}_model_path")) for label in TEXT_LABELS),
        str(settings.violence_model_path),
        ModerationThresholds.from_settings(settings),
    )


_runtime_lock = threading.Lock()
_runtime_cache: dict[str, ModerationRuntime] = {}


def current_runtime(settings: Settings, registry: ModelStore | None = None) -> ModerationRuntime:
    """The runtime for the published models, reused while nothing it depends on changes (the API
    must not reload models per request, yet must pick up a newly published version)."""
    registry = registry or ModelStore(settings.model_dir)
    fingerprint = runtime_fingerprint(settings, registry)
    with _runtime_lock:
        cached = _runtime_cache.get("current")
        if cached is None or cached.fingerprint != fingerprint:
            cached = ModerationRuntime(settings, registry)
            _runtime_cache["current"] = cached
        return cached


# --------------------------------------------------------------------------------------------
# The record written to the results store, the app columns and Redis


@dataclass
class ModerationRecord:
    content_type: str | None
    content_id: int | None
    created_date: date | None
    scores: dict[str, float | None]
    model_versions: dict[str, str | None]
    signals: dict[str, Any]
    decision: str
    flags: list[str]
    human_reviewed: bool
    moderated_at: datetime
    reason: str = field(default="")

    @classmethod
    def build(
        cls, item: ContentItem | None, result: ModerationResult, review: HumanReview | None, now: datetime
    ) -> ModerationRecord:
        """The model's result, with the reviewer's decision and flags on top when one exists."""
        payload = result.to_dict()
        signals: dict[str, Any] = {
            "used": payload["signals_used"],
            "missing": payload["missing"],
            "models": payload["models"],
            "model_decision": payload["decision"],
            "model_flags": payload["flags"],
            "reason": payload["reason"],
        }
        decision, flags, reason = payload["decision"], payload["flags"], payload["reason"]
        if review is not None:
            decision, flags = review.decision, list(review.flags)
            reason = f"human review {review.review_id} by reviewer {review.reviewer_id}"
            signals["human_review"] = {
                "review_id": review.review_id,
                "reviewer_id": review.reviewer_id,
                "labels": review.labels,
                "reviewed_at": review.created_at.isoformat(),
            }
            signals["reason"] = reason
        return cls(
            content_type=None if item is None else item.content_type,
            content_id=None if item is None else item.content_id,
            created_date=None if item is None else item.created_at.date(),
            scores=payload["scores"],
            model_versions=payload["model_versions"],
            signals=signals,
            decision=decision,
            flags=flags,
            human_reviewed=review is not None,
            moderated_at=now,
            reason=reason,
        )

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> ModerationRecord:
        """A stored `ml.moderation_results` row."""
        signals = _json_object(row["signals"])
        created = row["created_date"]
        return cls(
            content_type=row["content_type"],
            content_id=int(row["content_id"]),
            created_date=date.fromisoformat(created) if isinstance(created, str) else created,
            scores=_json_object(row["scores"]),
            model_versions=_json_object(row["model_versions"]),
            signals=signals,
            decision=row["decision"],
            flags=list(_json_value(row["flags"])),
            human_reviewed=bool(row["human_reviewed"]),
            moderated_at=utc(row["moderated_at"]),
            reason=str(signals.get("reason", "")),
        )

    def same_outcome(self, other: ModerationRecord) -> bool:
        """Equal but for the time: a re-run that changes nothing keeps the first moderated_at."""
        return (
            self.scores == other.scores
            and self.model_versions == other.model_versions
            and self.signals == other.signals
            and self.decision == other.decision
            and self.flags == other.flags
            and self.human_reviewed == other.human_reviewed
        )

    @property
    def is_flagged(self) -> bool:
        """Posts and comments: anything but approved is hidden or queued for a person."""
        return self.decision != APPROVED

    @property
    def flag_reason(self) -> str | None:
        return f"{self.decision}: {self.reason}" if self.is_flagged else None

    def row(self) -> dict[str, Any]:
        """The `ml.moderation_results` row, JSON columns as text."""
        return {
            "content_type": self.content_type,
            "content_id": self.content_id,
            "created_date": self.created_date,
            "scores": json.dumps(self.scores, sort_keys=True),
            "model_versions": json.dumps(self.model_versions, sort_keys=True),
            "signals": json.dumps(self.signals, sort_keys=True, default=str),
            "decision": self.decision,
            "flags": json.dumps(self.flags),
            "human_reviewed": self.human_reviewed,
            "moderated_at": self.moderated_at,
        }

    def payload(self) -> dict[str, Any]:
        """What Redis holds and the API returns."""
        return {
            "content_type": self.content_type,
            "content_id": self.content_id,
            "decision": self.decision,
            "flags": list(self.flags),
            "reason": self.reason,
            "scores": dict(self.scores),
            "model_versions": dict(self.model_versions),
            "models": dict(self.signals.get("models", {})),
            "signals_used": list(self.signals.get("used", [])),
            "missing": dict(self.signals.get("missing", {})),
            "model_decision": self.signals.get("model_decision"),
            "human_reviewed": self.human_reviewed,
            "moderated_at": self.moderated_at.isoformat(),
        }


def read_results(
    database: Database, keys: Iterable[tuple[str, int]]
) -> dict[tuple[str, int], ModerationRecord]:
    """Stored results for the given items, where they exist."""
    by_type: dict[str, list[int]] = {}
    for content_type, content_id in keys:
        by_type.setdefault(content_type, []).append(int(content_id))
    table = schema.moderation_results
    found: dict[tuple[str, int], ModerationRecord] = {}
    with database.engine.connect() as conn:
        for content_type, content_ids in by_type.items():
            for start in range(0, len(content_ids), _ID_CHUNK):
                chunk = content_ids[start : start + _ID_CHUNK]
                query = sa.select(table).where(
                    table.c.content_type == content_type, table.c.content_id.in_(chunk)
                )
                for row in conn.execute(query):
                    record = ModerationRecord.from_row(row._mapping)
                    found[(content_type, int(row.content_id))] = record
    return found


def _json_value(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def _json_object(value: Any) -> dict[str, Any]:
    parsed = _json_value(value)
    return dict(parsed) if isinstance(parsed, Mapping) else {}


def utc(value: datetime | str) -> datetime:
    """SQLite hands back naive datetimes (or strings), Postgres the session's zone: make it UTC."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.astimezone(UTC) if value.tzinfo is not None else value.replace(tzinfo=UTC)
