"""Language identification with py3langid, restricted to the languages the platform supports.

Restricting the candidate set is what makes langid.py reliable on short social text: most
misfires on posts are obscure languages that happen to share character n-grams.

The `und` rule (ISO 639-2 "undetermined"): a text is `und` when, after removing URLs, @mentions,
the `#` of hashtags, digits and emoji, it has fewer than `min_letters` letters (default 6), or
when the best language's probability is below `min_confidence` (default 0.5). py3langid's
probabilities are softmaxed with a temperature of sqrt(bytes), so they stay comparable across
text lengths and the threshold means the same for a short post and a long one.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

# ISO 639-1 codes: the most used languages on social platforms, all covered by langid.py's model.
SUPPORTED_LANGUAGES: tuple[str, ...] = (
    "en", "es", "pt", "fr", "de", "it", "nl", "sv", "pl", "ru", "uk", "tr",
    "ar", "fa", "hi", "bn", "id", "vi", "th", "ja", "ko", "zh",
)  # fmt: skip
UNDETERMINED = "und"

_NOISE = re.compile(r"https?://\S+|www\.\S+|[@#]|\d+|&\w+;")


def informative_letters(text: str) -> int:
    """Letters left once URLs, mentions' and hashtags' signs, digits and symbols are gone."""
    return sum(ch.isalpha() for ch in _NOISE.sub(" ", text))


class LanguageDetector:
    def __init__(
        self,
        languages: Sequence[str] = SUPPORTED_LANGUAGES,
        *,
        min_letters: int = 6,
        min_confidence: float = 0.5,
    ) -> None:
        from py3langid.langid import MODEL_FILE, LanguageIdentifier

        self.languages = tuple(languages)
        self.min_letters = min_letters
        self.min_confidence = min_confidence
        self._identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
        self._identifier.set_languages(list(self.languages))

    def detect(self, text: str) -> tuple[str, float]:
        """(ISO 639-1 code or `und`, probability of the best supported language)."""
        if informative_letters(text) < self.min_letters:
            return UNDETERMINED, 0.0
        cleaned = re.sub(r"https?://\S+|www\.\S+|@\w+", " ", text)
        language, probability = self._identifier.classify(cleaned)
        if probability < self.min_confidence:
            return UNDETERMINED, float(probability)
        return language, float(probability)

    def best_supported(self, text: str) -> str:
        """py3langid's answer among the supported languages, without the `und` rule (the baseline)."""
        return str(self._identifier.classify(text)[0])

    def detect_many(self, texts: Sequence[str]) -> list[tuple[str, float]]:
        return [self.detect(text) for text in texts]
