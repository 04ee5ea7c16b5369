"""The moderator over a batch: real scorers, versions, missing labels explained, a video's worst
frame, and which scorer each text label falls back to."""

from __future__ import annotations

import numpy as np
import pytest

from socialflow_pipelines.ml.moderation import (
    APPROVED,
    REJECTED,
    REVIEW_REQUIRED,
    ContentModerator,
    ProfanityCheckScorer,
    Scorer,
    TrainedTextScorer,
    VideoItem,
    text_scorers,
    video_text,
)
from socialflow_pipelines.ml.text_classifier import TextClassifier


def _spam_model() -> TextClassifier:
    spam = ["win a free prize now", "claim your cash voucher today", "urgent: free ringtone, txt WIN"]
    ham = ["see you at dinner", "sorry I am late, on the bus", "love you mum", "class was boring today"]
    texts = [t + suffix for t in spam + ham for suffix in ("", "!", " pls", " now", " ok")]
    labels = [int(t in spam) for t in spam + ham for _ in range(5)]
    return TextClassifier().fit(texts, labels)


@pytest.fixture(scope="module")
def spam_scorer() -> TrainedTextScorer:
    return TrainedTextScorer(_spam_model(), name="spam_model", version="v-test")


def test_moderator_scores_a_batch_with_versions_and_reports_missing_labels(
    spam_scorer: TrainedTextScorer,
) -> None:
    moderator = ContentModerator(
        {"spam": spam_scorer, "toxicity": ProfanityCheckScorer()},
        unavailable={"hate_speech": "no trained hate_speech_model published"},
    )
    posts = ["WIN a free cash prize, claim now", "see you at dinner tonight", "you are a fucking idiot", "  "]
    spammy, friendly, abusive, empty = moderator.moderate_texts(posts)
    assert spammy.scores["spam"] > friendly.scores["spam"]
    assert abusive.scores["toxicity"] > 0.7 > friendly.scores["toxicity"]
    assert "toxicity" in abusive.flags
    assert friendly.model_versions == {
        "spam": "v-test",
        "toxicity": ProfanityCheckScorer().version,
        "hate_speech": None,
    }
    assert friendly.scores["hate_speech"] is None
    assert friendly.missing == {"hate_speech": "no trained hate_speech_model published"}
    assert friendly.signals_used == ("spam", "toxicity")
    assert empty.decision.decision == REVIEW_REQUIRED
    assert empty.scores == {"spam": None, "toxicity": None, "hate_speech": None}
    assert empty.missing["spam"] == "empty text"
    assert set(friendly.to_dict()) >= {
        "decision",
        "flags",
        "scores",
        "model_versions",
        "signals_used",
        "missing",
    }


class MeanBrightness:
    """A stand-in frame model (the moderator's aggregation is under test, not this)."""

    name, version = "brightness", "1"

    def score(self, items: list[np.ndarray]) -> np.ndarray:
        return np.array([frame.mean() / 255.0 for frame in items])


def _frame(value: int) -> np.ndarray:
    return np.full((8, 12, 3), value, dtype=np.uint8)


def test_invisible_characters_and_compatibility_forms_do_not_evade_the_text_models(
    spam_scorer: TrainedTextScorer,
) -> None:
    """Issue 12: zero-width characters inside words were approved where the plain text went to
    review; every text model now reads the normal form, so the disguise changes nothing."""
    moderator = ContentModerator({"spam": spam_scorer})
    disguised = "W\u200bI\u200bN F\u200bR\u200bE\u200bE"
    assert spam_scorer.score([disguised])[0] < spam_scorer.score(["WIN FREE"])[0]  # raw, it hides
    fullwidth = "\uff37\uff29\uff2e \uff26\uff32\uff25\uff25"
    plain, zero_width, wide, invisible = moderator.moderate_texts(
        ["WIN FREE", disguised, fullwidth, "\u200b\u2060\ufeff"]
    )
    (video,) = moderator.moderate_videos([VideoItem(video_text("W\u200bIN F\u00adREE"))])
    assert plain.decision.decision == REVIEW_REQUIRED
    for same in (zero_width, wide):
        assert same.decision.decision == plain.decision.decision and same.scores == plain.scores
    assert video.scores["spam"] == plain.scores["spam"]
    assert invisible.scores["spam"] is None and invisible.missing["spam"] == "empty text"


def test_video_uses_the_worst_frame_and_its_own_text(spam_scorer: TrainedTextScorer) -> None:
    assert isinstance(MeanBrightness(), Scorer)
    moderator = ContentModerator({"spam": spam_scorer}, {"nsfw": MeanBrightness()})
    dark, one_bright, no_frames = moderator.moderate_videos(
        [
            VideoItem(video_text("My trip", "Day one", None), [_frame(10), _frame(20)]),
            VideoItem("Cooking", [_frame(0), _frame(255), _frame(0)]),
            VideoItem("No frames", []),
        ]
    )
    assert dark.scores["nsfw"] == pytest.approx(20 / 255)
    assert dark.decision.decision == APPROVED
    assert one_bright.scores["nsfw"] == 1.0 and one_bright.decision.decision == REJECTED
    assert no_frames.scores["nsfw"] is None and no_frames.missing["nsfw"] == "no frames"
    assert no_frames.decision.decision == REVIEW_REQUIRED  # nsfw has a model: its absence blocks
    assert dark.scores["violence"] is None and dark.missing["violence"] == "no model configured"
    assert dark.model_versions["nsfw"] == "1" and dark.model_versions["violence"] is None


def test_video_without_frame_models_is_decided_by_text_and_says_so(spam_scorer: TrainedTextScorer) -> None:
    moderator = ContentModerator({"spam": spam_scorer}, unavailable={"nsfw": "nudenet is not installed"})
    (result,) = moderator.moderate_videos([VideoItem("see you at dinner", [_frame(255)])])
    assert result.decision.decision == APPROVED
    assert result.signals_used == ("spam",)
    assert result.missing["nsfw"] == "nudenet is not installed"


def test_moderator_refuses_labels_in_the_wrong_place(spam_scorer: TrainedTextScorer) -> None:
    with pytest.raises(ValueError, match="not a text label"):
        ContentModerator({"nsfw": spam_scorer})
    with pytest.raises(ValueError, match="not a frame label"):
        ContentModerator({}, {"spam": MeanBrightness()})


def test_text_scorers_fall_back_to_profanity_check_for_toxicity_only() -> None:
    scorers, unavailable = text_scorers({"spam": (_spam_model(), "v1")})
    assert scorers["spam"].version == "v1"
    assert scorers["toxicity"].name == "alt-profanity-check"
    assert "hate_speech" not in scorers
    assert "socialflow train hate_speech" in unavailable["hate_speech"]
