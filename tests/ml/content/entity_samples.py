"""Tiny WNUT-17-shaped CoNLL samples with planted names, for the entity model's tests.

Bands are WNUT `group`s, which spaCy's small pipeline calls ORG (the platform's organization,
scored as WNUT corporation) or misses: a model that learned from the file gets them right, the
off-the-shelf one cannot.
"""

from __future__ import annotations

import random
from pathlib import Path

PEOPLE = ["Lena Marsh", "Tobias Wren", "Priya Sandoval", "Marco Delacroix", "Hana Okafor", "Ivo Brandt"]
BANDS = ["Glass Harbor", "Neon Wolves", "Paper Lanterns", "Static Bloom", "Velvet Ruin", "Iron Meadow"]
CITIES = ["Lisbon", "Denver", "Nairobi", "Oslo", "Austin", "Kyoto"]
NEW_PEOPLE = ["Selma Voss", "Dario Kettle"]
NEW_BANDS = ["Copper Saints", "Hollow Pines", "Amber Tides"]
NEW_CITIES = ["Porto", "Dublin"]

TEMPLATES = [
    "{group} played an amazing set in {location} last night",
    "can't wait to see {group} live again !",
    "new album from {group} drops friday #music",
    "{person} just landed in {location} , so jealous",
    "lol {person} is the funniest person on my timeline",
    "anyone going to the {group} show in {location} ?",
    "omg {person} and {group} on the same stage",
]


def _sentence(template: str, names: dict[str, str]) -> list[tuple[str, str]]:
    rows: list[tuple[str, str]] = []
    for word in template.split():
        if word.startswith("{") and word.endswith("}"):
            kind = word[1:-1]
            tokens = names[kind].split()
            rows += [(token, ("B-" if i == 0 else "I-") + kind) for i, token in enumerate(tokens)]
        else:
            rows.append((word, "O"))
    return rows


def write_sample(
    path: Path,
    n: int,
    *,
    seed: int,
    people: list[str] = PEOPLE,
    bands: list[str] = BANDS,
    cities: list[str] = CITIES,
) -> Path:
    """`n` sentences from the templates with names drawn from the lists, WNUT-17 format."""
    rng = random.Random(seed)
    blocks = []
    for _ in range(n):
        names = {"person": rng.choice(people), "group": rng.choice(bands), "location": rng.choice(cities)}
        rows = _sentence(rng.choice(TEMPLATES), names)
        blocks.append("".join(f"{token}\t{tag}\n" for token, tag in rows))
    path.write_text("\n".join(blocks), encoding="utf-8")
    return path


def write_unseen(path: Path, n: int = 24) -> Path:
    """Sentences whose names never appear in `write_sample`'s files."""
    return write_sample(path, n, seed=99, people=NEW_PEOPLE, bands=NEW_BANDS, cities=NEW_CITIES)
