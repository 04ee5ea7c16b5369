"""The labels, the per-label thresholds and the rule that turns model probabilities into one of
four decisions: what "flagged" or "rejected" means, whichever model scored the item."""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from socialflow_pipelines.config import Settings

TEXT_LABELS: tuple[str, ...] = ("spam", "toxicity", "hate_speech")
FRAME_LABELS: tuple[str, ...] = ("nsfw", "violence")
LABELS: tuple[str, ...] = TEXT_LABELS + FRAME_LABELS

APPROVED, FLAGGED, REVIEW_REQUIRED, REJECTED = "approved", "flagged", "review_required", "rejected"
DECISIONS: tuple[str, ...] = (APPROVED, FLAGGED, REVIEW_REQUIRED, REJECTED)


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
