"""The normal form every text model reads: invisible format characters gone, compatibility forms
folded, visible text left alone."""

from __future__ import annotations

import unicodedata

import pytest

from socialflow_pipelines.ml.text_normalise import normalise_text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("W\u200bI\u200bN F\u200bR\u200bE\u200bE", "WIN FREE"),  # zero-width space
        ("fr\u200ce\u200de\u2060 \ufeffcash", "free cash"),  # non-joiner, joiner, word joiner, BOM
        ("pri\u00adze", "prize"),  # soft hyphen
        ("\u202ewin\u202c", "win"),  # bidi override
        ("\uff37\uff29\uff2e \ufb01ne", "WIN fine"),  # fullwidth letters, the fi ligature
        ("e\u200b\u0301", "\u00e9"),  # a mark left beside its letter is composed
        (
            "Caf\u00e9 \U0001f600 日本語 \u0645\u0631\u062d\u0628\u0627",
            "Caf\u00e9 \U0001f600 日本語 \u0645\u0631\u062d\u0628\u0627",
        ),
        ("", ""),
    ],
)
def test_normal_form(text: str, expected: str) -> None:
    assert normalise_text(text) == expected
    assert normalise_text(expected) == expected  # idempotent
    assert not any(unicodedata.category(char) == "Cf" for char in normalise_text(text))
