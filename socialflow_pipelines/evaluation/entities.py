"""`socialflow eval entities`: entity-level exact match of an entity model on a CoNLL file.

Format: one `token<TAB>BIO-tag` per line, a blank line between sentences, WNUT-17 types (person,
location, corporation, group, product, creative-work). Metrics: entity-level exact match (same
tokens, same type) precision, recall and F1, overall and per type. The reader and the scorer live
in `ml/content/conll.py`, because training scores its held-out part with the same code.

With `--train` files the trainable family (`train_entity_model`) is trained now and scored;
without, the model the pipeline uses now: the published `entity_model`, or spaCy's small
pipeline when none is published. spaCy's small pipeline is always scored beside it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from socialflow_pipelines.evaluation.content import Progress, in_batches
from socialflow_pipelines.evaluation.datafiles import DataFileError
from socialflow_pipelines.ml.content import conll
from socialflow_pipelines.ml.content.conll import ENTITY_TYPE_TO_WNUT, WNUT_TYPES, ConllSentence

__all__ = [
    "ENTITY_TYPE_TO_WNUT",
    "EVAL_TASKS",
    "WNUT_TYPES",
    "evaluate_entities",
    "read_conll",
    "train_entities",
]

SPACY_SM = "spacy_sm"
SPACY_SM_VERSION = "en_core_web_sm-3.8.0"


@contextmanager
def _data_file_errors() -> Iterator[None]:
    """CoNLL format errors as the `DataFileError` every eval and train command reports."""
    try:
        yield
    except conll.ConllFormatError as exc:
        raise DataFileError(exc.path, exc.line, exc.reason) from exc


def read_conll(path: Path | str) -> list[ConllSentence]:
    with _data_file_errors():
        return conll.read_conll(path)


def train_entities(
    paths: Sequence[Path], *, seed: int = 0, progress: Progress = None
) -> tuple[Any, dict[str, Any]]:
    """`train_entity_model` on CoNLL files (concatenated): the model and its held-out metrics."""
    from socialflow_pipelines.ml.content.entity_model import train_entity_model

    if not paths:
        raise ValueError("no training files")
    with _data_file_errors():
        return train_entity_model(paths, seed=seed, progress=progress)


def _score(
    sentences: list[ConllSentence], recognize: Callable[[Sequence[str]], list[Any]], progress: Progress
) -> dict[str, Any]:
    texts = [sentence.text()[0] for sentence in sentences]
    started = time.perf_counter()
    found = in_batches(texts, recognize, progress)
    elapsed = time.perf_counter() - started
    return {**conll.score_entities(sentences, found), "items_per_s": round(len(texts) / elapsed, 1)}


def evaluate_entities(
    test: Path,
    train: Sequence[Path] = (),
    *,
    model_dir: Path | None = None,
    progress: Progress = None,
    **_: Any,
) -> dict[str, Any]:
    """Entity-level exact match on a WNUT-17-style CoNLL file. Sentences are rebuilt by joining
    tokens with spaces; a predicted entity counts only if its characters start and end on the
    boundaries of the same tokens as a gold entity of the same type."""
    from socialflow_pipelines.ml.content.entities import EntityRecognizer

    sentences = read_conll(test)
    baseline = EntityRecognizer()
    facts: dict[str, Any] = {}
    if train:
        model, held_out = train_entities(train, progress=progress)
        facts = {
            "model": "entity_model",
            "version": "trained now",
            "train_files": len(train),
            "train_seconds": held_out["train_seconds"],
            "best_epoch": held_out["best_epoch"],
            "holdout_f1": held_out["f1"],
        }
    else:
        from socialflow_pipelines.domains.content.service import ENTITY_MODEL
        from socialflow_pipelines.platform.model_store import ModelStore

        published = ModelStore(model_dir).load_published(ENTITY_MODEL) if model_dir is not None else None
        if published is not None:
            model, version = published
            facts = {"model": ENTITY_MODEL, "version": version.version}
        else:
            model = baseline
            facts = {"model": SPACY_SM, "version": SPACY_SM_VERSION}
    scored = _score(sentences, model.recognize_many, progress)
    spacy_sm = scored if model is baseline else _score(sentences, baseline.recognize_many, None)
    return {
        "task": "entities",
        **facts,
        **scored,
        **{f"baseline_spacy_sm_{key}": spacy_sm[key] for key in ("precision", "recall", "f1")},
    }


EVAL_TASKS: dict[str, Callable[..., dict[str, Any]]] = {"entities": evaluate_entities}
