"""`socialflow eval spam|toxicity|hate_speech` and the training behind `socialflow train <label>`.

The file is a CSV with a header holding `text` and `label` (other columns ignored). Labels are
1/0, true/false or words, case-insensitive, per task:

- spam: spam/1/true vs ham/0/false/not
- toxicity: toxic/offensive/hate/1/true vs not/neither/0/false
- hate_speech: hate/1/true vs offensive/neither/not/0/false

Without a training file the model judged is the one the pipeline would use now: the published
`{task}_model` in the model store (for toxicity, alt-profanity-check's shipped model when none
is published). With one, the same `TextClassifier` family is trained on it first.

Toxicity results also carry `baseline_profanity_check_roc_auc` / `_pr_auc`: alt-profanity-check
alone on the same test file in the same run, the off-the-shelf tool a trained model must beat.
"""

from __future__ import annotations

import dataclasses
import functools
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from socialflow_pipelines.config import Settings
from socialflow_pipelines.domains.moderation.runtime import current_text_scorer, model_name
from socialflow_pipelines.evaluation.datafiles import LabeledTexts, read_labeled_csvs
from socialflow_pipelines.ml.metrics import binary_metrics
from socialflow_pipelines.ml.moderation import (
    ProfanityCheckScorer,
    Scorer,
    ScorerUnavailable,
    TrainedTextScorer,
    text_model_params,
)
from socialflow_pipelines.ml.text_classifier import TextClassifier, train_with_holdout
from socialflow_pipelines.ml.text_normalise import normalise_text
from socialflow_pipelines.platform.model_store import ModelStore

THRESHOLD = 0.5
THRESHOLD_NOTE = "accuracy/precision/recall/f1 count probability >= 0.5 as positive"

_POSITIVE = {"1", "true"}
_NEGATIVE = {"0", "false"}
LABEL_WORDS: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    "spam": (frozenset(_POSITIVE | {"spam"}), frozenset(_NEGATIVE | {"ham", "not"})),
    "toxicity": (
        frozenset(_POSITIVE | {"toxic", "offensive", "hate"}),
        frozenset(_NEGATIVE | {"not", "neither"}),
    ),
    "hate_speech": (
        frozenset(_POSITIVE | {"hate"}),
        frozenset(_NEGATIVE | {"offensive", "neither", "not"}),
    ),
}
_SCORE_CHUNK = 2048


def label_parser(task: str) -> Callable[[str], int]:
    """The task's label reader: 1 or 0, ValueError (reported with file and line) otherwise."""
    if task not in LABEL_WORDS:
        raise ValueError(f"unknown moderation task {task!r}; known: {', '.join(LABEL_WORDS)}")
    positive, negative = LABEL_WORDS[task]

    def parse(raw: str) -> int:
        word = raw.strip().lower()
        if word in positive:
            return 1
        if word in negative:
            return 0
        raise ValueError(
            f"not a {task} label; use one of {', '.join(sorted(positive))} or {', '.join(sorted(negative))}"
        )

    return parse


def read_labeled_texts(paths: Sequence[Path], task: str) -> LabeledTexts:
    """Labeled files' rows as one, texts in the normal form the moderator gives its models: a
    model is trained and judged on the text it will be served."""
    rows = read_labeled_csvs(paths, label_parser(task))
    return dataclasses.replace(rows, texts=[normalise_text(text) for text in rows.texts])


def train_text_model(
    label: str, data: Sequence[Path], *, holdout: float = 0.2, seed: int = 0
) -> tuple[TextClassifier, dict[str, Any]]:
    """Train the label's model on a labeled CSV with a stratified held-out part; the metrics go
    into the model store with the version (`socialflow train <label> --data FILE.csv`)."""
    rows = read_labeled_texts(data, label)
    model, metrics = train_with_holdout(
        rows.texts, rows.labels, holdout=holdout, seed=seed, params=text_model_params(label, seed=seed)
    )
    return model, {**metrics, "data": ",".join(map(str, data)), "label": label}


def evaluate(
    task: str,
    test: Path,
    train: Sequence[Path] = (),
    *,
    model_dir: Path | None = None,
    progress: Callable[[int, int], None] | None = None,
    seed: int = 0,
) -> dict[str, Any]:
    """Metrics of one moderation model on a labeled test file, as a flat JSON-able dict."""
    rows = read_labeled_texts([test], task)
    extra: dict[str, Any] = {}
    if train:
        train_rows = read_labeled_texts(train, task)
        started = time.perf_counter()
        model = TextClassifier(text_model_params(task, seed=seed)).fit(train_rows.texts, train_rows.labels)
        extra = {"trained_on": ",".join(map(str, train)), "n_train": len(train_rows.texts)}
        extra["train_seconds"] = round(time.perf_counter() - started, 2)
        scorer: Scorer = TrainedTextScorer(model, name=model_name(task), version="trained-now")
    else:
        settings = Settings()  # the command's environment: local model paths, the model directory
        scorer = current_text_scorer(task, settings, ModelStore(model_dir or settings.model_dir))
    started = time.perf_counter()
    probabilities = _scores(scorer, rows.texts, progress)
    elapsed = time.perf_counter() - started
    if task == "toxicity":
        extra.update(_profanity_check_baseline(rows.labels, rows.texts, scorer, probabilities))
    return {
        "task": task,
        **binary_metrics(rows.labels, probabilities, threshold=THRESHOLD),
        "threshold": THRESHOLD,
        "threshold_note": THRESHOLD_NOTE,
        "items_per_s": round(len(rows.texts) / elapsed, 1) if elapsed > 0 else None,
        "model": scorer.name,
        "version": scorer.version,
        **extra,
    }


def _scores(
    scorer: Scorer, texts: Sequence[str], progress: Callable[[int, int], None] | None = None
) -> np.ndarray:
    probabilities = np.empty(len(texts), dtype=np.float64)
    for start in range(0, len(texts), _SCORE_CHUNK):
        chunk = texts[start : start + _SCORE_CHUNK]
        probabilities[start : start + len(chunk)] = scorer.score(chunk)
        if progress is not None:
            progress(start + len(chunk), len(texts))
    return probabilities


def _profanity_check_baseline(
    labels: Sequence[int], texts: Sequence[str], scorer: Scorer, probabilities: np.ndarray
) -> dict[str, Any]:
    """alt-profanity-check's ranking metrics on the same texts (None when not installed)."""
    if not isinstance(scorer, ProfanityCheckScorer):
        try:
            probabilities = _scores(ProfanityCheckScorer(), texts)
        except ScorerUnavailable:
            return {"baseline_profanity_check_roc_auc": None, "baseline_profanity_check_pr_auc": None}
    metrics = binary_metrics(labels, probabilities, threshold=THRESHOLD)
    return {
        "baseline_profanity_check_roc_auc": metrics["roc_auc"],
        "baseline_profanity_check_pr_auc": metrics["pr_auc"],
    }


EVAL_TASKS: dict[str, Callable[..., dict[str, Any]]] = {
    label: functools.partial(evaluate, label) for label in ("spam", "toxicity", "hate_speech")
}
