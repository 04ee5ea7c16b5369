"""Every asset check shown failing once, on realistic bad input, and passing on good input.

Where it is cheap the real asset runs (`dg.materialize` with the project's resources) on a small
world (SQLite; moderation on Postgres too) whose store was corrupted, or changed under the run;
elsewhere the pure function that builds the check results is called with the bad data a broken
pipeline would hand it. Either way a failing check must say what it found (counts, items). Shown
failing elsewhere: `not_worse_than_published` of spam_model (test_moderation_assets; the toxicity
and hate_speech models' checks come from the same factory) and `topics_from_published_model`
(test_content_assets). `ranks_contiguous` names the lists whose ranks are not 1..n.
"""

from __future__ import annotations

from datetime import timedelta

import dagster as dg
import numpy as np
import polars as pl
import pytest
import sqlalchemy as sa

from socialflow_pipelines.assets import content as content_assets
from socialflow_pipelines.assets import moderation as moderation_assets
from socialflow_pipelines.assets.content import (
    content_analysis,
    content_embedding_checks,
    content_feature_checks,
)
from socialflow_pipelines.assets.moderation import moderation_checks, moderation_results
from socialflow_pipelines.assets.recommendations import (
    ASSETS as RECOMMENDATION_ASSETS,
)
from socialflow_pipelines.assets.recommendations import (
    _finish,
    _own_items,
    recommendation_checks,
    recommendation_model,
)
from socialflow_pipelines.assets.trending import check_trending
from socialflow_pipelines.config import get_settings
from socialflow_pipelines.db import schema
from socialflow_pipelines.db.engine import Database
from socialflow_pipelines.definitions import defs
from socialflow_pipelines.ml.recommendations import Recommendations
from socialflow_pipelines.ml.trending import WINDOW_HOURS, aggregate_hourly, compute_trending, top_per_window
from socialflow_pipelines.moderation_runtime import read_results
from socialflow_pipelines.recommendations_runtime import MODEL_NAME
from tests.assets.test_content_assets import DAY, FIRST_DAY, NOW, SECOND_DAY
from tests.assets.test_content_assets import seed as seed_small_world
from tests.assets.test_recommendation_assets import seed_world as seed_recommendation_world


def by_name(checks) -> dict[str, dg.AssetCheckResult | dg.AssetCheckEvaluation]:
    return {check.check_name: check for check in checks}


def meta(check: dg.AssetCheckResult | dg.AssetCheckEvaluation) -> dict:
    return {key: getattr(value, "value", value) for key, value in check.metadata.items()}


# --------------------------------------------------------------------------------------------
# trending_scores: scores_finite, every_window_present, row_counts_sane (check_trending)


def scored_world(keep_top: int = 10) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(kept, hourly) as `trending_scores` computes them: three videos and two posts engaged over
    the last two days, so both content types have a list in every window."""
    rows = [
        (content_type, content_id, "view", NOW - timedelta(hours=h, minutes=content_id))
        for content_type, ids in (("video", (1, 2, 3)), ("post", (7, 8)))
        for content_id in ids
        for h in range(0, 48, content_id)
    ]
    events = pl.DataFrame(
        rows,
        schema={
            "content_type": pl.String(),
            "content_id": pl.Int64(),
            "event_type": pl.String(),
            "created_at": pl.Datetime("us", "UTC"),
        },
        orient="row",
    )
    hourly = aggregate_hourly(events)
    scores = compute_trending(hourly, NOW, get_settings().engagement_weights)
    return top_per_window(scores, keep_top), hourly


def test_trending_checks_pass_on_what_the_asset_computes() -> None:
    kept, hourly = scored_world()
    checks = by_name(check_trending(kept, hourly, keep_top=10))
    assert {name: c.passed for name, c in checks.items()} == {
        "scores_finite": True,
        "every_window_present": True,
        "row_counts_sane": True,
    }
    assert meta(checks["every_window_present"])["missing_lists"] == "none"
    assert meta(checks["every_window_present"])["lists_present"] == 2 * len(WINDOW_HOURS)


def test_scores_finite_fails_on_a_nan_score() -> None:
    kept, hourly = scored_world()
    bad = kept.with_columns(
        pl.when((pl.col("content_id") == 2) & (pl.col("time_window") == "6h"))
        .then(float("nan"))
        .otherwise(pl.col("score"))
        .alias("score")
    )
    check = by_name(check_trending(bad, hourly, keep_top=10))["scores_finite"]
    assert check.passed is False
    assert meta(check) == {"non_finite_values": 1}


def test_every_window_present_fails_on_a_missing_window() -> None:
    kept, hourly = scored_world()
    bad = kept.filter(~((pl.col("content_type") == "post") & (pl.col("time_window") == "7d")))
    check = by_name(check_trending(bad, hourly, keep_top=10))["every_window_present"]
    assert check.passed is False
    assert meta(check) == {
        "lists_expected": 2 * len(WINDOW_HOURS),
        "lists_present": 2 * len(WINDOW_HOURS) - 1,
        "missing_lists": "post/7d",
    }


def test_row_counts_sane_fails_on_a_list_longer_than_keep_top_and_on_no_rows_despite_engagement() -> None:
    kept, hourly = scored_world(keep_top=10)  # three videos per list: more than a keep_top of 2
    check = by_name(check_trending(kept, hourly, keep_top=2))["row_counts_sane"]
    assert check.passed is False
    assert meta(check) == {"rows": kept.height, "largest_list": 3, "keep_top": 2}

    empty = by_name(check_trending(kept.clear(), hourly, keep_top=10))["row_counts_sane"]
    assert empty.passed is False and meta(empty)["rows"] == 0


# --------------------------------------------------------------------------------------------
# moderation_results: scores_in_unit_interval, every_item_moderated (moderation_checks)


def test_moderation_checks_judge_the_stored_scores_and_the_unmoderated_count() -> None:
    good = {
        ("post", 1): {"spam": None, "toxicity": 0.12, "hate_speech": None},
        ("video", 2): {"toxicity": 0.0, "nsfw": 1.0},
    }
    passing = by_name(moderation_checks(good, 0, "2 listed items"))
    assert passing["scores_in_unit_interval"].passed and passing["every_item_moderated"].passed
    assert meta(passing["scores_in_unit_interval"]) == {
        "scores_checked": 3,
        "out_of_range": 0,
        "out_of_range_items": "none",
    }

    bad = {
        **good,
        ("post", 3): {"spam": None, "toxicity": 1.5, "hate_speech": None},  # a raw logit, stored by hand
        ("comment", 4): {"toxicity": float("nan")},
        ("video", 5): {"toxicity": 0.3, "nsfw": -0.2},
    }
    failing = by_name(moderation_checks(bad, 2, "every item created 2024-01-01 .. 2024-01-02"))
    scores = failing["scores_in_unit_interval"]
    assert scores.passed is False
    assert meta(scores) == {
        "scores_checked": 7,
        "out_of_range": 3,
        "out_of_range_items": "post:3, comment:4, video:5",
    }
    moderated = failing["every_item_moderated"]
    assert moderated.passed is False
    assert meta(moderated) == {"unmoderated": 2, "scope": "every item created 2024-01-01 .. 2024-01-02"}


def moderate_both_days() -> dg.ExecuteInProcessResult:
    result = dg.materialize(
        [moderation_results],
        resources=defs.resources,
        tags={
            "dagster/asset_partition_range_start": FIRST_DAY.strftime(DAY),
            "dagster/asset_partition_range_end": SECOND_DAY.strftime(DAY),
        },
    )
    assert result.success  # a check, not the run, carries a finding
    return result


def test_moderation_checks_fail_on_what_the_store_holds_after_the_run(
    any_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The check reads the run's items back from ml.moderation_results: when the store holds other
    scores than the run computed (here an older deployment still running rewrites one item's row
    between the write and the check) it fails and names the item; a post committed while the run
    moderated leaves the range with an item without a result row."""
    seed_small_world(any_db)
    clean = by_name(moderate_both_days().get_asset_check_evaluations())
    assert clean["scores_in_unit_interval"].passed and clean["every_item_moderated"].passed
    assert meta(clean["scores_in_unit_interval"])["scores_checked"] > 0

    write_records = moderation_assets.write_records
    results = schema.moderation_results

    def write_then_interfere(db: Database, records) -> None:
        write_records(db, records)
        stored = read_results(db, [("post", 2)])[("post", 2)].scores
        with db.begin() as conn:
            conn.execute(
                results.update()
                .where(results.c.content_type == "post", results.c.content_id == 2)
                .values(scores={**stored, "toxicity": 1.5})
            )
            conn.execute(
                schema.posts.insert().values(
                    id=900, user_id=11, text="posted mid-run", created_at=SECOND_DAY + timedelta(hours=2)
                )
            )

    monkeypatch.setattr(moderation_assets, "write_records", write_then_interfere)
    failing = by_name(moderate_both_days().get_asset_check_evaluations())
    scores = failing["scores_in_unit_interval"]
    assert scores.passed is False
    assert meta(scores)["out_of_range"] == 1 and meta(scores)["out_of_range_items"] == "post:2"
    moderated = failing["every_item_moderated"]
    assert moderated.passed is False and meta(moderated)["unmoderated"] == 1

    # The read-back holds stored rows only.
    assert set(read_results(any_db, [("post", 2), ("post", 900), ("post", 1)])) == {("post", 2), ("post", 1)}


# --------------------------------------------------------------------------------------------
# content_features / content_embeddings: sentiment_score_in_range, every_item_analysed,
# every_item_embedded, embedding_dims_consistent (content_feature_checks, content_embedding_checks)

MINILM = {"model": "sentence-transformers/all-MiniLM-L6-v2", "dim": 384}
DAYS = (SECOND_DAY.date(), (SECOND_DAY + timedelta(days=1)).date())


def test_content_checks_pass_and_fail_on_the_counts_read_back() -> None:
    features = by_name(content_feature_checks(0, 0, DAYS, "3 listed items"))
    embeddings = by_name(content_embedding_checks([{**MINILM, "rows": 3, "bad_length": 0}], 0, DAYS, "x"))
    assert all(c.passed for c in (*features.values(), *embeddings.values()))

    features = by_name(content_feature_checks(2, 1, DAYS, "3 listed items"))
    assert features["sentiment_score_in_range"].passed is False
    assert meta(features["sentiment_score_in_range"]) == {
        "out_of_range": 2,
        "days": f"{DAYS[0]} .. {DAYS[1]}",
    }
    assert features["every_item_analysed"].passed is False
    assert meta(features["every_item_analysed"]) == {"unanalysed": 1, "scope": "3 listed items"}

    one_bad_vector = [{**MINILM, "rows": 3, "bad_length": 1}]
    embeddings = by_name(content_embedding_checks(one_bad_vector, 4, DAYS, "3 listed items"))
    assert embeddings["every_item_embedded"].passed is False
    assert meta(embeddings["every_item_embedded"]) == {"unembedded": 4, "scope": "3 listed items"}
    assert embeddings["embedding_dims_consistent"].passed is False
    assert meta(embeddings["embedding_dims_consistent"])["variants"] == one_bad_vector
    two_models = [
        {**MINILM, "rows": 2, "bad_length": 0},
        {"model": "old", "dim": 768, "rows": 1, "bad_length": 0},
    ]
    assert (
        by_name(content_embedding_checks(two_models, 0, DAYS, "x"))["embedding_dims_consistent"].passed
        is False
    )


def analyse(**kwargs) -> dict[str, dg.AssetCheckEvaluation]:
    result = dg.materialize(
        [content_analysis], resources=defs.resources, partition_key=SECOND_DAY.strftime(DAY), **kwargs
    )
    assert result.success
    return by_name(result.get_asset_check_evaluations())


def listed(posts: list[int]) -> dict:
    return {"ops": {"content_analysis": {"config": {"posts": posts}}}}


def test_content_checks_fail_on_bad_rows_in_the_range_and_on_items_left_unanalysed(
    sqlite_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed_small_world(sqlite_db)
    first = analyse(run_config=listed([1, 2, 100]))  # three posts of the second day
    assert {name: c.passed for name, c in first.items()} == {
        "sentiment_score_in_range": True,
        "every_item_analysed": True,
        "every_item_embedded": True,
        "embedding_dims_consistent": True,
    }

    # Rows an older version left in the day: a raw sentiment score, a truncated vector, and a
    # vector of another embedding model. A run listing another item of the day finds them.
    features, embeddings = schema.content_features, schema.content_embeddings
    post = sa.and_(features.c.content_type == "post", features.c.content_id == 2)
    with sqlite_db.begin() as conn:
        conn.execute(features.update().where(post).values(sentiment_score=1.5))
        vector = conn.execute(
            sa.select(embeddings.c.vector).where(
                embeddings.c.content_type == "post", embeddings.c.content_id == 2
            )
        ).scalar_one()
        conn.execute(
            embeddings.update()
            .where(embeddings.c.content_type == "post", embeddings.c.content_id == 2)
            .values(vector=bytes(vector)[:-4])
        )
        conn.execute(
            embeddings.update()
            .where(embeddings.c.content_type == "post", embeddings.c.content_id == 100)
            .values(model="old/embedder-768", dim=768, vector=np.zeros(768, "<f4").tobytes())
        )
    found = analyse(run_config=listed([1]))
    assert found["sentiment_score_in_range"].passed is False
    assert meta(found["sentiment_score_in_range"])["out_of_range"] == 1
    assert found["embedding_dims_consistent"].passed is False
    variants = sorted(meta(found["embedding_dims_consistent"])["variants"], key=lambda v: v["dim"])
    assert variants == [
        {**MINILM, "rows": 2, "bad_length": 1},
        {"model": "old/embedder-768", "dim": 768, "rows": 1, "bad_length": 0},
    ]
    assert found["every_item_analysed"].passed and found["every_item_embedded"].passed

    # A whole-day run replaces those rows; a post committed while it analysed is left without
    # features and embedding.
    write_analyses = content_assets.write_analyses

    def write_then_new_post(db: Database, *args, **kwargs) -> None:
        write_analyses(db, *args, **kwargs)
        with db.begin() as conn:
            conn.execute(
                schema.posts.insert().values(
                    id=901, user_id=11, text="posted mid-run", created_at=SECOND_DAY + timedelta(hours=3)
                )
            )

    monkeypatch.setattr(content_assets, "write_analyses", write_then_new_post)
    day = analyse()
    assert day["sentiment_score_in_range"].passed and day["embedding_dims_consistent"].passed
    assert day["every_item_analysed"].passed is False
    assert meta(day["every_item_analysed"])["unanalysed"] == 1
    assert day["every_item_embedded"].passed is False
    assert meta(day["every_item_embedded"])["unembedded"] == 1


# --------------------------------------------------------------------------------------------
# recommendations: no_excluded_items, ranks_contiguous (recommendation_checks, from _finish)

USERS = [10, 11]
ITEM_IDS = np.array([100, 101, 102, 103], np.int64)
CREATORS = np.array([10, 11, 11, 12], np.int64)  # user 10 created item 100, user 11 items 101-102


def finished(items: list[list[int]]) -> tuple[pl.DataFrame, int]:
    """(frame, excluded hits) as the hourly scorer finishes a content type; `items` are columns."""
    picked = np.array(items, np.int64)
    scores = np.where(picked >= 0, 1.0 - np.arange(picked.shape[1]) / 10, 0.0).astype(np.float32)
    recs = Recommendations(picked, scores, {"trending": scores})
    frame, _coverage, hits = _finish(recs, USERS, ITEM_IDS, _own_items(USERS, CREATORS))
    return frame, hits


def test_recommendation_checks_fail_on_an_own_item_and_on_a_rank_gap() -> None:
    frame, hits = finished([[1, 3, -1], [0, 3, -1]])
    passing = by_name(recommendation_checks({"post": frame}, hits))
    assert passing["no_excluded_items"].passed and passing["ranks_contiguous"].passed

    # User 10's list holds item 100, which user 10 created.
    frame, hits = finished([[3, 0, 1], [0, 3, -1]])
    failing = by_name(recommendation_checks({"post": frame}, hits))
    assert failing["no_excluded_items"].passed is False
    assert meta(failing["no_excluded_items"]) == {"own_consumed_or_rejected_recommended": 1}
    assert failing["ranks_contiguous"].passed

    # An item dropped from user 10's list after ranking, without renumbering: ranks 1, 3.
    frame, hits = finished([[1, 3, 2], [0, 3, -1]])
    gapped = frame.filter(~((pl.col("user_id") == 10) & (pl.col("item_id") == 103)))
    failing = by_name(recommendation_checks({"video": frame.head(0), "post": gapped}, hits))
    assert failing["ranks_contiguous"].passed is False
    assert meta(failing["ranks_contiguous"]) == {"lists_with_gaps": 1, "lists": "post:10"}
    assert failing["no_excluded_items"].passed
    assert sorted(gapped.filter(pl.col("user_id") == 10)["rank"].to_list()) == [1, 3]

    # A duplicate rank hidden by a gap (1, 1, 3: lowest 1, highest 3 = the count) is caught too.
    frame, hits = finished([[1, 3, 2], [0, 3, -1]])
    doubled = frame.with_columns(
        pl.when((pl.col("user_id") == 10) & (pl.col("rank") == 2))
        .then(1)
        .otherwise(pl.col("rank"))
        .alias("rank")
    )
    failing = by_name(recommendation_checks({"post": doubled}, hits))
    assert meta(failing["ranks_contiguous"]) == {"lists_with_gaps": 1, "lists": "post:10"}


# --------------------------------------------------------------------------------------------
# recommendation_model: not_worse_than_published (the real asset)


def test_recommendation_model_gate_refuses_a_worse_candidate(sqlite_db: Database) -> None:
    seed_recommendation_world(sqlite_db, users=150, days=3)
    good = {"ops": {"recommendation_model": {"config": {"num_threads": 1, "epochs": 20}}}}
    first = dg.materialize(list(RECOMMENDATION_ASSETS[:2]), resources=defs.resources, run_config=good)
    assert first.success
    (published_check,) = first.get_asset_check_evaluations()
    assert published_check.check_name == "not_worse_than_published" and published_check.passed
    registry = defs.resources["model_store"].registry
    published = registry.published_version(MODEL_NAME)
    assert published is not None

    # One epoch at a tiny learning rate barely moves the random start: held-out precision falls.
    worse_config = {"num_threads": 1, "epochs": 1, "learning_rate": 0.0001, "no_components": 2}
    worse = dg.materialize(
        [recommendation_model],
        resources=defs.resources,
        run_config={"ops": {"recommendation_model": {"config": worse_config}}},
    )
    assert worse.success  # a WARN check: the run succeeds, the candidate is not published
    (check,) = worse.get_asset_check_evaluations()
    assert check.check_name == "not_worse_than_published" and check.passed is False
    found = meta(check)
    assert found["published"] == published and found["candidate"] != published
    assert found["candidate_precision_at_10"] < found["published_precision_at_10"] - found["tolerance"]
    assert registry.published_version(MODEL_NAME) == published
    versions = schema.model_versions
    with sqlite_db.engine.connect() as conn:
        status = conn.execute(
            sa.select(versions.c.status).where(versions.c.version == found["candidate"])
        ).scalar_one()
    assert status == "rejected"
