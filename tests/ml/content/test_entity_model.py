import json
from pathlib import Path

import joblib
import pytest

from socialflow_pipelines.ml.content.conll import ConllFormatError, read_conll, score_entities
from socialflow_pipelines.ml.content.entities import EntityRecognizer
from socialflow_pipelines.ml.content.entity_model import EntityModel, EntityModelParams, train_entity_model
from tests.ml.content.entity_samples import write_sample, write_unseen

FAST = EntityModelParams(max_epochs=6, patience=2)


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> tuple[EntityModel, dict, Path]:
    root = tmp_path_factory.mktemp("entities")
    files = [write_sample(root / "a.conll", 40, seed=1), write_sample(root / "b.conll", 30, seed=2)]
    model, metrics = train_entity_model(files, seed=0, params=FAST)
    return model, metrics, root


def test_learns_planted_types_in_unseen_names(trained: tuple[EntityModel, dict, Path]) -> None:
    model, metrics, root = trained
    assert metrics["n"] == 10 and 1 <= metrics["best_epoch"] <= metrics["epochs_run"] <= FAST.max_epochs
    assert metrics["f1"] > 0.8
    unseen = read_conll(write_unseen(root / "unseen.conll"))
    texts = [sentence.text()[0] for sentence in unseen]
    learned = score_entities(unseen, model.recognize_many(texts))
    off_the_shelf = score_entities(unseen, EntityRecognizer().recognize_many(texts))
    assert learned["f1_group"] > 0.8 > off_the_shelf["f1_group"]
    assert learned["f1"] > off_the_shelf["f1"] and learned["f1"] > 0.8


def test_pickle_round_trip_and_contract(trained: tuple[EntityModel, dict, Path]) -> None:
    model, _, root = trained
    joblib.dump(model, root / "model.joblib")
    loaded = joblib.load(root / "model.joblib")
    texts = ["omg Selma Voss and Copper Saints on the same stage", "Hola Copper Saints", "nothing here"]
    assert loaded.recognize_many(texts, ["en", "es", "und"]) == model.recognize_many(
        texts, ["en", "es", "und"]
    )
    first, other_language, _ = loaded.recognize_many(texts, ["en", "es", "und"])
    assert other_language == []
    assert {e.type for e in first} <= {"person", "group"}
    assert all(texts[0][e.start : e.end] == e.text for e in first)
    described = json.loads(json.dumps(loaded.describe()))
    assert described["family"] == "spacy_ner" and described["best_epoch"] >= 1
    assert described["train_sentences"] == 60 and described["holdout_sentences"] == 10


def test_same_seed_same_model(tmp_path: Path) -> None:
    data = write_sample(tmp_path / "a.conll", 30, seed=3)
    quick = EntityModelParams(max_epochs=2, patience=1)
    (first, m1), (second, m2) = (train_entity_model([data], seed=5, params=quick) for _ in range(2))
    texts = ["lol Dario Kettle is the funniest person on my timeline", "Hollow Pines in Porto tonight"]
    assert first.recognize_many(texts) == second.recognize_many(texts)
    assert {k: v for k, v in m1.items() if k != "train_seconds"} == {
        k: v for k, v in m2.items() if k != "train_seconds"
    }


def test_training_file_errors_name_file_and_line(tmp_path: Path) -> None:
    good = write_sample(tmp_path / "good.conll", 5, seed=1)
    bad = tmp_path / "bad.conll"
    bad.write_text("Lena\tB-person\nMarsh\tI-PER\n", encoding="utf-8")
    with pytest.raises(ConllFormatError, match=r"bad\.conll:2: bad tag 'I-PER'"):
        train_entity_model([good, bad], params=FAST)
    single = tmp_path / "one.conll"
    single.write_text("Lena\tB-person\n", encoding="utf-8")
    with pytest.raises(ConllFormatError, match="at least 2 sentences"):
        train_entity_model([single], params=FAST)
