from pathlib import Path

import pytest

from socialflow_pipelines.evaluation.content import EVAL_TASKS
from socialflow_pipelines.evaluation.datafiles import DataFileError


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_sentiment_eval_on_clear_posts(tmp_path: Path) -> None:
    data = _write(
        tmp_path / "s.csv",
        "text,label\n"
        '"I love this so much, amazing!",positive\n'
        '"This is awful and I hate it.",negative\n'
        '"The bus leaves at 9.",neutral\n'
        '"Me encanta muchísimo este lugar",positive\n',
    )
    calls: list[tuple[int, int]] = []
    result = EVAL_TASKS["sentiment"](test=data, progress=lambda done, total: calls.append((done, total)))
    assert result["n"] == 4
    assert result["coverage"] == 0.75  # the Spanish post gets no VADER label
    assert result["recall_negative"] == 1.0 and result["recall_neutral"] == 1.0
    assert calls[-1] == (4, 4) and result["items_per_s"] > 0


def test_sentiment_eval_names_file_and_line_of_a_bad_label(tmp_path: Path) -> None:
    data = _write(tmp_path / "s.csv", "text,label\ngood,positive\nbad,angry\n")
    with pytest.raises(DataFileError, match=r"s\.csv:3: bad label 'angry'"):
        EVAL_TASKS["sentiment"](test=data)


def test_language_eval(tmp_path: Path) -> None:
    data = _write(
        tmp_path / "l.csv",
        "text,label\n"
        '"The weather is lovely today and I am going for a walk.",en\n'
        '"El clima está muy agradable hoy y voy a caminar.",es\n'
        '"Tää on suomea eikä tuettu kieli ollenkaan",fi\n',
    )
    result = EVAL_TASKS["language"](test=data)
    assert result["n"] == 3 and result["recall_en"] == 1.0 and result["recall_es"] == 1.0
    assert result["recall_fi"] == 0.0 and result["unsupported_gold_languages"] == "fi"


def test_language_eval_rejects_names_instead_of_codes(tmp_path: Path) -> None:
    data = _write(tmp_path / "l.csv", "text,label\nhello there,english\n")
    with pytest.raises(DataFileError, match=r"l\.csv:2: .*ISO 639-1"):
        EVAL_TASKS["language"](test=data)
