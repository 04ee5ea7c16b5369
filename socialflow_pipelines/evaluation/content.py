"""Offline evaluation of content analysis: sentiment and language on labeled files (entities: `entities`).

Formats:
- sentiment: CSV with `text,label`, label one of negative / neutral / positive. Metrics:
  accuracy, macro-F1 and macro-averaged recall (SemEval-2017 Task 4A's official measure).
- language: CSV with `text,label`, label an ISO 639-1 code (or `und`). Metrics: accuracy and
  recall per gold language.

Each also reports the off-the-shelf baseline the design names, measured on the same file, where
it differs from the pipeline: VADER's rule on every text (the pipeline abstains on non-English),
py3langid without the `und` rule.
"""

from __future__ import annotations

import dataclasses
import re
import time
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from socialflow_pipelines.config import Settings
from socialflow_pipelines.evaluation.datafiles import (
    DataFileError,
    LabeledTexts,
    read_labeled_csv,
    read_labeled_csvs,
)
from socialflow_pipelines.ml.content.sentiment import (
    SENTIMENT_LABELS,
    VADER_METHOD,
    LearnedSentiment,
    SentimentModel,
    SentimentModelParams,
    SentimentScorer,
)
from socialflow_pipelines.ml.text_normalise import normalise_text
from socialflow_pipelines.platform.model_store import ModelStore

Progress = Callable[[int, int], None] | None

_BATCH = 256


def _parse_sentiment(raw: str) -> str:
    label = raw.lower()
    if label not in SENTIMENT_LABELS:
        raise ValueError(f"expected one of {', '.join(SENTIMENT_LABELS)}")
    return label


def _parse_language(raw: str) -> str:
    label = raw.lower()
    if not re.fullmatch(r"[a-z]{2}|und", label):
        raise ValueError("expected an ISO 639-1 code (two letters) or und")
    return label


def in_batches(
    items: Sequence[Any], run: Callable[[Sequence[Any]], list[Any]], progress: Progress
) -> list[Any]:
    results: list[Any] = []
    for start in range(0, len(items), _BATCH):
        results.extend(run(items[start : start + _BATCH]))
        if progress:
            progress(min(start + _BATCH, len(items)), len(items))
    return results


def classification_metrics(gold: Sequence[str], predicted: Sequence[str], labels: Sequence[str]) -> dict:
    """Accuracy, macro-F1 and macro recall over `labels`, plus recall per label."""
    from sklearn.metrics import accuracy_score, f1_score, recall_score

    recalls = recall_score(gold, predicted, labels=list(labels), average=None, zero_division=0)
    return {
        "accuracy": round(float(accuracy_score(gold, predicted)), 4),
        "macro_f1": round(float(f1_score(gold, predicted, labels=list(labels), average="macro")), 4),
        "macro_recall": round(float(recalls.mean()), 4),
        **{f"recall_{label}": round(float(r), 4) for label, r in zip(labels, recalls, strict=True)},
    }


def sentiment_metrics(gold: Sequence[str], predicted: Sequence[str]) -> dict[str, float]:
    """`classification_metrics` plus SemEval 2013-2016's F1^PN: the mean F1 of positive and negative."""
    from sklearn.metrics import f1_score

    pn = f1_score(gold, predicted, labels=["positive", "negative"], average=None, zero_division=0)
    return {**classification_metrics(gold, predicted, SENTIMENT_LABELS), "f1_pn": round(float(pn.mean()), 4)}


def read_sentiment_texts(paths: Sequence[Path]) -> LabeledTexts:
    """Labeled sentiment files as one, texts in the normal form the analyzer reads."""
    rows = read_labeled_csvs(paths, _parse_sentiment)
    return dataclasses.replace(rows, texts=[normalise_text(text) for text in rows.texts])


def train_sentiment_model(
    paths: Sequence[Path], *, holdout: float = 0.2, seed: int = 0, progress: Progress = None
) -> tuple[SentimentModel, dict[str, Any]]:
    """Fit the learned family on a stratified (1 - holdout) part of the files with the pipeline's
    embedder, and measure it on the rest (`socialflow train sentiment --data FILE.csv`). The model
    returned is the one measured, so the version's figures describe that artifact."""
    from sklearn.model_selection import train_test_split

    rows = read_sentiment_texts(paths)
    labels = np.array(rows.labels)
    if min(np.unique(labels, return_counts=True)[1]) < 5 or len(set(rows.labels)) < len(SENTIMENT_LABELS):
        raise DataFileError(
            paths[0], None, f"training needs at least 5 posts of each of {', '.join(SENTIMENT_LABELS)}"
        )
    embeddings = embed_in_batches(rows.texts, progress)
    train, test = train_test_split(
        np.arange(len(rows.texts)), test_size=holdout, stratify=labels, random_state=seed
    )
    started = time.perf_counter()
    model = SentimentModel(SentimentModelParams(seed=seed)).fit(
        [rows.texts[i] for i in train], labels[train], embeddings[train]
    )
    seconds = round(time.perf_counter() - started, 2)
    predicted = model.predict_labels([rows.texts[i] for i in test], embeddings[test])
    metrics = {
        **sentiment_metrics(labels[test].tolist(), predicted),
        "n": len(test),
        "n_train": len(train),
        "holdout": holdout,
        "seed": seed,
        "train_seconds": seconds,
        "data": ",".join(str(path) for path in paths),
    }
    return model, metrics


def embed_in_batches(texts: Sequence[str], progress: Progress) -> np.ndarray:
    """The pipeline's sentence embeddings of `texts` (the analyzer's embedder), with progress."""
    from socialflow_pipelines.domains.content.service import base_analyzer

    embedder = base_analyzer().embedder
    parts = in_batches(texts, lambda batch: list(embedder.embed(list(batch))), progress)
    return np.stack(parts) if parts else np.zeros((0, embedder.dim), dtype=np.float32)


def current_sentiment(model_dir: Path | None) -> tuple[LearnedSentiment | None, str]:
    """The sentiment model the pipeline uses now: the published `sentiment_model` (and its method
    name), or None and VADER's."""
    from socialflow_pipelines.domains.content.service import SENTIMENT_MODEL, published_method

    models = ModelStore(model_dir or Settings().model_dir)
    loaded = models.load_published(SENTIMENT_MODEL)
    if loaded is None:
        return None, VADER_METHOD
    method = published_method(SENTIMENT_MODEL, loaded[1].version)
    return LearnedSentiment(loaded[0], method), method


def evaluate_sentiment(
    test: Path,
    train: Sequence[Path] = (),
    *,
    model_dir: Path | None = None,
    progress: Progress = None,
    seed: int = 0,
    **_: Any,
) -> dict[str, Any]:
    """The pipeline's sentiment on a labeled CSV: the family trained now on `train` (all of it),
    else the model the pipeline uses now (the published one, VADER until one is). VADER's rule on
    every text is measured beside it in the same run.

    Language detection runs first, as in the pipeline: a text it reads as another language gets
    no label, counted as `neutral` (what a reader of the store without a label would assume);
    `coverage` says how often that happened."""
    from socialflow_pipelines.ml.content.language import LanguageDetector

    data = read_sentiment_texts([test])
    extra: dict[str, Any] = {}
    if train:
        rows = read_sentiment_texts(train)
        train_embeddings = embed_in_batches(rows.texts, progress)
        started = time.perf_counter()
        model = SentimentModel(SentimentModelParams(seed=seed)).fit(rows.texts, rows.labels, train_embeddings)
        extra = {"trained_on": ",".join(map(str, train)), "n_train": len(rows.texts)}
        extra["train_seconds"] = round(time.perf_counter() - started, 2)
        learned, method = LearnedSentiment(model, "trained-now"), "trained-now"
    else:
        learned, method = current_sentiment(model_dir)
    vader = SentimentScorer()
    languages = [language for language, _ in LanguageDetector().detect_many(data.texts)]
    started = time.perf_counter()
    if learned is not None:
        embeddings = embed_in_batches(data.texts, progress)
        scored = learned.score_many(data.texts, languages, embeddings)
    else:
        scored = in_batches(
            list(zip(data.texts, languages, strict=True)),
            lambda batch: [vader.score(text, language) for text, language in batch],
            progress,
        )
    elapsed = time.perf_counter() - started
    baseline = sentiment_metrics(data.labels, [str(vader.vader(text).label) for text in data.texts])
    return {
        "task": "sentiment",
        "n": len(data.texts),
        **sentiment_metrics(data.labels, [s.label or "neutral" for s in scored]),
        "coverage": round(sum(s.label is not None for s in scored) / len(scored), 4),
        "model": method,
        **{
            f"baseline_vader_{key}": baseline[key]
            for key in ("accuracy", "macro_f1", "macro_recall", "f1_pn")
        },
        "items_per_s": round(len(data.texts) / elapsed, 1) if elapsed > 0 else None,
        **extra,
    }


def evaluate_language(
    test: Path,
    train: Sequence[Path] = (),
    *,
    model_dir: Path | None = None,
    progress: Progress = None,
    **_: Any,
) -> dict[str, Any]:
    """Language identification on a labeled CSV. Gold labels outside the supported set are
    counted (always wrong) and listed, since the platform cannot answer them. Nothing is trained
    (py3langid's shipped model): `train` is refused."""
    if train:
        raise ValueError("language identification is not trained here; drop --train")
    from socialflow_pipelines.ml.content.language import SUPPORTED_LANGUAGES, LanguageDetector

    data = read_labeled_csv(test, _parse_language)
    detector = LanguageDetector()
    started = time.perf_counter()
    predictions = in_batches(data.texts, detector.detect_many, progress)
    elapsed = time.perf_counter() - started
    predicted = [language for language, _ in predictions]
    baseline = [detector.best_supported(text) for text in data.texts]
    gold_counts = Counter(data.labels)
    per_language = {
        f"recall_{lang}": round(
            sum(g == p for g, p in zip(data.labels, predicted, strict=True) if g == lang) / count, 4
        )
        for lang, count in sorted(gold_counts.items())
    }
    unsupported = sorted(lang for lang in gold_counts if lang not in SUPPORTED_LANGUAGES and lang != "und")
    n = len(data.labels)
    return {
        "task": "language",
        "n": n,
        "accuracy": round(sum(g == p for g, p in zip(data.labels, predicted, strict=True)) / n, 4),
        "und_rate": round(predicted.count("und") / n, 4),
        "baseline_py3langid_accuracy": round(
            sum(g == p for g, p in zip(data.labels, baseline, strict=True)) / n, 4
        ),
        **per_language,
        "unsupported_gold_languages": ",".join(unsupported),
        "items_per_s": round(n / elapsed, 1),
    }


EVAL_TASKS: dict[str, Callable[..., dict[str, Any]]] = {
    "sentiment": evaluate_sentiment,
    "language": evaluate_language,
}
