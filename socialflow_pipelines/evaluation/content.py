"""Offline evaluation of content analysis: sentiment, language and entities on labeled files.

Formats:
- sentiment: CSV with `text,label`, label one of negative / neutral / positive. Metrics:
  accuracy, macro-F1 and macro-averaged recall (SemEval-2017 Task 4A's official measure).
- language: CSV with `text,label`, label an ISO 639-1 code (or `und`). Metrics: accuracy and
  recall per gold language.
- entities: CoNLL, one `token<TAB>BIO-tag` per line, a blank line between sentences, WNUT-17
  types (person, location, corporation, group, product, creative-work). Metrics: entity-level
  exact match (same tokens, same type) precision, recall and F1, overall and per type.

Each also reports the off-the-shelf baseline the design names, measured on the same file, where
it differs from the pipeline: VADER's rule on every text (the pipeline abstains on non-English),
py3langid without the `und` rule.
"""

from __future__ import annotations

import re
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from socialflow_pipelines.evaluation.datafiles import DataFileError, read_labeled_csv
from socialflow_pipelines.ml.content.sentiment import SENTIMENT_LABELS

Progress = Callable[[int, int], None] | None

WNUT_TYPES = ("person", "location", "corporation", "group", "product", "creative-work")
# Platform entity types → WNUT-17 types. spaCy's ORG covers both WNUT's corporation and group;
# it is mapped to corporation (companies and brands dominate ORG on social text) and NORP
# (nationalities, religious and political groups) to group. WNUT has no event type: events are
# not scored as predictions.
ENTITY_TYPE_TO_WNUT: dict[str, str] = {
    "person": "person",
    "location": "location",
    "organization": "corporation",
    "group": "group",
    "product": "product",
    "creative_work": "creative-work",
}
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


def _in_batches(
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


def evaluate_sentiment(
    test: Path,
    train: Path | None = None,
    *,
    model_dir: Path | None = None,
    progress: Progress = None,
    **_: Any,
) -> dict[str, Any]:
    """The pipeline's sentiment (language detection, then VADER or an abstention) on a labeled CSV.

    An abstention (non-English text) counts as `neutral`, which is what a reader of the store
    without a label would assume; `coverage` says how often that happened. No training: `train`
    and `model_dir` are not used."""
    from socialflow_pipelines.ml.content.language import LanguageDetector
    from socialflow_pipelines.ml.content.sentiment import SentimentScorer

    data = read_labeled_csv(test, _parse_sentiment)
    detector, scorer = LanguageDetector(), SentimentScorer()
    started = time.perf_counter()

    def run(texts: Sequence[str]) -> list[tuple[str | None, str]]:
        languages = [language for language, _ in detector.detect_many(texts)]
        pipeline = scorer.score_many(texts, languages)
        return [(s.label, str(scorer.vader(t).label)) for s, t in zip(pipeline, texts, strict=True)]

    predictions = _in_batches(data.texts, run, progress)
    elapsed = time.perf_counter() - started
    pipeline_labels = [label or "neutral" for label, _ in predictions]
    baseline = classification_metrics(data.labels, [b for _, b in predictions], SENTIMENT_LABELS)
    return {
        "task": "sentiment",
        "n": len(data.texts),
        **classification_metrics(data.labels, pipeline_labels, SENTIMENT_LABELS),
        "coverage": round(sum(label is not None for label, _ in predictions) / len(predictions), 4),
        "baseline_vader_accuracy": baseline["accuracy"],
        "baseline_vader_macro_f1": baseline["macro_f1"],
        "baseline_vader_macro_recall": baseline["macro_recall"],
        "items_per_s": round(len(data.texts) / elapsed, 1),
    }


def evaluate_language(
    test: Path,
    train: Path | None = None,
    *,
    model_dir: Path | None = None,
    progress: Progress = None,
    **_: Any,
) -> dict[str, Any]:
    """Language identification on a labeled CSV. Gold labels outside the supported set are
    counted (always wrong) and listed, since the platform cannot answer them."""
    from socialflow_pipelines.ml.content.language import SUPPORTED_LANGUAGES, LanguageDetector

    data = read_labeled_csv(test, _parse_language)
    detector = LanguageDetector()
    started = time.perf_counter()
    predictions = _in_batches(data.texts, detector.detect_many, progress)
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


@dataclass(frozen=True)
class ConllSentence:
    tokens: list[str]
    spans: set[tuple[int, int, str]]  # (first token, last token exclusive, WNUT type)
    line: int


def read_conll(path: Path | str) -> list[ConllSentence]:
    """Sentences of a `token<TAB>tag` file. An I- tag that does not continue an entity of its
    type starts one (as conlleval reads it)."""
    path = Path(path)
    if not path.is_file():
        raise DataFileError(path, None, "no such file")
    sentences: list[ConllSentence] = []
    tokens: list[str] = []
    tags: list[str] = []
    first_line = 1

    def close() -> None:
        if tokens:
            sentences.append(ConllSentence(list(tokens), _bio_spans(tags), first_line))
        tokens.clear()
        tags.clear()

    with path.open(encoding="utf-8", errors="strict") as handle:
        try:
            for number, raw in enumerate(handle, start=1):
                line = raw.rstrip("\r\n")
                if not line.strip():
                    close()
                    continue
                if not tokens:
                    first_line = number
                fields = line.split("\t")
                if len(fields) != 2 or not fields[0].strip() or not fields[1].strip():
                    raise DataFileError(path, number, f"expected token<TAB>tag, got {line!r}")
                tag = fields[1].strip()
                if tag != "O":
                    prefix, _, kind = tag.partition("-")
                    if prefix not in ("B", "I") or kind not in WNUT_TYPES:
                        raise DataFileError(
                            path, number, f"bad tag {tag!r}: expected O or B-/I- with {', '.join(WNUT_TYPES)}"
                        )
                tokens.append(fields[0].strip())
                tags.append(tag)
        except UnicodeDecodeError as exc:
            raise DataFileError(path, None, f"not UTF-8: {exc}") from exc
    close()
    if not sentences:
        raise DataFileError(path, None, "no sentences")
    return sentences


def _bio_spans(tags: Sequence[str]) -> set[tuple[int, int, str]]:
    spans: set[tuple[int, int, str]] = set()
    start, kind = None, None
    for i, tag in enumerate([*tags, "O"]):
        prefix, _, tag_kind = tag.partition("-")
        continues = prefix == "I" and tag_kind == kind
        if start is not None and not continues:
            spans.add((start, i, str(kind)))
            start, kind = None, None
        if prefix in ("B", "I") and not continues:
            start, kind = i, tag_kind
    return spans


def _token_offsets(tokens: Sequence[str]) -> tuple[str, list[int], list[int]]:
    starts, ends, position = [], [], 0
    for token in tokens:
        starts.append(position)
        ends.append(position + len(token))
        position += len(token) + 1
    return " ".join(tokens), starts, ends


def prf(true_positive: int, n_predicted: int, n_gold: int) -> tuple[float, float, float]:
    precision = true_positive / n_predicted if n_predicted else 0.0
    recall = true_positive / n_gold if n_gold else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return round(precision, 4), round(recall, 4), round(f1, 4)


def evaluate_entities(
    test: Path,
    train: Path | None = None,
    *,
    model_dir: Path | None = None,
    progress: Progress = None,
    **_: Any,
) -> dict[str, Any]:
    """Entity-level exact match of the pipeline's NER on a WNUT-17-style CoNLL file. Sentences
    are rebuilt by joining tokens with spaces; a predicted entity counts only if its characters
    start and end on token boundaries of the same tokens as a gold entity of the same type."""
    from socialflow_pipelines.ml.content.entities import EntityRecognizer

    sentences = read_conll(test)
    recognizer = EntityRecognizer()
    rebuilt = [_token_offsets(s.tokens) for s in sentences]
    started = time.perf_counter()
    found = _in_batches([text for text, _, _ in rebuilt], recognizer.recognize_many, progress)
    elapsed = time.perf_counter() - started
    gold_count: Counter[str] = Counter()
    predicted_count: Counter[str] = Counter()
    correct: Counter[str] = Counter()
    for sentence, (_, starts, ends), entities in zip(sentences, rebuilt, found, strict=True):
        predicted: set[tuple[int, int, str]] = set()
        for entity in entities:
            kind = ENTITY_TYPE_TO_WNUT.get(entity.type)
            if kind is None or entity.start not in starts or entity.end not in ends:
                continue
            predicted.add((starts.index(entity.start), ends.index(entity.end) + 1, kind))
        gold_count.update(kind for _, _, kind in sentence.spans)
        predicted_count.update(kind for _, _, kind in predicted)
        correct.update(kind for _, _, kind in predicted & sentence.spans)
    precision, recall, f1 = prf(
        sum(correct.values()), sum(predicted_count.values()), sum(gold_count.values())
    )
    result: dict[str, Any] = {
        "task": "entities",
        "n": len(sentences),
        "gold_entities": sum(gold_count.values()),
        "predicted_entities": sum(predicted_count.values()),
        "precision": precision,
        "recall": recall,
        "f1": f1,
    }
    for kind in WNUT_TYPES:
        p, r, f = prf(correct[kind], predicted_count[kind], gold_count[kind])
        result |= {f"precision_{kind}": p, f"recall_{kind}": r, f"f1_{kind}": f}
    result["items_per_s"] = round(len(sentences) / elapsed, 1)
    return result


EVAL_TASKS: dict[str, Callable[..., dict[str, Any]]] = {
    "sentiment": evaluate_sentiment,
    "language": evaluate_language,
    "entities": evaluate_entities,
}
