"""Sentiment: VADER for English (the standard rule-based tool for social text), an explicit
`None` with the reason for languages it cannot read.

VADER's lexicon and rules are English-only; run on Spanish or Japanese it answers "neutral" for
almost everything, which would be a confident-looking wrong answer. No multilingual sentiment
model ships in a package we can pin, so other languages get no label, and the reason says why.
`und` texts (too short to tell the language) are scored by VADER: they are mostly English
interjections and emoji ("love it!!", "😍"), which VADER's lexicon covers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass

from socialflow_pipelines.ml.content.language import UNDETERMINED

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

    def score_many(self, texts: Sequence[str], languages: Sequence[str]) -> list[Sentiment]:
        return [self.score(text, language) for text, language in zip(texts, languages, strict=True)]
