"""Sentiment: a model learned from labelled posts (`SentimentModel`, trained by `socialflow train
sentiment`), VADER's rule until one is published, and an explicit `None` with the reason for
languages neither reads.

VADER's lexicon and rules are English-only; run on Spanish or Japanese it answers "neutral" for
almost everything, which would be a confident-looking wrong answer. The learned model reads
English too (its n-grams and all-MiniLM-L6-v2 were fitted on English), so other languages get
no label, and the reason says why. `und` texts (too short to tell the language) are scored:
they are mostly English interjections and emoji ("love it!!", "😍").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any, Self

import numpy as np

from socialflow_pipelines.ml.content.language import UNDETERMINED
from socialflow_pipelines.ml.text_classifier import normalize_social_text

VADER_LANGUAGES = frozenset({"en", UNDETERMINED})
# VADER authors' recommended thresholds on the compound score.
POSITIVE_THRESHOLD = 0.05
NEGATIVE_THRESHOLD = -0.05
SENTIMENT_LABELS = ("negative", "neutral", "positive")
VADER_METHOD = "vader"


@dataclass(frozen=True)
class Sentiment:
    label: str | None
    score: float | None  # VADER compound in [-1, 1]
    method: str | None
    reason: str | None = None

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def label_from_compound(compound: float) -> str:
    if compound >= POSITIVE_THRESHOLD:
        return "positive"
    if compound <= NEGATIVE_THRESHOLD:
        return "negative"
    return "neutral"


def unsupported_reason(language: str) -> str | None:
    """Why a text in `language` gets no sentiment, or None when VADER reads it: the rule alone,
    so a stored row's reason follows from its language without loading VADER."""
    if language in VADER_LANGUAGES:
        return None
    return f"no sentiment model for language {language!r} (VADER reads English only)"


class SentimentScorer:
    def __init__(self) -> None:
        from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

        self._vader = SentimentIntensityAnalyzer()

    def vader(self, text: str) -> Sentiment:
        compound = float(self._vader.polarity_scores(text)["compound"])
        return Sentiment(label=label_from_compound(compound), score=compound, method=VADER_METHOD)

    def score(self, text: str, language: str) -> Sentiment:
        reason = unsupported_reason(language)
        if reason is None:
            return self.vader(text)
        return Sentiment(label=None, score=None, method=None, reason=reason)

    def score_many(
        self, texts: Sequence[str], languages: Sequence[str], embeddings: np.ndarray | None = None
    ) -> list[Sentiment]:
        """VADER per text (`embeddings` are not read: the signature is the learned model's)."""
        return [self.score(text, language) for text, language in zip(texts, languages, strict=True)]


# --------------------------------------------------------------------------------------------
# The learned model


@dataclass(frozen=True)
class SentimentModelParams:
    """The family's knobs. The n-gram SVM's C and the embedding head's C are chosen per training
    file by cross-validated macro recall (SemEval's AvgRec), never by hand on a test file."""

    c_grid: tuple[float, ...] = (0.1, 0.3, 1.0)
    embedding_c_grid: tuple[float, ...] = (1.0, 3.0, 10.0)
    max_folds: int = 5
    seed: int = 0


FAMILY = (
    "stacked: tfidf word+char_wb n-grams -> LinearSVC, all-MiniLM-L6-v2 embedding -> logistic regression, "
    "VADER scores; balanced multinomial logistic regression on out-of-fold outputs"
)


class SentimentModel:
    """Three-class sentiment learned from labelled posts, by stacking three views of a text.

    * word 1-2-gram and char_wb 2-5-gram TF-IDF into a one-vs-rest linear SVM (what the words
      and their misspellings say),
    * the item's all-MiniLM-L6-v2 sentence embedding into a logistic regression (what the text
      means, for phrasings the training posts never showed; the pipeline computes it anyway),
    * VADER's four scores (negation, intensifiers and emoji rules a few thousand posts cannot teach).

    A multinomial logistic regression over the first two's out-of-fold outputs and VADER's scores
    gives the probabilities; classes are weighted by inverse frequency so the minority class
    (negative, on most social data) is not sacrificed to accuracy. The score is
    P(positive) - P(negative), in [-1, 1]. Picklable (the model store saves it with joblib);
    VADER is rebuilt on load.
    """

    def __init__(self, params: SentimentModelParams | None = None) -> None:
        self.params = params or SentimentModelParams()
        self._features: Any = None
        self._svm: Any = None
        self._embedding_head: Any = None
        self._stacker: Any = None
        self._vader: Any = None
        self.chosen_c: float | None = None
        self.chosen_embedding_c: float | None = None
        self.n_train = 0
        self.class_counts: dict[str, int] = {}

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_vader": None}

    def fit(self, texts: Sequence[str], labels: Sequence[str], embeddings: np.ndarray) -> Self:
        from sklearn.linear_model import LogisticRegression
        from sklearn.model_selection import StratifiedKFold, cross_val_predict

        y = _checked_labels(labels)
        texts = list(texts)
        if len(texts) != y.size or len(embeddings) != y.size:
            raise ValueError(f"{len(texts)} texts, {y.size} labels and {len(embeddings)} embeddings")
        counts = np.bincount(y, minlength=len(SENTIMENT_LABELS))
        if counts.min() < 2:
            raise ValueError(f"training needs at least 2 posts of each of {', '.join(SENTIMENT_LABELS)}")
        p = self.params
        folds = StratifiedKFold(
            n_splits=min(p.max_folds, int(counts.min())), shuffle=True, random_state=p.seed
        )
        self._features = _ngram_features()
        x = self._features.fit_transform([normalize_social_text(t) for t in texts])
        self.chosen_c = _best_c(lambda c: _svm(c, p.seed), x, y, p.c_grid, folds)
        self.chosen_embedding_c = _best_c(_embedding_head, embeddings, y, p.embedding_c_grid, folds)
        margins = cross_val_predict(_svm(self.chosen_c, p.seed), x, y, cv=folds, method="decision_function")
        meanings = cross_val_predict(
            _embedding_head(self.chosen_embedding_c), embeddings, y, cv=folds, method="predict_log_proba"
        )
        stacked = np.column_stack([margins, meanings, self._vader_scores(texts)])
        self._stacker = LogisticRegression(C=1.0, class_weight="balanced", max_iter=1000).fit(stacked, y)
        self._svm = _svm(self.chosen_c, p.seed).fit(x, y)
        self._embedding_head = _embedding_head(self.chosen_embedding_c).fit(embeddings, y)
        self.n_train = int(y.size)
        self.class_counts = {label: int(n) for label, n in zip(SENTIMENT_LABELS, counts, strict=True)}
        return self

    def predict_proba(self, texts: Sequence[str], embeddings: np.ndarray) -> np.ndarray:
        """(n, 3) probabilities, columns in `SENTIMENT_LABELS` order."""
        if self._stacker is None:
            raise RuntimeError("SentimentModel is not fitted; call fit() first")
        texts = list(texts)
        if not texts:
            return np.empty((0, len(SENTIMENT_LABELS)))
        x = self._features.transform([normalize_social_text(t) for t in texts])
        stacked = np.column_stack(
            [
                self._svm.decision_function(x),
                self._embedding_head.predict_log_proba(embeddings),
                self._vader_scores(texts),
            ]
        )
        return self._stacker.predict_proba(stacked)

    def predict_labels(self, texts: Sequence[str], embeddings: np.ndarray) -> list[str]:
        return [SENTIMENT_LABELS[i] for i in self.predict_proba(texts, embeddings).argmax(axis=1)]

    def describe(self) -> dict[str, Any]:
        """Parameters and training facts, JSON-serialisable, for the model version and eval output."""
        import sklearn

        return {
            "family": FAMILY,
            **{k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self.params).items()},
            "chosen_c": self.chosen_c,
            "chosen_embedding_c": self.chosen_embedding_c,
            "n_train": self.n_train,
            "class_counts": self.class_counts,
            "sklearn_version": sklearn.__version__,
        }

    def _vader_scores(self, texts: Sequence[str]) -> np.ndarray:
        if self._vader is None:
            from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

            self._vader = SentimentIntensityAnalyzer()
        scores = (self._vader.polarity_scores(text) for text in texts)
        return np.array([[s["compound"], s["pos"], s["neg"], s["neu"]] for s in scores], dtype=np.float64)


class LearnedSentiment:
    """A published `SentimentModel` as the analyzer's sentiment scorer; `method` names its version."""

    def __init__(self, model: SentimentModel, method: str) -> None:
        self.model, self.method = model, method

    def score_many(
        self, texts: Sequence[str], languages: Sequence[str], embeddings: np.ndarray | None = None
    ) -> list[Sentiment]:
        if embeddings is None:
            raise ValueError("the learned sentiment model reads the texts' embeddings")
        results = [
            Sentiment(label=None, score=None, method=None, reason=unsupported_reason(language))
            for language in languages
        ]
        rows = [i for i, language in enumerate(languages) if unsupported_reason(language) is None]
        if rows:
            proba = self.model.predict_proba([texts[i] for i in rows], embeddings[rows])
            negative, positive = SENTIMENT_LABELS.index("negative"), SENTIMENT_LABELS.index("positive")
            for row, p in zip(rows, proba, strict=True):
                score = round(float(p[positive] - p[negative]), 6)
                results[row] = Sentiment(SENTIMENT_LABELS[int(p.argmax())], score, self.method)
        return results


def _checked_labels(labels: Sequence[str]) -> np.ndarray:
    index = {label: i for i, label in enumerate(SENTIMENT_LABELS)}
    unknown = sorted({str(label) for label in labels} - set(index))
    if unknown:
        raise ValueError(f"unknown sentiment labels {unknown}; expected {', '.join(SENTIMENT_LABELS)}")
    return np.array([index[label] for label in labels], dtype=np.int64)


def _ngram_features() -> Any:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import FeatureUnion

    options: dict[str, Any] = {"min_df": 2, "sublinear_tf": True, "lowercase": False, "dtype": np.float32}
    return FeatureUnion(
        [
            ("word", TfidfVectorizer(**options, ngram_range=(1, 2), token_pattern=r"(?u)\b\w+\b|[^\w\s]")),
            ("char", TfidfVectorizer(**options, analyzer="char_wb", ngram_range=(2, 5))),
        ]
    )


def _svm(c: float, seed: int) -> Any:
    from sklearn.svm import LinearSVC

    return LinearSVC(C=c, max_iter=5000, random_state=seed)


def _embedding_head(c: float) -> Any:
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=c, max_iter=2000)


def _best_c(make: Any, x: Any, y: np.ndarray, grid: Sequence[float], folds: Any) -> float:
    """The C of `grid` with the best cross-validated macro recall (the first on a tie)."""
    from sklearn.model_selection import GridSearchCV

    if len(grid) == 1:
        return float(grid[0])
    search = GridSearchCV(make(grid[0]), {"C": list(grid)}, scoring="recall_macro", cv=folds, refit=False)
    return float(search.fit(x, y).best_params_["C"])
