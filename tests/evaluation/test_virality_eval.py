"""`socialflow eval virality` as a user runs it: time-series CSV files in, one JSON line out with
the model's and the Szabo & Huberman baseline's metrics; bad files named with their line; and, on
the real News Popularity series when they are present, the model at least as good as the baseline."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from socialflow_pipelines.cli.main import app
from socialflow_pipelines.evaluation.datafiles import DataFileError
from socialflow_pipelines.evaluation.virality import evaluate_virality, read_observations
from tests.ml.test_virality import planted_series

NEWS = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "news-popularity-googleplus-linkedin"
KEYS = ("roc_auc", "spearman", "r2", "precision_at_10pct")


def write(tmp_path: Path, name: str, frame: pl.DataFrame) -> Path:
    path = tmp_path / name
    frame.write_csv(path)
    return path


def test_the_cli_prints_flat_metrics_for_the_model_and_the_baseline(tmp_path: Path) -> None:
    train = write(tmp_path, "train.csv", planted_series(800, seed=11)[0])
    test = write(tmp_path, "test.csv", planted_series(300, seed=12)[0])
    done = CliRunner().invoke(
        app,
        ["eval", "virality", "--train", str(train), "--test", str(test), "--observe-minutes", "60"],
    )
    assert done.exit_code == 0, done.output
    result = json.loads(done.stdout.strip().splitlines()[-1])
    for prefix in ("model", "szabo_huberman"):
        assert all(isinstance(result[f"{prefix}_{key}"], float) for key in KEYS)
    assert all(not isinstance(value, dict | list) for value in result.values())
    assert result["model_roc_auc"] > 0.9  # planted fast growers are found at one hour
    assert result["model_roc_auc"] >= result["szabo_huberman_roc_auc"] - 0.02


@pytest.mark.parametrize(
    ("content", "line", "message"),
    [
        ("item_id,minutes\n1,20\n", 1, "lacks count"),
        ("item_id,minutes,count\n1,20,3\n1,forty,4\n", 3, "minutes is not a number"),
        ("item_id,minutes,count\n1,20,3\n1,-40,4\n", 3, "minutes is negative"),
        ("item_id,minutes,count\n1,20,\n", 2, "count is not a number"),
    ],
)
def test_a_bad_file_is_named_with_its_line(tmp_path: Path, content: str, line: int, message: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(content)
    with pytest.raises(DataFileError, match=message) as raised:
        read_observations(path)
    assert raised.value.line == line
    assert str(path) in str(raised.value)


def test_the_cli_reports_a_bad_file_without_a_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("item_id,minutes,count\n1,20,x\n")
    done = CliRunner().invoke(app, ["eval", "virality", "--train", str(bad), "--test", str(bad)])
    assert done.exit_code != 0
    assert f"{bad}:2" in done.output and "Traceback" not in done.output


def test_negative_counts_are_not_observations(tmp_path: Path) -> None:
    frame = pl.DataFrame({"item_id": ["a", "a"], "minutes": [20, 40], "count": [-1, 3]})
    observations = read_observations(write(tmp_path, "obs.csv", frame))
    assert observations["count"].to_list() == [-1.0, 3.0]  # read as given; the model drops -1


def wide_to_long(path: Path) -> pl.DataFrame:
    """The UCI files' one row per item (TS1..TS144, every 20 minutes) as the eval's long format."""
    wide = pl.read_csv(path)
    steps = [c for c in wide.columns if c.startswith("TS")]
    return wide.unpivot(index="IDLink", on=steps, variable_name="step", value_name="count").select(
        pl.col("IDLink").cast(pl.String).alias("item_id"),
        (pl.col("step").str.slice(2).cast(pl.Int64) * 20).alias("minutes"),
        "count",
    )


@pytest.mark.skipif(not NEWS.is_dir(), reason="the News Popularity series are not on this machine")
@pytest.mark.parametrize("platform", ["GooglePlus", "LinkedIn"])
def test_on_real_series_the_model_ranks_at_least_as_well_as_the_baseline(
    tmp_path: Path, platform: str
) -> None:
    series = wide_to_long(NEWS / f"{platform}_Palestine.csv")
    items = series["item_id"].unique().sort().sample(fraction=1.0, shuffle=True, seed=3)
    cut = int(0.7 * len(items))
    train = write(tmp_path, "train.csv", series.filter(pl.col("item_id").is_in(items[:cut].implode())))
    test = write(tmp_path, "test.csv", series.filter(pl.col("item_id").is_in(items[cut:].implode())))
    result = evaluate_virality(test, (train,), observe_minutes=60, horizon_minutes=48 * 60)
    assert result["model_roc_auc"] > result["szabo_huberman_roc_auc"]
    assert result["model_spearman"] >= result["szabo_huberman_spearman"] - 0.01
