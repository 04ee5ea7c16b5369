"""Tags: the author's hashtags plus keywords YAKE finds in the text.

YAKE is unsupervised and per-document (no corpus statistics to keep fresh), works in many
languages through its stopword lists, and runs at about a thousand posts a second on one core.
Languages written without spaces between words (Chinese, Japanese, Thai) would give YAKE whole
clauses as "words", so they get hashtags only.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence

HASHTAG = re.compile(r"(?<![\w&#])#(\w*[^\W\d_]\w*)")
# Removed before keyword extraction: links, mentions, hashtags (already tags), retweet marks.
_LINK = re.compile(r"https?://\S+|www\.\S+")
_NOT_PROSE = re.compile(r"https?://\S+|www\.\S+|@\w+|#\w+|\bRT\b")
NO_WORD_SPACING = frozenset({"zh", "ja", "th"})


def extract_hashtags(text: str) -> list[str]:
    """Hashtags without `#`, lowercased, first occurrence order, no duplicates; `#1` is no tag."""
    return list(dict.fromkeys(tag.lower() for tag in HASHTAG.findall(_LINK.sub(" ", html.unescape(text)))))


class KeywordExtractor:
    def __init__(self, *, max_keywords: int = 5, max_ngram: int = 2, min_chars: int = 3) -> None:
        self.max_keywords = max_keywords
        self.max_ngram = max_ngram
        self.min_chars = min_chars
        self._extractors: dict[str, object] = {}

    def _extractor(self, language: str):
        import yake

        key = language if len(language) == 2 else "en"
        if key not in self._extractors:
            self._extractors[key] = yake.KeywordExtractor(
                lan=key, n=self.max_ngram, top=self.max_keywords, dedup_lim=0.7
            )
        return self._extractors[key]

    def keywords(self, text: str, language: str) -> list[str]:
        """Most characteristic 1-2 word phrases, best first, lowercased."""
        if language in NO_WORD_SPACING:
            return []
        prose = _NOT_PROSE.sub(" ", html.unescape(text))
        if not any(ch.isalpha() for ch in prose):
            return []
        found = self._extractor(language).extract_keywords(prose)
        chosen: list[str] = []
        covered: set[str] = set()
        for phrase, _score in found:
            phrase = phrase.lower()
            words = set(phrase.split())
            # A word already inside a better-ranked phrase ("wars" after "star wars") adds nothing.
            if len(phrase) < self.min_chars or phrase.isdigit() or words <= covered:
                continue
            chosen.append(phrase)
            covered |= words
        return chosen

    def tags(self, text: str, language: str) -> list[str]:
        """Hashtags first (the author's own labels), then keywords not already among them."""
        hashtags = extract_hashtags(text)
        seen = set(hashtags)
        return hashtags + [k for k in self.keywords(text, language) if k.replace(" ", "") not in seen]

    def tags_many(self, texts: Sequence[str], languages: Sequence[str]) -> list[list[str]]:
        return [self.tags(text, language) for text, language in zip(texts, languages, strict=True)]
