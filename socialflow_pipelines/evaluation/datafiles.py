"""Readers for labeled files, with errors that name the file and the line a person must fix."""

from __future__ import annotations

import csv
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")

csv.field_size_limit(min(sys.maxsize, 2**31 - 1))


class DataFileError(ValueError):
    """A labeled file that cannot be used as it is; the message says where and why."""

    def __init__(self, path: Path | str, line: int | None, message: str) -> None:
        self.path = Path(path)
        self.line = line
        where = f"{self.path}:{line}" if line is not None else str(self.path)
        super().__init__(f"{where}: {message}")


@dataclass(frozen=True)
class LabeledTexts:
    texts: list[str]
    labels: list[T]  # type: ignore[valid-type]
    lines: list[int]


def read_labeled_csv(
    path: Path | str,
    parse_label: Callable[[str], T],
    *,
    text_column: str = "text",
    label_column: str = "label",
) -> LabeledTexts:
    """Read a CSV with a header holding `text` and `label` columns; other columns are ignored.

    `parse_label` turns the raw label into the task's value and raises ValueError on anything it
    does not know; that error is reported with the file and line. Line numbers are physical lines
    (a quoted field may span several), as an editor shows them.
    """
    path = Path(path)
    if not path.is_file():
        raise DataFileError(path, None, "no such file")
    texts: list[str] = []
    labels: list[T] = []
    lines: list[int] = []
    with path.open(newline="", encoding="utf-8", errors="strict") as handle:
        try:
            reader = csv.DictReader(handle)
            header = reader.fieldnames
        except (csv.Error, UnicodeDecodeError) as exc:
            raise DataFileError(path, 1, f"unreadable header: {exc}") from exc
        if not header:
            raise DataFileError(path, 1, "empty file: expected a header with text and label columns")
        fields = {name.strip().lower(): name for name in header if name is not None}
        missing = [col for col in (text_column, label_column) if col not in fields]
        if missing:
            raise DataFileError(
                path, 1, f"header lacks column(s) {', '.join(missing)}; it has {', '.join(header)}"
            )
        text_key, label_key = fields[text_column], fields[label_column]
        line = 1
        while True:
            start = reader.line_num + 1
            try:
                row = next(reader)
            except StopIteration:
                break
            except (csv.Error, UnicodeDecodeError) as exc:
                raise DataFileError(path, start, f"malformed CSV: {exc}") from exc
            line = start
            if None in row or row.get(label_key) is None or row.get(text_key) is None:
                raise DataFileError(path, line, f"expected {len(header)} fields, got a different count")
            raw_label = row[label_key].strip()
            try:
                labels.append(parse_label(raw_label))
            except ValueError as exc:
                raise DataFileError(path, line, f"bad label {raw_label!r}: {exc}") from exc
            texts.append(row[text_key])
            lines.append(line)
    if not texts:
        raise DataFileError(path, None, "no data rows after the header")
    return LabeledTexts(texts=texts, labels=labels, lines=lines)


def read_labeled_csvs(paths: Sequence[Path | str], parse_label: Callable[[str], T]) -> LabeledTexts:
    """Several labeled files read as one (`--train A --train B`), in order; errors name the file."""
    if not paths:
        raise ValueError("no labeled files given")
    parts = [read_labeled_csv(path, parse_label) for path in paths]
    return LabeledTexts(
        texts=[text for part in parts for text in part.texts],
        labels=[label for part in parts for label in part.labels],
        lines=[line for part in parts for line in part.lines],
    )
