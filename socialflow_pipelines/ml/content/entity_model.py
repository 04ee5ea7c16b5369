"""The trainable entity model behind `entity_model` (`socialflow train entities`).

Family: spaCy's small English NER (en_core_web_sm 3.8.0, pinned digest), fine-tuned on CoNLL
files. The WNUT-17 types are taught as the OntoNotes labels the pretrained NER already has
(person → PERSON, location → GPE, corporation → ORG, group → NORP, product → PRODUCT,
creative-work → WORK_OF_ART), so training starts from weights that already mean "this is a
person" instead of fresh output rows, and a few thousand noisy sentences refine what 1.6M
OntoNotes words taught rather than replace it. The other OntoNotes labels (dates, money, ...)
are never gold, so training suppresses them. Why this family: it costs at analysis exactly what
the off-the-shelf recognizer costs (same network), and it measured better than the same network
trained from scratch on WNUT-17 (see the README).

The number of epochs is chosen by early stopping on a held-out part of the training sentences,
never on a test file, and the returned model is the best epoch's, with its held-out metrics.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from socialflow_pipelines.ml.content.conll import (
    WNUT_TO_ENTITY_TYPE,
    ConllFormatError,
    ConllSentence,
    read_conll,
    score_entities,
)
from socialflow_pipelines.ml.content.entities import (
    SPACY_DATA_SHA256,
    Entity,
    load_spacy_sm,
    recognize_with,
)

# WNUT-17 type → the pretrained NER's label it is taught as.
WNUT_TO_SPACY_LABEL: dict[str, str] = {
    "person": "PERSON",
    "location": "GPE",
    "corporation": "ORG",
    "group": "NORP",
    "product": "PRODUCT",
    "creative-work": "WORK_OF_ART",
}

Progress = Callable[[int, int], None] | None


@dataclass(frozen=True)
class EntityModelParams:
    init: str = "spacy_sm_ner"  # or "blank": the same architecture from random weights
    dropout: float = 0.2
    learn_rate: float = 0.001
    max_epochs: int = 30
    patience: int = 4  # epochs without a better held-out F1 before stopping
    holdout_fraction: float = 0.15
    batch_start: float = 4.0  # batch sizes grow from start to stop (spaCy's compounding)
    batch_stop: float = 32.0
    batch_size: int = 256  # at prediction


class EntityModel:
    """A trained NER with `EntityRecognizer`'s contract: platform entity types, character offsets,
    English and `und` only. Pickles as the spaCy config plus `nlp.to_bytes()`."""

    def __init__(
        self, nlp: Any, label_to_type: dict[str, str], params: EntityModelParams, facts: dict
    ) -> None:
        self._nlp = nlp
        self.label_to_type = dict(label_to_type)
        self.params = params
        self.facts = dict(facts)

    def recognize_many(
        self, texts: Sequence[str], languages: Sequence[str] | None = None
    ) -> list[list[Entity]]:
        return recognize_with(self._nlp, self.label_to_type, texts, languages, self.params.batch_size)

    def describe(self) -> dict[str, Any]:
        return {"family": "spacy_ner", **asdict(self.params), "labels": self.label_to_type, **self.facts}

    def __getstate__(self) -> dict[str, Any]:
        return {
            "config": self._nlp.config.to_str(),
            "bytes": self._nlp.to_bytes(),
            "label_to_type": self.label_to_type,
            "params": asdict(self.params),
            "facts": self.facts,
        }

    def __setstate__(self, state: dict[str, Any]) -> None:
        import spacy
        from thinc.api import Config

        config = Config().from_str(state["config"])
        nlp = spacy.util.get_lang_class(config["nlp"]["lang"]).from_config(config)
        self._nlp = nlp.from_bytes(state["bytes"])
        self.label_to_type = state["label_to_type"]
        self.params = EntityModelParams(**state["params"])
        self.facts = state["facts"]


def train_entity_model(
    paths: Sequence[Path | str],
    *,
    seed: int = 0,
    progress: Progress = None,
    params: EntityModelParams | None = None,
) -> tuple[EntityModel, dict[str, Any]]:
    """Train on the concatenated sentences of `paths`, holding out `holdout_fraction` of them
    (seeded) to choose the epoch. Returns the best epoch's model and its held-out metrics
    (`precision`, `recall`, `f1`, each per WNUT type, counts, `best_epoch`, `train_seconds`).
    `progress(epoch, max_epochs)` after each epoch."""
    params = params or EntityModelParams()
    sentences = [sentence for path in paths for sentence in read_conll(path)]
    if len(sentences) < 2:
        raise ConllFormatError(paths[0], None, "need at least 2 sentences (one to hold out)")
    started = time.perf_counter()
    order = list(range(len(sentences)))
    random.Random(seed).shuffle(order)
    n_holdout = min(len(sentences) - 1, max(1, round(len(sentences) * params.holdout_fraction)))
    holdout = [sentences[i] for i in sorted(order[:n_holdout])]
    fit = [sentences[i] for i in sorted(order[n_holdout:])]

    nlp, optimizer, label_to_type, examples = _prepare(fit, params, seed)
    model = EntityModel(nlp, label_to_type, params, {})
    rng = random.Random(seed)
    best: tuple[float, int, bytes, dict[str, Any]] | None = None
    epoch = 0
    for epoch in range(1, params.max_epochs + 1):
        _train_epoch(nlp, optimizer, examples, params, rng)
        with nlp.use_params(optimizer.averages):
            metrics = score_entities(holdout, model.recognize_many([s.text()[0] for s in holdout]))
            if best is None or metrics["f1"] > best[0]:
                best = (metrics["f1"], epoch, nlp.get_pipe("ner").to_bytes(), metrics)
        if progress:
            progress(epoch, params.max_epochs)
        if epoch - best[1] >= params.patience:
            break
    assert best is not None
    _, best_epoch, weights, metrics = best
    nlp.get_pipe("ner").from_bytes(weights)
    seconds = round(time.perf_counter() - started, 1)
    model.facts = {
        "base": f"en_core_web_sm 3.8.0 (sha256 {SPACY_DATA_SHA256[:12]})"
        if params.init == "spacy_sm_ner"
        else "blank en",
        "files": [str(path) for path in paths],
        "seed": seed,
        "train_sentences": len(fit),
        "holdout_sentences": len(holdout),
        "epochs_run": epoch,
        "best_epoch": best_epoch,
        "train_seconds": seconds,
    }
    return model, {**metrics, "best_epoch": best_epoch, "epochs_run": epoch, "train_seconds": seconds}


def _prepare(
    fit: Sequence[ConllSentence], params: EntityModelParams, seed: int
) -> tuple[Any, Any, dict[str, str], list[Any]]:
    """The pipeline to train, its optimizer, the label map and the training examples."""
    import spacy
    from spacy.training import Example

    spacy.util.fix_random_seed(seed)
    if params.init == "spacy_sm_ner":
        nlp = load_spacy_sm()
        to_label = WNUT_TO_SPACY_LABEL
    elif params.init == "blank":
        nlp = spacy.blank("en")
        nlp.add_pipe("ner")
        to_label = {kind: kind for kind in WNUT_TO_SPACY_LABEL}
    else:
        raise ValueError(f"unknown init {params.init!r}: expected spacy_sm_ner or blank")
    examples = []
    for sentence in fit:
        text, starts, ends = sentence.text()
        entities = [(starts[a], ends[b - 1], to_label[kind]) for a, b, kind in sorted(sentence.spans)]
        examples.append(Example.from_dict(nlp.make_doc(text), {"entities": entities}))
    sourced = params.init == "spacy_sm_ner"
    optimizer = nlp.resume_training() if sourced else nlp.initialize(lambda: examples)
    optimizer.learn_rate = params.learn_rate
    label_to_type = {label: WNUT_TO_ENTITY_TYPE[kind] for kind, label in to_label.items()}
    return nlp, optimizer, label_to_type, examples


def _train_epoch(
    nlp: Any, optimizer: Any, examples: list[Any], params: EntityModelParams, rng: random.Random
) -> None:
    from spacy.util import compounding, minibatch

    shuffled = list(examples)
    rng.shuffle(shuffled)
    sizes = compounding(params.batch_start, params.batch_stop, 1.001)
    for batch in minibatch(shuffled, size=sizes):
        nlp.update(batch, drop=params.dropout, sgd=optimizer)
