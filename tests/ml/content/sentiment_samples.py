"""Tweet-shaped labelled posts whose sentiment rides on words no lexicon knows ("zorbly" is
praise, "grimbled" a complaint), so a model that learns from labels beats VADER and the majority
class on held-out posts, and VADER alone cannot."""

from __future__ import annotations

import random

THINGS = ("new album", "pizza place", "update", "match", "phone", "trailer", "concert", "bus route", "cafe")
PRAISE = ("zorbly", "so zorbly", "totally zorbly", "zorbly af", "a zorbly vibe")
COMPLAINT = ("grimbled", "fully grimbled", "so grimbled", "grimbled again", "a grimbled mess")
FACTS = ("opens at 9", "is on channel 4", "moved to Tuesday", "costs 12 dollars", "is in room 204")
OPENERS = ("", "@user ", "omg ", "honestly ", "RT @user: ")


def planted_posts(n: int, *, seed: int = 0) -> tuple[list[str], list[str]]:
    """`n` posts and their labels (negative / neutral / positive), deterministic per seed."""
    rng = random.Random(seed)
    texts, labels = [], []
    for i in range(n):
        label = ("positive", "neutral", "negative")[i % 3]
        thing = rng.choice(THINGS)
        said = {"positive": PRAISE, "negative": COMPLAINT, "neutral": FACTS}[label]
        texts.append(f"{rng.choice(OPENERS)}the {thing} {rng.choice(said)} #{thing.split()[0]}")
        labels.append(label)
    return texts, labels


def planted_csv(n: int, *, seed: int = 0) -> str:
    texts, labels = planted_posts(n, seed=seed)
    return "text,label\n" + "".join(f'"{t}",{label}\n' for t, label in zip(texts, labels, strict=True))
