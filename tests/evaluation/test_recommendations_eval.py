from pathlib import Path

import numpy as np
import pytest

from socialflow_demo.samples import planted_interactions
from socialflow_pipelines.evaluation.datafiles import DataFileError
from socialflow_pipelines.evaluation.recommendations import (
    EVAL_TASKS,
    read_interactions,
    read_item_features,
)


def test_reads_movielens_u_data_layout(tmp_path: Path):
    path = tmp_path / "u.data"
    path.write_text("196\t242\t3\t881250949\n186\t302\t3\t891717742\n22\t377\t1\t878887116\n")
    rows = read_interactions(path)
    assert rows.users == ["196", "186", "22"]
    assert rows.items == ["242", "302", "377"]
    assert rows.ratings.tolist() == [3.0, 3.0, 1.0]


def test_reads_csv_with_header_in_any_column_order(tmp_path: Path):
    path = tmp_path / "ratings.csv"
    path.write_text("movieId,userId,rating,timestamp\n10,1,4.5,1\n11,2,2.0,2\n")
    rows = read_interactions(path)
    assert rows.users == ["1", "2"]
    assert rows.items == ["10", "11"]
    assert rows.ratings.tolist() == [4.5, 2.0]


def test_malformed_line_names_file_and_line(tmp_path: Path):
    path = tmp_path / "bad.csv"
    path.write_text("1,10,5\n2,11,4\n3\n")
    with pytest.raises(DataFileError, match=r"bad\.csv:3"):
        read_interactions(path)
    path.write_text("1,10,5\n2,11,great\n")
    with pytest.raises(DataFileError, match=r"bad\.csv:2.*not a number"):
        read_interactions(path)


def test_reads_movielens_u_item_genre_flags_and_pipe_genres(tmp_path: Path):
    u_item = tmp_path / "u.item"
    u_item.write_bytes(
        "1|Toy Story (1995)|01-Jan-1995||http://x|0|1|1\n2|Caf\xe9 (1995)|02-Feb-1996||http://y|1|0|0\n".encode(
            "latin-1"
        )
    )
    features = read_item_features(u_item)
    assert features["1"] == {"c6": 1.0, "c7": 1.0}
    assert features["2"] == {"c5": 1.0}
    movies = tmp_path / "movies.csv"
    movies.write_text("movieId,title,genres\n1,Heat,Action|Crime\n2,Up,Animation\n")
    assert read_item_features(movies) == {
        "1": {"genres:Action": 1.0, "genres:Crime": 1.0},
        "2": {"genres:Animation": 1.0},
    }


def test_train_file_is_required(tmp_path: Path):
    test = tmp_path / "test.tsv"
    test.write_text("1\t2\t5\n")
    with pytest.raises(ValueError, match="--train"):
        EVAL_TASKS["recommendations"](test=test, train=())


def test_end_to_end_on_planted_split(tmp_path: Path):
    data = planted_interactions(n_users=300, n_items=200, n_topics=5, events_per_user=20, seed=5)
    users = data.events["user_id"].to_numpy()
    items = data.events["item_id"].to_numpy()
    held_out = np.random.default_rng(1).random(len(users)) < 0.2
    train, test, item_file = tmp_path / "ua.base", tmp_path / "ua.test", tmp_path / "u.item"
    train.write_text(
        "".join(f"{u}\t{i}\t4\t0\n" for u, i in zip(users[~held_out], items[~held_out], strict=True))
    )
    test.write_text(
        "".join(f"{u}\t{i}\t2\t0\n" for u, i in zip(users[held_out], items[held_out], strict=True))
    )
    item_file.write_text("".join(f"{i}|title {i}|{data.item_topics[i]}\n" for i in range(200)))
    steps = []
    result = EVAL_TASKS["recommendations"](
        test=test,
        train=(train,),
        items=item_file,
        epochs=10,
        no_components=16,
        progress=lambda d, t: steps.append(d),
    )
    for model in ("lightfm", "hybrid", "ease", "blend", "popularity"):
        for metric in ("precision_at_10", "recall_at_10", "ndcg_at_10", "map_at_10", "auc"):
            assert 0.0 <= result[f"{model}_{metric}"] <= 1.0
    assert result["lightfm_precision_at_10"] > result["popularity_precision_at_10"]
    assert result["n_train"] + result["n_test"] == len(users)
    assert result["ease_precision_at_10"] > result["popularity_precision_at_10"]
    # What recommendation_model would serve: the best of the three (LightFM here is the hybrid).
    served = {
        "lightfm": result["hybrid_precision_at_10"],
        "ease": result["ease_precision_at_10"],
        "blend": result["blend_precision_at_10"],
    }
    assert served[result["collaborative_choice"]] == max(served.values())
    assert steps[-1] == 4
    with pytest.raises(DataFileError, match="rated 5"):
        EVAL_TASKS["recommendations"](test=test, train=(train,), min_rating=5)


def test_several_train_files_are_concatenated(tmp_path: Path):
    data = planted_interactions(n_users=120, n_items=80, n_topics=4, events_per_user=15, seed=3)
    lines = [f"{u}\t{i}\n" for u, i in zip(data.events["user_id"], data.events["item_id"], strict=True)]
    first, second, test = tmp_path / "a.tsv", tmp_path / "b.tsv", tmp_path / "test.tsv"
    first.write_text("".join(lines[0::3]))
    second.write_text("".join(lines[1::3]))
    test.write_text("".join(lines[2::3]))
    result = EVAL_TASKS["recommendations"](test=test, train=(first, second), epochs=3, no_components=8)
    assert result["n_train"] == len(set(lines[0::3]) | set(lines[1::3]))
