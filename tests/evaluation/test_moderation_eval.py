"""`socialflow eval spam|toxicity|hate_speech` on small CSVs: label words, errors that name the
line, training on the fly, and judging the model the pipeline would use now."""

from __future__ import annotations

import csv
import json
import random
from pathlib import Path

import pytest

from socialflow_pipelines.evaluation.datafiles import DataFileError
from socialflow_pipelines.evaluation.moderation import (
    EVAL_TASKS,
    label_parser,
    train_text_model,
)
from socialflow_pipelines.platform.model_store import ModelNotFoundError, ModelStore

METRICS = {
    "n",
    "accuracy",
    "precision",
    "recall",
    "f1",
    "roc_auc",
    "pr_auc",
    "items_per_s",
    "model",
    "version",
}


def write_csv(path: Path, rows: list[tuple[str, str]], header: tuple[str, ...] = ("text", "label")) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def sms_like(n: int, seed: int) -> list[tuple[str, str]]:
    rng = random.Random(seed)
    filler = ["you", "the", "now", "today", "call", "me", "later", "ok", "pls", "txt"]
    spam = ["win", "free", "prize", "cash", "claim", "urgent", "voucher", "ringtone", "offer", "£1000"]
    ham = ["dinner", "mum", "home", "sorry", "lol", "love", "tonight", "class", "bus", "sleep"]
    rows = []
    for i in range(n):
        is_spam = i % 3 == 0
        words = rng.sample(spam if is_spam else ham, 2) + rng.sample(filler, 3)
        rng.shuffle(words)
        rows.append((" ".join(words), "spam" if is_spam else "ham"))
    return rows


@pytest.mark.parametrize(
    ("task", "raw", "expected"),
    [
        ("spam", "spam", 1),
        ("spam", "HAM", 0),
        ("spam", "1", 1),
        ("spam", "False", 0),
        ("spam", "not", 0),
        ("toxicity", "offensive", 1),
        ("toxicity", "Hate", 1),
        ("toxicity", "toxic", 1),
        ("toxicity", "neither", 0),
        ("toxicity", "true", 1),
        ("hate_speech", "hate", 1),
        ("hate_speech", "offensive", 0),
        ("hate_speech", "neither", 0),
        ("hate_speech", "0", 0),
    ],
)
def test_label_words_per_task(task: str, raw: str, expected: int) -> None:
    assert label_parser(task)(raw) == expected


def test_words_of_another_task_are_refused() -> None:
    with pytest.raises(ValueError):
        label_parser("spam")("offensive")
    with pytest.raises(ValueError):
        label_parser("toxicity")("spam")


def test_unknown_label_is_reported_with_its_line(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "bad.csv", [("hello", "ham"), ("win now", "spam"), ("what", "maybe")])
    with pytest.raises(DataFileError, match=r"bad\.csv:4: bad label 'maybe'"):
        EVAL_TASKS["spam"](path, (path,))


def test_malformed_line_is_named(tmp_path: Path) -> None:
    path = tmp_path / "broken.csv"
    path.write_text('text,label\nhello,ham\n"unterminated,spam\n', encoding="utf-8")
    with pytest.raises(DataFileError, match=r"broken\.csv:3"):
        EVAL_TASKS["spam"](path, (path,))


def test_other_columns_are_ignored_and_training_on_the_fly_beats_chance(tmp_path: Path) -> None:
    train = write_csv(
        tmp_path / "train.csv", [(t, lab, "x") for t, lab in sms_like(180, 1)], ("text", "label", "id")
    )
    test = write_csv(tmp_path / "test.csv", sms_like(90, 2))
    seen: list[tuple[int, int]] = []
    result = EVAL_TASKS["spam"](
        test, (train, train), model_dir=tmp_path / "models", progress=lambda d, t: seen.append((d, t))
    )
    assert set(result) >= METRICS
    assert result["n"] == 90 and result["n_train"] == 360  # two files, concatenated
    assert result["accuracy"] > 2 / 3 + 0.15  # two thirds is the all-ham baseline
    assert result["roc_auc"] > 0.9
    assert result["model"] == "spam_model" and result["version"] == "trained-now"
    assert result["threshold"] == 0.5
    assert seen[-1] == (90, 90)
    json.dumps(result)


def test_without_training_judges_the_published_model(tmp_path: Path) -> None:
    data = write_csv(tmp_path / "labeled.csv", sms_like(200, 3))
    model, metrics = train_text_model("spam", [data], seed=0)
    assert metrics["n"] == 40 and metrics["accuracy"] > 0.8
    registry = ModelStore(tmp_path / "models")
    version = registry.save("spam_model", model, metrics=metrics, params=model.describe())
    registry.publish("spam_model", version.version)
    test = write_csv(tmp_path / "test.csv", sms_like(60, 4))
    result = EVAL_TASKS["spam"](test, model_dir=tmp_path / "models")
    assert result["model"] == "spam_model" and result["version"] == version.version
    assert result["accuracy"] > 0.8


def test_without_a_published_model_the_user_is_told_to_train(tmp_path: Path) -> None:
    test = write_csv(tmp_path / "test.csv", [("you are hateful", "hate"), ("nice day", "neither")])
    with pytest.raises(ModelNotFoundError, match="socialflow train hate_speech"):
        EVAL_TASKS["hate_speech"](test, model_dir=tmp_path / "models")


def test_toxicity_falls_back_to_alt_profanity_check(tmp_path: Path) -> None:
    rows = [
        ("you are a fucking idiot", "offensive"),
        ("shut up you stupid bitch", "hate"),
        ("what a lovely morning at the park", "neither"),
        ("thanks for the help with my homework", "not"),
    ]
    result = EVAL_TASKS["toxicity"](write_csv(tmp_path / "tox.csv", rows), model_dir=tmp_path / "models")
    assert result["model"] == "alt-profanity-check"
    assert result["accuracy"] == 1.0 and result["roc_auc"] == 1.0
    assert result["baseline_profanity_check_roc_auc"] == result["roc_auc"]
    assert result["baseline_profanity_check_pr_auc"] == result["pr_auc"]


def test_a_toxicity_model_trained_on_the_fly_is_reported_beside_alt_profanity_check(tmp_path: Path) -> None:
    rng = random.Random(5)
    insults = ["you are a fucking idiot", "shut up you stupid bitch", "go to hell loser", "fuck off moron"]
    chatter = ["lovely morning at the park", "thanks for the help", "see you at dinner", "great match today"]
    rows = [
        (rng.choice(insults), "offensive") if i % 2 else (rng.choice(chatter), "neither") for i in range(60)
    ]
    train = write_csv(tmp_path / "train.csv", rows)
    test = write_csv(tmp_path / "test.csv", [(t, "toxic") for t in insults] + [(t, "not") for t in chatter])
    result = EVAL_TASKS["toxicity"](test, (train,), model_dir=tmp_path / "models")
    assert result["model"] == "toxicity_model" and result["roc_auc"] == 1.0
    assert result["baseline_profanity_check_roc_auc"] == 1.0
    assert 0 < result["baseline_profanity_check_pr_auc"] <= 1
    json.dumps(result)


def test_only_toxicity_reports_the_profanity_check_baseline(tmp_path: Path) -> None:
    train = write_csv(tmp_path / "train.csv", sms_like(120, 1))
    result = EVAL_TASKS["spam"](write_csv(tmp_path / "test.csv", sms_like(30, 2)), (train,))
    assert "baseline_profanity_check_roc_auc" not in result


def test_eval_tasks_cover_the_text_labels() -> None:
    assert set(EVAL_TASKS) == {"spam", "toxicity", "hate_speech"}
