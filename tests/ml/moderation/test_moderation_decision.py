"""The decision rule at its boundaries, missing signals never read as clean, and the thresholds
from the environment."""

from __future__ import annotations

import pytest

from socialflow_pipelines.config import Settings
from socialflow_pipelines.ml.moderation import (
    APPROVED,
    FLAGGED,
    REJECTED,
    REVIEW_REQUIRED,
    ModerationThresholds,
    decide,
)

T = ModerationThresholds()  # spam: threshold 0.8, review from 0.6, reject at 0.9


@pytest.mark.parametrize(
    ("spam", "decision", "flags"),
    [
        (0.9, REJECTED, ("spam",)),
        (0.8999, FLAGGED, ("spam",)),
        (0.8, FLAGGED, ("spam",)),
        (0.7999, REVIEW_REQUIRED, ()),
        (0.6, REVIEW_REQUIRED, ()),
        (0.5999, APPROVED, ()),
        (0.0, APPROVED, ()),
    ],
)
def test_decision_rule_boundaries(spam: float, decision: str, flags: tuple[str, ...]) -> None:
    result = decide({"spam": spam, "toxicity": 0.1}, T)
    assert result.decision == decision
    assert result.flags == flags
    assert result.signals_used == ("spam", "toxicity")


def test_worst_label_wins_and_every_label_over_threshold_is_flagged() -> None:
    result = decide({"spam": 0.85, "hate_speech": 0.86, "toxicity": 0.75}, T)
    assert result.decision == REJECTED  # hate_speech rejects at 0.85
    assert set(result.flags) == {"spam", "hate_speech", "toxicity"}
    assert "hate_speech 0.86" in result.reason


def test_missing_signals_are_never_read_as_clean() -> None:
    no_model = decide({"spam": 0.1, "hate_speech": None}, T)
    assert no_model.decision == APPROVED
    assert no_model.signals_used == ("spam",)
    required = decide({"spam": 0.1, "hate_speech": None}, T, required=["hate_speech"])
    assert required.decision == REVIEW_REQUIRED
    assert required.missing_required == ("hate_speech",)
    nothing = decide({"spam": None, "toxicity": None}, T)
    assert nothing.decision == REVIEW_REQUIRED
    assert nothing.signals_used == ()
    # A confident model still decides even when another signal is missing.
    assert decide({"spam": 0.95, "nsfw": None}, T, required=["nsfw"]).decision == REJECTED


def test_decide_rejects_unknown_labels_and_non_probabilities() -> None:
    with pytest.raises(ValueError, match="unknown moderation label"):
        decide({"sarcasm": 0.5}, T)
    for bad in (1.2, -0.1, float("nan")):
        with pytest.raises(ValueError, match="probability"):
            decide({"spam": bad}, T)


def test_thresholds_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ML_SPAM_THRESHOLD", "0.9")
    monkeypatch.setenv("ML_NSFW_THRESHOLD", "0.6")
    thresholds = ModerationThresholds.from_settings(Settings())
    assert thresholds.threshold("spam") == 0.9
    assert thresholds.threshold("nsfw") == 0.6
    assert thresholds.threshold("hate_speech") == 0.7
    assert thresholds.reject_at("spam") == pytest.approx(0.95)
    with pytest.raises(ValueError):
        ModerationThresholds(spam=1.5)
