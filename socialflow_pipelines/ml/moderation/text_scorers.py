"""The models behind the text labels: the pipeline's trained classifier, alt-profanity-check's
shipped model, or a transformers classifier from a local directory; and which one each label gets.

The classifier family a text label is trained with (`text_model_params`) sits here, beside the
scorer that serves it, so the assets, `socialflow train` and `socialflow eval` train the same model.
"""

from __future__ import annotations

import importlib
import importlib.metadata
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from socialflow_pipelines.ml.moderation.decision import TEXT_LABELS
from socialflow_pipelines.ml.moderation.scorer import (
    Scorer,
    ScorerUnavailable,
    import_optional,
    positive_index,
    positive_probability,
    weights_version,
)
from socialflow_pipelines.ml.text_classifier import TextClassifier, TextClassifierParams

# The shipped model a label's trained classifier blends in: the offensive-language model knows
# English beyond the platform's reviews, so words the reviews never showed do not read as abuse.
# Not hate_speech: offensive is not hate. Blended into a Davidson-trained hate model it cut
# hate-vs-rest PR-AUC on held-out Davidson from 0.415 to 0.205, and on HatEval dev it raised ROC
# AUC (0.549 to 0.629) but not macro-F1 (0.367 to 0.364).
LABEL_PRIOR_MODELS: dict[str, str] = {"toxicity": "alt-profanity-check"}


def text_model_params(label: str, *, seed: int = 0) -> TextClassifierParams:
    """The classifier family every path trains for a text label (assets, `train`, `eval`)."""
    if label not in TEXT_LABELS:
        raise ValueError(f"unknown text label {label!r}; known: {', '.join(TEXT_LABELS)}")
    return TextClassifierParams(seed=seed, prior=LABEL_PRIOR_MODELS.get(label))


class TrainedTextScorer:
    """A `TextClassifier` trained by the pipeline, under its model store name and version."""

    def __init__(self, model: TextClassifier, *, name: str, version: str) -> None:
        self.model, self.name, self.version = model, name, version

    def score(self, items: Sequence[str]) -> np.ndarray:
        return self.model.predict_proba(items)


class ProfanityCheckScorer:
    """The offensive-language model shipped inside `alt-profanity-check` (a calibrated linear
    SVM over TF-IDF words): the toxicity scorer until the pipeline has trained its own."""

    name = "alt-profanity-check"

    def __init__(self) -> None:
        try:
            self._module = importlib.import_module("profanity_check")
        except ImportError as exc:
            raise ScorerUnavailable(f"alt-profanity-check is not installed: {exc}") from exc
        self.version = importlib.metadata.version("alt-profanity-check")

    def score(self, items: Sequence[str]) -> np.ndarray:
        if not items:
            return np.empty(0, dtype=np.float64)
        return np.asarray(self._module.predict_prob(list(items)), dtype=np.float64)


class TransformersTextScorer:
    """A transformers sequence classifier from a local directory (never downloaded); the positive
    class is chosen by `positive_index`."""

    def __init__(
        self,
        path: Path | str,
        *,
        positive_label: str | None = None,
        name: str | None = None,
        batch_size: int = 32,
        max_length: int = 256,
    ) -> None:
        transformers = import_optional("transformers", "transformers")
        self._torch = import_optional("torch", "torch")
        self.path = Path(path)
        self.tokenizer = transformers.AutoTokenizer.from_pretrained(self.path, local_files_only=True)
        self.model = transformers.AutoModelForSequenceClassification.from_pretrained(
            self.path, local_files_only=True
        ).eval()
        self._positive = positive_index(self.model.config, positive_label)
        self.name = name or f"transformers:{self.path.name}"
        self.version = weights_version(self.path)
        self.batch_size, self.max_length = batch_size, max_length

    def score(self, items: Sequence[str]) -> np.ndarray:
        out = np.empty(len(items), dtype=np.float64)
        # Length-sorted batches waste less padding.
        order = sorted(range(len(items)), key=lambda i: len(items[i]))
        with self._torch.inference_mode():
            for start in range(0, len(order), self.batch_size):
                idx = order[start : start + self.batch_size]
                batch = self.tokenizer(
                    [items[i] for i in idx],
                    padding=True,
                    truncation=True,
                    max_length=self.max_length,
                    return_tensors="pt",
                )
                out[idx] = positive_probability(self._torch, self.model(**batch).logits, self._positive)
        return out


def text_scorers(
    trained: Mapping[str, tuple[TextClassifier, str]],
    *,
    local_models: Mapping[str, Scorer] | None = None,
) -> tuple[dict[str, Scorer], dict[str, str]]:
    """Scorers for the text labels and the reasons for labels left without one.

    Per label, in order: a configured local transformers model, the pipeline's trained model
    (`trained[label] = (model, version)`), and for toxicity alone alt-profanity-check's shipped
    model. A label with none of these is missing, with a reason that says how to train one.
    """
    scorers: dict[str, Scorer] = {}
    unavailable: dict[str, str] = {}
    for label in TEXT_LABELS:
        if local_models and label in local_models:
            scorers[label] = local_models[label]
        elif label in trained:
            model, version = trained[label]
            scorers[label] = TrainedTextScorer(model, name=f"{label}_model", version=version)
        elif label == "toxicity":
            try:
                scorers[label] = ProfanityCheckScorer()
            except ScorerUnavailable as exc:
                unavailable[label] = str(exc)
        else:
            unavailable[label] = f"no trained {label}_model published (run `socialflow train {label}`)"
    return scorers, unavailable
