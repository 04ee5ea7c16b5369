"""CoNLL entity files (WNUT-17 style) and entity-level exact-match scoring.

Format: one `token<TAB>BIO-tag` per line, a whitespace-only line between sentences, WNUT-17 types
(person, location, corporation, group, product, creative-work). Here in ml/ (not evaluation/)
because training reads the same files and must score its held-out part exactly as
`socialflow eval entities` scores a test file.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from socialflow_pipelines.ml.content.entities import Entity

WNUT_TYPES = ("person", "location", "corporation", "group", "product", "creative-work")
# Platform entity types → WNUT-17 types. spaCy's ORG covers both WNUT's corporation and group;
# it is mapped to corporation (companies and brands dominate ORG on social text) and NORP
# (nationalities, religious and political groups) to group. WNUT has no event type: events are
# not scored as predictions.
ENTITY_TYPE_TO_WNUT: dict[str, str] = {
    "person": "person",
    "location": "location",
    "organization": "corporation",
    "group": "group",
    "product": "product",
    "creative_work": "creative-work",
}
WNUT_TO_ENTITY_TYPE = {wnut: platform for platform, wnut in ENTITY_TYPE_TO_WNUT.items()}


class ConllFormatError(ValueError):
    """A CoNLL file that cannot be used as it is; the message names the file and the line."""

    def __init__(self, path: Path | str, line: int | None, message: str) -> None:
        self.path = Path(path)
        self.line = line
        self.reason = message
        where = f"{self.path}:{line}" if line is not None else str(self.path)
        super().__init__(f"{where}: {message}")


@dataclass(frozen=True)
class ConllSentence:
    tokens: list[str]
    spans: set[tuple[int, int, str]]  # (first token, last token exclusive, WNUT type)
    line: int

    def text(self) -> tuple[str, list[int], list[int]]:
        """The sentence as a post would carry it (tokens joined by spaces) and each token's
        start and end character."""
        starts, ends, position = [], [], 0
        for token in self.tokens:
            starts.append(position)
            ends.append(position + len(token))
            position += len(token) + 1
        return " ".join(self.tokens), starts, ends


def read_conll(path: Path | str) -> list[ConllSentence]:
    """Sentences of a `token<TAB>tag` file. An I- tag that does not continue an entity of its
    type starts one (as conlleval reads it)."""
    path = Path(path)
    if not path.is_file():
        raise ConllFormatError(path, None, "no such file")
    sentences: list[ConllSentence] = []
    tokens: list[str] = []
    tags: list[str] = []
    first_line = 1

    def close() -> None:
        if tokens:
            sentences.append(ConllSentence(list(tokens), _bio_spans(tags), first_line))
        tokens.clear()
        tags.clear()

    with path.open(encoding="utf-8", errors="strict") as handle:
        try:
            for number, raw in enumerate(handle, start=1):
                line = raw.rstrip("\r\n")
                if not line.strip():
                    close()
                    continue
                if not tokens:
                    first_line = number
                fields = line.split("\t")
                if len(fields) != 2 or not fields[0].strip() or not fields[1].strip():
                    raise ConllFormatError(path, number, f"expected token<TAB>tag, got {line!r}")
                tag = fields[1].strip()
                if tag != "O":
                    prefix, _, kind = tag.partition("-")
                    if prefix not in ("B", "I") or kind not in WNUT_TYPES:
                        raise ConllFormatError(
                            path, number, f"bad tag {tag!r}: expected O or B-/I- with {', '.join(WNUT_TYPES)}"
                        )
                tokens.append(fields[0].strip())
                tags.append(tag)
        except UnicodeDecodeError as exc:
            raise ConllFormatError(path, None, f"not UTF-8: {exc}") from exc
    close()
    if not sentences:
        raise ConllFormatError(path, None, "no sentences")
    return sentences


def _bio_spans(tags: Sequence[str]) -> set[tuple[int, int, str]]:
    spans: set[tuple[int, int, str]] = set()
    start, kind = None, None
    for i, tag in enumerate([*tags, "O"]):
        prefix, _, tag_kind = tag.partition("-")
        continues = prefix == "I" and tag_kind == kind
        if start is not None and not continues:
            spans.add((start, i, str(kind)))
            start, kind = None, None
        if prefix in ("B", "I") and not continues:
            start, kind = i, tag_kind
    return spans


def prf(true_positive: int, n_predicted: int, n_gold: int) -> tuple[float, float, float]:
    precision = true_positive / n_predicted if n_predicted else 0.0
    recall = true_positive / n_gold if n_gold else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return round(precision, 4), round(recall, 4), round(f1, 4)


def score_entities(sentences: Sequence[ConllSentence], found: Sequence[Sequence[Entity]]) -> dict[str, Any]:
    """Entity-level exact match over texts rebuilt by `ConllSentence.text`: a predicted entity
    counts only if it starts and ends on the boundaries of the same tokens as a gold entity of the
    same type. Returns counts, `precision`, `recall`, `f1` and the three per WNUT type."""
    gold_count: Counter[str] = Counter()
    predicted_count: Counter[str] = Counter()
    correct: Counter[str] = Counter()
    for sentence, entities in zip(sentences, found, strict=True):
        _, starts, ends = sentence.text()
        first_token = {start: i for i, start in enumerate(starts)}
        last_token = {end: i for i, end in enumerate(ends)}
        predicted: set[tuple[int, int, str]] = set()
        for entity in entities:
            kind = ENTITY_TYPE_TO_WNUT.get(entity.type)
            if kind is None or entity.start not in first_token or entity.end not in last_token:
                continue
            predicted.add((first_token[entity.start], last_token[entity.end] + 1, kind))
        gold_count.update(kind for _, _, kind in sentence.spans)
        predicted_count.update(kind for _, _, kind in predicted)
        correct.update(kind for _, _, kind in predicted & sentence.spans)
    precision, recall, f1 = prf(
        sum(correct.values()), sum(predicted_count.values()), sum(gold_count.values())
    )
    result: dict[str, Any] = {
        "n": len(sentences),
        "gold_entities": sum(gold_count.values()),
        "predicted_entities": sum(predicted_count.values()),
        "precision": precision,
        "recall": recall,
        "f1": f1,
    }
    for kind in WNUT_TYPES:
        p, r, f = prf(correct[kind], predicted_count[kind], gold_count[kind])
        result |= {f"precision_{kind}": p, f"recall_{kind}": r, f"f1_{kind}": f}
    return result
