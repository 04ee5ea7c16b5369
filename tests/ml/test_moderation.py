"""The decision rule at its boundaries, missing signals, and the moderator over real scorers."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from socialflow_pipelines.config import get_settings
from socialflow_pipelines.ml.moderation import (
    APPROVED,
    FLAGGED,
    REJECTED,
    REVIEW_REQUIRED,
    ContentModerator,
    ModerationThresholds,
    ProfanityCheckScorer,
    Scorer,
    TrainedTextScorer,
    TransformersImageScorer,
    TransformersTextScorer,
    VideoItem,
    decide,
    frame_scorers,
    text_scorers,
    video_text,
)
from socialflow_pipelines.ml.text_classifier import TextClassifier

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
    get_settings.cache_clear()
    thresholds = ModerationThresholds.from_settings(get_settings())
    assert thresholds.threshold("spam") == 0.9
    assert thresholds.threshold("nsfw") == 0.6
    assert thresholds.threshold("hate_speech") == 0.7
    assert thresholds.reject_at("spam") == pytest.approx(0.95)
    with pytest.raises(ValueError):
        ModerationThresholds(spam=1.5)


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


def test_frame_scorers_report_why_a_label_is_absent() -> None:
    scorers, unavailable = frame_scorers()
    assert "violence" not in scorers and "configured" in unavailable["violence"]
    if importlib.util.find_spec("nudenet") is None:
        assert "nudenet" in unavailable["nsfw"]
    else:
        assert scorers["nsfw"].name == "nudenet"


@pytest.mark.skipif(
    importlib.util.find_spec("nudenet") is None, reason="nudenet (optional extra) not installed"
)
def test_nudenet_scores_frames_in_range() -> None:
    scorer, _ = frame_scorers()
    scores = scorer["nsfw"].score(
        [_frame(0), np.random.default_rng(0).integers(0, 256, (240, 320, 3), dtype=np.uint8)]
    )
    assert scores.shape == (2,)
    assert (scores >= 0).all() and (scores < 0.2).all()  # nothing explicit in a black or noise frame
    with pytest.raises(ValueError, match="RGB"):
        scorer["nsfw"].score([np.zeros((4, 4), dtype=np.uint8)])


def _tiny_bert(path: Path, labels: dict[int, str] | None = None) -> Path:
    transformers = pytest.importorskip("transformers")
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "free", "prize", "hello", "friend", "win"]
    path.mkdir()
    (path / "vocab.txt").write_text("\n".join(vocab))
    transformers.BertTokenizerFast(vocab_file=str(path / "vocab.txt")).save_pretrained(path)
    config = transformers.BertConfig(
        vocab_size=len(vocab),
        hidden_size=16,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=32,
    )
    if labels:
        config.id2label, config.label2id = labels, {v: k for k, v in labels.items()}
    transformers.BertForSequenceClassification(config).save_pretrained(path)
    return path


def test_transformers_text_scorer_from_a_local_directory(tmp_path: Path) -> None:
    path = _tiny_bert(tmp_path / "tiny")
    scorer = TransformersTextScorer(path, batch_size=2)
    texts = ["free prize", "hello friend win free prize hello", "hello"]
    scores = scorer.score(texts)
    assert scores.shape == (3,) and ((scores >= 0) & (scores <= 1)).all()
    one_by_one = np.concatenate([scorer.score([t]) for t in texts])
    np.testing.assert_allclose(scores, one_by_one, rtol=1e-4)  # batching and sorting keep the order
    assert scorer.version.startswith("tiny@")


def test_transformers_scorer_needs_the_positive_label_when_it_is_ambiguous(tmp_path: Path) -> None:
    path = _tiny_bert(tmp_path / "named", {0: "toxic", 1: "clean"})
    with pytest.raises(ValueError, match="positive label"):
        TransformersTextScorer(path)
    scorer = TransformersTextScorer(path, positive_label="TOXIC")
    assert scorer.score(["hello"]).shape == (1,)
    with pytest.raises(OSError):
        TransformersTextScorer(tmp_path / "absent")


def test_transformers_image_scorer_from_a_local_directory(tmp_path: Path) -> None:
    transformers = pytest.importorskip("transformers")
    path = tmp_path / "violence"
    config = transformers.ViTConfig(
        image_size=32,
        patch_size=8,
        hidden_size=16,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=32,
        id2label={0: "non_violence", 1: "violence"},
        label2id={"non_violence": 0, "violence": 1},
    )
    transformers.ViTForImageClassification(config).save_pretrained(path)
    (path / "preprocessor_config.json").write_text(
        '{"do_resize": true, "size": {"height": 32, "width": 32}, "do_normalize": true,'
        ' "image_mean": [0.5, 0.5, 0.5], "image_std": [0.5, 0.5, 0.5], "rescale_factor": 0.00392156862745098}'
    )
    scorer = TransformersImageScorer(path, positive_label="violence")
    frames = [_frame(0), np.full((48, 64, 3), 200, dtype=np.uint8), _frame(90)]
    scores = scorer.score(frames)
    assert scores.shape == (3,) and ((scores >= 0) & (scores <= 1)).all()
    np.testing.assert_allclose(scores, [scorer.score([f])[0] for f in frames], rtol=1e-5)
