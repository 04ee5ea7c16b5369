"""Synthetic texts: clean posts, comments and titles per topic and language, spam, insults, hate.

Each text is composed from several independently drawn parts (template, topic word, entity,
opinion, hashtags, emoji, optional noise such as ALL CAPS or leetspeak), so the demo holds
thousands of distinct sentences per class. The loop is per item, not per engagement event, and
uses Python's `random.Random` (fast for single draws) seeded from the caller's numpy generator.
"""

from __future__ import annotations

import random
from enum import IntEnum

import numpy as np

from socialflow_demo import vocabulary as vocab


class TextKind(IntEnum):
    """What a text is meant to be; the ground truth that only `demo_ground_truth` keeps."""

    CLEAN = 0
    SPAM = 1
    TOXIC = 2
    HATE = 3


SENTIMENTS = ("positive", "negative", "neutral")
_SENTIMENT_WEIGHTS = (0.45, 0.2, 0.35)
_LEET = str.maketrans({"a": "4", "e": "3", "i": "1", "o": "0", "s": "$"})
_MASKED_VOWELS = str.maketrans({"i": "*", "o": "0", "u": "*"})


class TextBuilder:
    """Builds texts of one style ("post", "comment" or "title") for arrays of items."""

    def __init__(self, rng: np.random.Generator) -> None:
        self._random = random.Random(int(rng.integers(0, 2**63 - 1)))

    def build(self, style: str, kinds: np.ndarray, languages: np.ndarray, topics: np.ndarray) -> list[str]:
        """One text per item. `languages` index `vocab.LANGUAGES`; `topics` index `vocab.TOPICS`
        (-1: none, for spam)."""
        make = {
            TextKind.CLEAN: self._clean,
            TextKind.SPAM: self._spam,
            TextKind.TOXIC: self._toxic,
            TextKind.HATE: self._hate,
        }
        return [
            make[TextKind(kind)](style, vocab.LANGUAGES[lang], vocab.TOPICS[topic] if topic >= 0 else None)
            for kind, lang, topic in zip(kinds.tolist(), languages.tolist(), topics.tolist(), strict=True)
        ]

    def _topic_sentence(self, template: str, lang: str, topic: str) -> str:
        pick = self._random.choice
        sentiment = self._random.choices(SENTIMENTS, weights=_SENTIMENT_WEIGHTS)[0]
        return template.format(
            noun=pick(vocab.TOPIC_NOUNS[topic][lang]),
            entity=pick(vocab.TOPIC_ENTITIES[topic]),
            opinion=pick(vocab.OPINIONS[lang][sentiment]),
        )

    def _clean(self, style: str, lang: str, topic: str | None) -> str:
        rnd = self._random
        topic = topic or rnd.choice(vocab.TOPICS)
        if style == "title":
            return self._topic_sentence(rnd.choice(vocab.TITLE_TEMPLATES[lang]), lang, topic)
        templates = vocab.POST_TEMPLATES if style == "post" else vocab.COMMENT_TEMPLATES
        if rnd.random() < 0.2:  # small talk, with no topic words
            return " ".join(
                [rnd.choice(vocab.EVERYDAY_CHATTER[lang]), *rnd.sample(vocab.TOPIC_EMOJI[topic], 1)]
            )
        parts = [self._topic_sentence(rnd.choice(templates[lang]), lang, topic)]
        if rnd.random() < 0.08:
            parts.append(rnd.choice(vocab.HARD_NEGATIVES[lang]))
        if rnd.random() < 0.6:
            parts.append(" ".join(rnd.sample(vocab.TOPIC_EMOJI[topic], rnd.randint(1, 2))))
        n_tags = rnd.choice((0, 1, 2, 3)) if style == "post" else rnd.choice((0, 0, 0, 1))
        if n_tags:
            parts.append(" ".join(rnd.sample(vocab.TOPIC_HASHTAGS[topic], n_tags)))
        if rnd.random() < 0.1:
            parts.insert(0, self._mention(lang))
        return " ".join(parts)

    def _mention(self, lang: str) -> str:
        return f"@{self._random.choice(vocab.FIRST_NAMES[lang]).lower()}{self._random.randint(1, 999)}"

    def _spam(self, style: str, lang: str, topic: str | None) -> str:
        rnd = self._random
        lang = lang if rnd.random() < 0.3 else "en"  # spam is mostly English whatever the audience
        link = f"https://{rnd.choice(vocab.SPAM_DOMAINS)}{rnd.randrange(36**5):x}"
        parts = [
            rnd.choice(vocab.SPAM_HOOKS[lang]) if rnd.random() < 0.7 else "",
            self._distort(rnd.choice(vocab.SPAM_OFFERS[lang]), caps=0.0, leet=0.2),
            f"{rnd.choice(vocab.SPAM_CALLS[lang])} {link}"
            if rnd.random() < 0.8
            else rnd.choice(vocab.SPAM_CALLS[lang]),
        ]
        if rnd.random() < 0.25:  # the short codes and numbers of SMS and DM spam
            parts.append(
                rnd.choice(
                    (
                        f"txt {rnd.choice(('WIN', 'CLAIM', 'GO', 'PRIZE'))} to {rnd.randint(10000, 99999)}",
                        f"call 0{rnd.randint(800, 909)}{rnd.randint(1000000, 9999999)}",
                        f"code {rnd.choice('ABCDEFGHJKLMNPQRSTUVWXYZ')}{rnd.randint(100, 999)}",
                        f"+{rnd.randint(1, 99)} {rnd.randint(100, 999)} {rnd.randint(1000, 9999)}",
                    )
                )
            )
        if topic and rnd.random() < 0.3:  # hijack a topic hashtag to reach its audience
            parts.append(rnd.choice(vocab.TOPIC_HASHTAGS[topic]))
        if rnd.random() < 0.6:
            parts.append(" ".join(rnd.sample(vocab.SPAM_TAGS, rnd.randint(1, 3))))
        if rnd.random() < 0.6:
            parts.insert(
                rnd.randint(0, len(parts)), "".join(rnd.choices(vocab.SPAM_EMOJI, k=rnd.randint(1, 4)))
            )
        text = " ".join(p for p in parts if p)
        if style == "title":
            text = text[:90]
        return self._distort(text, caps=0.25, leet=0.0)

    def _toxic(self, style: str, lang: str, topic: str | None) -> str:
        rnd = self._random
        insult = rnd.choice(vocab.INSULT_TEMPLATES[lang]).format(
            adj=rnd.choice(vocab.INSULT_ADJECTIVES[lang]), noun=rnd.choice(vocab.INSULT_NOUNS[lang])
        )
        if rnd.random() < 0.2:
            insult = insult.translate(_MASKED_VOWELS)
        return self._with_context(style, lang, topic, self._distort(insult, caps=0.15, leet=0.0), "🤡😡🖕🙄")

    def _hate(self, style: str, lang: str, topic: str | None) -> str:
        rnd = self._random
        attack = rnd.choice(vocab.HATE_TEMPLATES[lang]).format(group=rnd.choice(vocab.HATE_GROUPS[lang]))
        return self._with_context(style, lang, topic, self._distort(attack, caps=0.2, leet=0.0), "😡🤮")

    def _with_context(self, style: str, lang: str, topic: str | None, core: str, emoji: str) -> str:
        """Embeds an attack in ordinary topic talk half of the time, so the topic words alone are no cue."""
        rnd = self._random
        parts = [core]
        if rnd.random() < 0.5 and topic and style != "title":
            templates = vocab.POST_TEMPLATES if style == "post" else vocab.COMMENT_TEMPLATES
            context = self._topic_sentence(rnd.choice(templates[lang]), lang, topic)
            parts.insert(rnd.randint(0, 1), context)
        if rnd.random() < 0.3:
            parts.insert(0, self._mention(lang))
        if rnd.random() < 0.4:
            parts.append(rnd.choice(emoji))
        return " ".join(parts)

    def _distort(self, text: str, *, caps: float, leet: float) -> str:
        roll = self._random.random()
        if roll < caps:
            return text.upper()
        if roll < caps + leet:
            return text.translate(_LEET)
        return text
