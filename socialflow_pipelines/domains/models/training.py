"""`socialflow train TASK --data FILE [--data FILE2]`: one way to train a model from labelled files
and publish it through the model store's gate, for every task a person trains by hand.

Each task names its trainer (the same code `socialflow eval TASK --train` runs), the model store
name the pipeline loads, and the held-out metric its gate compares: a candidate that measures
worse than the published version (beyond the tolerance) is stored but not published.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from socialflow_pipelines.domains.content.service import ENTITY_MODEL, SENTIMENT_MODEL
from socialflow_pipelines.domains.moderation.runtime import model_name
from socialflow_pipelines.platform.db.engine import Database
from socialflow_pipelines.platform.model_store import Gate, ModelStore

Progress = Callable[[int, int], None] | None
Trained = tuple[Any, dict[str, Any]]


@dataclass(frozen=True)
class Trainer:
    stored_as: str
    gate: Gate
    train: Callable[[Sequence[Path], Progress], Trained]
    data: str  # what --data takes, for the CLI's help and errors


def _text_label(label: str) -> Callable[[Sequence[Path], Progress], Trained]:
    def train(paths: Sequence[Path], progress: Progress) -> Trained:
        from socialflow_pipelines.evaluation.moderation import train_text_model

        return train_text_model(label, paths)

    return train


def _sentiment(paths: Sequence[Path], progress: Progress) -> Trained:
    from socialflow_pipelines.evaluation.content import train_sentiment_model

    return train_sentiment_model(paths, progress=progress)


def _entities(paths: Sequence[Path], progress: Progress) -> Trained:
    from socialflow_pipelines.evaluation.entities import train_entities

    return train_entities(paths, progress=progress)


TRAINERS: dict[str, Trainer] = {
    **{
        label: Trainer(
            model_name(label), Gate("pr_auc", tolerance=0.01), _text_label(label), "CSV text,label"
        )
        for label in ("spam", "toxicity", "hate_speech")
    },
    "sentiment": Trainer(
        SENTIMENT_MODEL,
        Gate("macro_recall", tolerance=0.01),
        _sentiment,
        "CSV text,label (negative/neutral/positive)",
    ),
    "entities": Trainer(ENTITY_MODEL, Gate("f1", tolerance=0.01), _entities, "CoNLL token<TAB>BIO-tag"),
}


def train_and_publish(
    task: str,
    paths: Sequence[Path],
    models: ModelStore,
    *,
    publish: bool = True,
    mirror_to: Database | None = None,
    progress: Progress = None,
) -> dict[str, Any]:
    """Train `task` on `paths`, store the version, publish it if the gate allows (or keep it a
    candidate), and say what happened: the JSON the CLI prints."""
    if task not in TRAINERS:
        raise LookupError(f"unknown task {task!r}; known: {', '.join(TRAINERS)}")
    if not paths:
        raise ValueError(f"{task}: give at least one --data file ({TRAINERS[task].data})")
    trainer = TRAINERS[task]
    model, metrics = trainer.train(paths, progress)
    params = model.describe()
    if publish:
        publication = models.publish_candidate(
            trainer.stored_as, model, metrics=metrics, params=params, gate=trainer.gate, mirror_to=mirror_to
        )
        version, status = publication.candidate.version, publication.status
        published = publication.published_version
    else:
        version, status = (
            models.save(trainer.stored_as, model, metrics=metrics, params=params).version,
            "candidate",
        )
        published = models.published_version(trainer.stored_as)
    return {
        "model": trainer.stored_as,
        "version": version,
        "status": status,
        "published_version": published,
        "gate": f"{trainer.gate.metric} >= published - {trainer.gate.tolerance}",
        **metrics,
    }
