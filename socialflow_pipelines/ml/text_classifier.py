"""The trainable text classifier behind `spam_model`, `toxicity_model` and `hate_speech_model`.

One family for every text label: TF-IDF over word 1-2-grams and char_wb 2-5-grams (sublinear tf)
into a linear SVM whose scores are turned into probabilities by Platt scaling on cross-validation
folds. Why this family: on short social text it matches or beats heavier models at a fraction of
the cost (char n-grams survive misspellings, leetspeak and SMS shorthand, word bigrams keep
phrases), it scores thousands of texts a second on two cores, and calibrated probabilities let
the moderation thresholds (0.7, 0.8, ...) mean "this likely" on every label.

The SVM's C is chosen on the training data by cross-validated average precision from a small
grid, never by hand on a test file, so the same code adapts to other data sets.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from typing import Any, Self

import numpy as np
import sklearn
from sklearn.calibration import CalibratedClassifierCV
from sklearn.exceptions import NotFittedError
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.model_selection import GridSearchCV, StratifiedKFold, train_test_split
from sklearn.pipeline import FeatureUnion
from sklearn.svm import LinearSVC

from socialflow_pipelines.ml.metrics import binary_metrics

_URL = re.compile(r"https?://\S+|www\.\S+", re.IGNORECASE)
_MENTION = re.compile(r"@\w+")
_LONG_RUN = re.compile(r"(.)\1{3,}")
# Words, plus each punctuation mark or emoji as its own token ("!!!", "$", "😡" carry signal).
_TOKEN_PATTERN = r"(?u)\b\w+\b|[^\w\s]"


def normalize_social_text(text: str) -> str:
    """Lower-cased text with HTML entities decoded, links and @handles replaced by placeholder
    tokens, and runs of 4+ equal characters cut to 3.

    Why: scraped posts carry escapes (`&amp;`), and unique links and handles would be memorised
    instead of the words around them; "soooooo" and "sooo" should look alike.
    """
    text = html.unescape(text)
    text = _URL.sub(" httpurl ", text)
    text = _MENTION.sub(" @user ", text)
    text = _LONG_RUN.sub(r"\1\1\1", text)
    return text.lower()


@dataclass(frozen=True)
class TextClassifierParams:
    word_ngram_range: tuple[int, int] = (1, 2)
    char_ngram_range: tuple[int, int] = (2, 5)
    min_df: int = 2
    c_grid: tuple[float, ...] = (0.1, 0.3, 1.0)
    max_folds: int = 5
    seed: int = 0


def as_binary_labels(labels: Sequence[int | bool] | np.ndarray) -> np.ndarray:
    """Labels as a 0/1 int array; anything else is an error rather than a silent cast."""
    y = np.asarray(labels)
    if y.ndim != 1:
        raise ValueError("labels must be one-dimensional")
    if y.dtype == bool:
        return y.astype(np.int8)
    if not np.isin(y, (0, 1)).all():
        raise ValueError("labels must be 0/1 or booleans")
    return y.astype(np.int8)


class TextClassifier:
    """Binary text classifier with calibrated probabilities; picklable (saved by ModelRegistry)."""

    def __init__(self, params: TextClassifierParams | None = None) -> None:
        self.params = params or TextClassifierParams()
        self._features: FeatureUnion | None = None
        self._model: CalibratedClassifierCV | None = None
        self.chosen_c: float | None = None
        self.n_train = 0
        self.n_positive = 0

    def fit(self, texts: Sequence[str], labels: Sequence[int | bool] | np.ndarray) -> Self:
        y = as_binary_labels(labels)
        texts = _checked_texts(texts)
        if len(texts) != y.size:
            raise ValueError(f"{len(texts)} texts but {y.size} labels")
        minority = int(min(y.sum(), y.size - y.sum()))
        if minority < 2:
            raise ValueError("training needs at least 2 examples of each class")
        p = self.params
        folds = StratifiedKFold(n_splits=min(p.max_folds, minority), shuffle=True, random_state=p.seed)
        features = FeatureUnion(
            [
                ("word", _tfidf(analyzer="word", ngram_range=p.word_ngram_range, min_df=p.min_df)),
                ("char", _tfidf(analyzer="char_wb", ngram_range=p.char_ngram_range, min_df=p.min_df)),
            ]
        )
        x = features.fit_transform([normalize_social_text(t) for t in texts])
        chosen_c = p.c_grid[0]
        if len(p.c_grid) > 1:
            search = GridSearchCV(
                _svm(chosen_c, p.seed),
                {"C": list(p.c_grid)},
                scoring="average_precision",
                cv=folds,
                refit=False,
            )
            chosen_c = float(search.fit(x, y).best_params_["C"])
        model = CalibratedClassifierCV(_svm(chosen_c, p.seed), method="sigmoid", cv=folds).fit(x, y)
        self._features, self._model, self.chosen_c = features, model, chosen_c
        self.n_train, self.n_positive = int(y.size), int(y.sum())
        return self

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """Probability of the positive class for each text, shape (n,), float64."""
        if self._features is None or self._model is None:
            raise NotFittedError("TextClassifier is not fitted; call fit() first")
        texts = _checked_texts(texts)
        if not texts:
            return np.empty(0, dtype=np.float64)
        x = self._features.transform([normalize_social_text(t) for t in texts])
        return self._model.predict_proba(x)[:, 1]

    def describe(self) -> dict[str, Any]:
        """Parameters and training facts, JSON-serialisable, for model_versions and the eval output."""
        return {
            "family": "tfidf word+char_wb n-grams -> LinearSVC, sigmoid-calibrated",
            **{k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self.params).items()},
            "chosen_c": self.chosen_c,
            "n_features": None if self._features is None else _n_features(self._features),
            "n_train": self.n_train,
            "n_positive": self.n_positive,
            "sklearn_version": sklearn.__version__,
        }


def train_with_holdout(
    texts: Sequence[str],
    labels: Sequence[int | bool] | np.ndarray,
    *,
    holdout: float = 0.2,
    seed: int = 0,
    params: TextClassifierParams | None = None,
) -> tuple[TextClassifier, dict[str, Any]]:
    """Fit on a stratified (1 - holdout) part and measure on the rest.

    The model returned is the one measured (not a refit on everything), so the metrics stored
    with a version describe exactly that artifact, and the publication check compares like with
    like. Deterministic given `seed`.
    """
    y = as_binary_labels(labels)
    texts = _checked_texts(texts)
    if len(texts) != y.size:
        raise ValueError(f"{len(texts)} texts but {y.size} labels")
    if not 0 < holdout < 1:
        raise ValueError("holdout must be between 0 and 1")
    if min(y.sum(), y.size - y.sum()) < 4:
        raise ValueError("training with a holdout needs at least 4 examples of each class")
    train_x, test_x, train_y, test_y = train_test_split(
        texts, y, test_size=holdout, stratify=y, random_state=seed
    )
    model = TextClassifier(replace(params or TextClassifierParams(), seed=seed)).fit(train_x, train_y)
    metrics = binary_metrics(test_y, model.predict_proba(test_x), threshold=0.5)
    return model, {**metrics, "threshold": 0.5, "n_train": len(train_x), "holdout": holdout, "seed": seed}


def _tfidf(*, analyzer: str, ngram_range: tuple[int, int], min_df: int) -> TfidfVectorizer:
    # Texts arrive normalised (lower-cased) already: one pass of normalisation for both analyzers.
    return TfidfVectorizer(
        analyzer=analyzer,
        ngram_range=ngram_range,
        min_df=min_df,
        sublinear_tf=True,
        lowercase=False,
        dtype=np.float32,
        **({"token_pattern": _TOKEN_PATTERN} if analyzer == "word" else {}),
    )


def _svm(c: float, seed: int) -> LinearSVC:
    return LinearSVC(C=c, max_iter=5000, random_state=seed)


def _checked_texts(texts: Sequence[str]) -> list[str]:
    texts = list(texts)
    for i, text in enumerate(texts):
        if not isinstance(text, str):
            raise TypeError(f"text {i} is {type(text).__name__}, expected str")
    return texts


def _n_features(features: FeatureUnion) -> int:
    return sum(len(vectorizer.vocabulary_) for _, vectorizer in features.transformer_list)
