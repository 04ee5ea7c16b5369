"""The frame and transformers scorers: why a label is absent, nudenet on frames, and local
transformers text and image classifiers."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from socialflow_pipelines.ml.moderation import TransformersImageScorer, TransformersTextScorer, frame_scorers


def _frame(value: int) -> np.ndarray:
    return np.full((8, 12, 3), value, dtype=np.uint8)


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
