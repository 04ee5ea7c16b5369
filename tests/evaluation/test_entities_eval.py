import json
from pathlib import Path

import pytest

from socialflow_pipelines.evaluation.datafiles import DataFileError
from socialflow_pipelines.evaluation.entities import EVAL_TASKS, read_conll
from socialflow_pipelines.ml.content.conll import score_entities
from socialflow_pipelines.ml.content.entity_model import EntityModelParams, train_entity_model
from socialflow_pipelines.platform.model_store import ModelStore
from tests.ml.content.entity_samples import write_sample, write_unseen


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_conll_reader_spans_and_errors(tmp_path: Path) -> None:
    good = _write(
        tmp_path / "ok.conll",
        "Barack\tB-person\nObama\tI-person\nvisited\tO\nChicago\tB-location\n\n"
        "I\tO\nlove\tO\nStarbucks\tI-corporation\n",
    )
    first, second = read_conll(good)
    assert first.spans == {(0, 2, "person"), (3, 4, "location")}
    assert second.spans == {(2, 3, "corporation")} and second.line == 6
    bad_tag = _write(tmp_path / "tag.conll", "Obama\tB-person\nrocks\tB-PER\n")
    with pytest.raises(DataFileError, match=r"tag\.conll:2: bad tag 'B-PER'"):
        read_conll(bad_tag)
    no_tab = _write(tmp_path / "tab.conll", "Obama\tB-person\n\nhello world O\n")
    with pytest.raises(DataFileError, match=r"tab\.conll:3: expected token<TAB>tag"):
        read_conll(no_tab)


def test_entities_eval_exact_match(tmp_path: Path) -> None:
    data = _write(
        tmp_path / "e.conll",
        "Barack\tB-person\nObama\tI-person\nspoke\tO\nin\tO\nChicago\tB-location\nyesterday\tO\n.\tO\n",
    )
    result = EVAL_TASKS["entities"](test=data)
    assert result["model"] == "spacy_sm" and result["baseline_spacy_sm_f1"] == result["f1"]
    assert result["n"] == 1 and result["gold_entities"] == 2
    assert result["recall_person"] == 1.0 and result["recall_location"] == 1.0
    assert result["f1"] == 1.0


def test_entities_eval_trains_the_family_on_train_files(tmp_path: Path) -> None:
    files = (write_sample(tmp_path / "a.conll", 40, seed=1), write_sample(tmp_path / "b.conll", 30, seed=2))
    result = EVAL_TASKS["entities"](test=write_unseen(tmp_path / "test.conll"), train=files)
    assert result["model"] == "entity_model" and result["train_files"] == 2
    assert result["train_seconds"] > 0 and result["best_epoch"] >= 1 and result["holdout_f1"] > 0.8
    assert result["f1"] > 0.8 and result["f1"] > result["baseline_spacy_sm_f1"]
    json.dumps(result)
    bad = _write(tmp_path / "bad.conll", "Lena\tB-person\nMarsh\tI-PER\n")
    with pytest.raises(DataFileError, match=r"bad\.conll:2: bad tag"):
        EVAL_TASKS["entities"](test=files[0], train=(files[0], bad))


def test_entities_eval_scores_the_published_model(tmp_path: Path) -> None:
    from socialflow_pipelines.domains.content.service import ENTITY_MODEL

    model, metrics = train_entity_model(
        [write_sample(tmp_path / "a.conll", 30, seed=1)], params=EntityModelParams(max_epochs=2, patience=1)
    )
    store = ModelStore(tmp_path / "models")
    version = store.save(ENTITY_MODEL, model, metrics=metrics, params=model.describe())
    test = write_unseen(tmp_path / "test.conll")
    before = EVAL_TASKS["entities"](test=test, model_dir=tmp_path / "models")
    assert before["model"] == "spacy_sm" and before["f1"] == before["baseline_spacy_sm_f1"]
    store.publish(ENTITY_MODEL, version.version)
    after = EVAL_TASKS["entities"](test=test, model_dir=tmp_path / "models")
    assert after["model"] == ENTITY_MODEL and after["version"] == version.version
    assert after["baseline_spacy_sm_f1"] == before["f1"]
    assert after["f1"] == score_entities(read_conll(test), model.recognize_many(texts_of(test)))["f1"]


def texts_of(path: Path) -> list[str]:
    return [sentence.text()[0] for sentence in read_conll(path)]


WNUT = Path("/work/shared/data/wnut17-emerging-entities")


@pytest.mark.skipif(not (WNUT / "emerging.dev.conll").is_file(), reason="WNUT-17 is not on this machine")
def test_wnut17_dev_reads_with_the_documented_counts() -> None:
    sentences = read_conll(WNUT / "emerging.dev.conll")
    assert len(sentences) == 1009 and sum(len(s.spans) for s in sentences) == 836
