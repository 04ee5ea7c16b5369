"""The learned sentiment family: it learns what the labels say (beats VADER and the majority class
on held-out posts), its score is P(pos) - P(neg) in [-1, 1], it abstains with a reason on other
languages, and a pickled model predicts the same."""

from __future__ import annotations

import io

import joblib
import numpy as np
import pytest

from socialflow_pipelines.ml.content import TextEmbedder
from socialflow_pipelines.ml.content.sentiment import LearnedSentiment, SentimentModel, SentimentScorer
from tests.ml.content.sentiment_samples import planted_posts


def macro_recall(gold: list[str], predicted: list[str]) -> float:
    labels = sorted(set(gold))
    return float(
        np.mean(
            [
                np.mean([p == g for g, p in zip(gold, predicted, strict=True) if g == label])
                for label in labels
            ]
        )
    )


@pytest.fixture(scope="module")
def fitted(embedder: TextEmbedder) -> tuple[SentimentModel, list[str], list[str], np.ndarray]:
    texts, labels = planted_posts(240, seed=1)
    test_texts, test_labels = planted_posts(90, seed=2)
    model = SentimentModel().fit(texts, labels, embedder.embed(texts))
    return model, test_texts, test_labels, embedder.embed(test_texts)


def test_it_learns_what_vader_cannot_know(fitted) -> None:
    model, texts, labels, embeddings = fitted
    learned = macro_recall(labels, model.predict_labels(texts, embeddings))
    vader = SentimentScorer()
    rule = macro_recall(labels, [str(vader.vader(text).label) for text in texts])
    assert learned >= 0.9
    assert learned > rule + 0.3
    assert learned > 1 / 3 + 0.3  # the majority class's macro recall is 1/3


def test_scores_are_p_positive_minus_p_negative_and_other_languages_abstain(fitted) -> None:
    model, texts, _, embeddings = fitted
    scorer = LearnedSentiment(model, "sentiment_model:v1")
    languages = ["en"] * (len(texts) - 1) + ["es"]
    results = scorer.score_many(texts, languages, embeddings)
    proba = model.predict_proba(texts[:-1], embeddings[:-1])
    expected = proba[:, 2] - proba[:, 0]
    assert np.allclose([r.score for r in results[:-1]], expected, atol=1e-6)
    assert all(-1 <= r.score <= 1 and r.method == "sentiment_model:v1" for r in results[:-1])
    assert results[-1].label is None and results[-1].score is None and "'es'" in str(results[-1].reason)


def test_a_pickled_model_predicts_the_same(fitted) -> None:
    model, texts, _, embeddings = fitted
    buffer = io.BytesIO()
    joblib.dump(model, buffer)
    loaded = joblib.load(io.BytesIO(buffer.getvalue()))
    assert np.array_equal(loaded.predict_proba(texts, embeddings), model.predict_proba(texts, embeddings))
    assert loaded.describe()["chosen_c"] == model.describe()["chosen_c"]


def test_bad_training_input_is_refused(embedder: TextEmbedder) -> None:
    texts = ["good", "bad", "meh", "fine"]
    with pytest.raises(ValueError, match="unknown sentiment labels \\['angry'\\]"):
        SentimentModel().fit(texts, ["positive", "negative", "neutral", "angry"], embedder.embed(texts))
    with pytest.raises(ValueError, match="at least 2 posts of each"):
        SentimentModel().fit(texts, ["positive", "positive", "neutral", "negative"], embedder.embed(texts))
