"""What moderation stores per item (`ModerationRecord`: one `ml.moderation_results` row, the API's
and Redis' payload) and the human review that overrides the models (`HumanReview`)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from socialflow_pipelines.domains.catalog.records import ContentItem
from socialflow_pipelines.ml.moderation import APPROVED, ModerationResult
from socialflow_pipelines.platform.db.engine import decoded_json
from socialflow_pipelines.platform.time import utc


@dataclass(frozen=True)
class HumanReview:
    """The latest reviewer decision on an item: it overrides the model's."""

    review_id: int
    reviewer_id: str
    decision: str
    labels: dict[str, bool]
    created_at: datetime

    @property
    def flags(self) -> tuple[str, ...]:
        return tuple(sorted(label for label, value in self.labels.items() if value is True))


@dataclass
class ModerationRecord:
    """One item's moderation: the models' scores and versions, the signals used and missing, and
    the decision in force (the reviewer's when a human reviewed it, the models' otherwise)."""

    content_type: str | None
    content_id: str | None
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
        signals = json_object(row["signals"])
        created = row["created_date"]
        return cls(
            content_type=row["content_type"],
            content_id=row["content_id"],
            created_date=date.fromisoformat(created) if isinstance(created, str) else created,
            scores=json_object(row["scores"]),
            model_versions=json_object(row["model_versions"]),
            signals=signals,
            decision=row["decision"],
            flags=list(decoded_json(row["flags"])),
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


def json_object(value: Any) -> dict[str, Any]:
    """A JSON column as a dict: SQLite hands back text, Postgres the decoded value."""
    parsed = decoded_json(value)
    return dict(parsed) if isinstance(parsed, Mapping) else {}
