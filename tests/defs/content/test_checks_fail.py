"""content_features' and content_embeddings' checks shown failing on bad rows and unanalysed items."""

from __future__ import annotations

from datetime import timedelta

import dagster as dg
import numpy as np
import pytest
import sqlalchemy as sa

from socialflow_pipelines.definitions import defs
from socialflow_pipelines.defs.content.assets import content_analysis
from socialflow_pipelines.defs.content.checks import content_embedding_checks, content_feature_checks
from socialflow_pipelines.domains.content import store as content_store
from socialflow_pipelines.platform.db import schema
from socialflow_pipelines.platform.db.engine import Database
from tests.defs.check_results import by_name, meta
from tests.defs.content.world import DAY, SECOND_DAY
from tests.defs.content.world import seed as seed_small_world
from tests.domains.catalog.world import iid

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


def listed(posts: list[str]) -> dict:
    return {"ops": {"content_analysis": {"config": {"posts": posts}}}}


def test_content_checks_fail_on_bad_rows_in_the_range_and_on_items_left_unanalysed(
    sqlite_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed_small_world(sqlite_db)
    first = analyse(run_config=listed([iid(1), iid(2), iid(100)]))  # three posts of the second day
    assert {name: c.passed for name, c in first.items()} == {
        "sentiment_score_in_range": True,
        "every_item_analysed": True,
        "every_item_embedded": True,
        "embedding_dims_consistent": True,
    }

    # Rows an older version left in the day: a raw sentiment score, a truncated vector, and a
    # vector of another embedding model. A run listing another item of the day finds them.
    features, embeddings = schema.content_features, schema.content_embeddings
    post = sa.and_(features.c.content_type == "post", features.c.content_id == iid(2))
    with sqlite_db.begin() as conn:
        conn.execute(features.update().where(post).values(sentiment_score=1.5))
        vector = conn.execute(
            sa.select(embeddings.c.vector).where(
                embeddings.c.content_type == "post", embeddings.c.content_id == iid(2)
            )
        ).scalar_one()
        conn.execute(
            embeddings.update()
            .where(embeddings.c.content_type == "post", embeddings.c.content_id == iid(2))
            .values(vector=bytes(vector)[:-4])
        )
        conn.execute(
            embeddings.update()
            .where(embeddings.c.content_type == "post", embeddings.c.content_id == iid(100))
            .values(model="old/embedder-768", dim=768, vector=np.zeros(768, "<f4").tobytes())
        )
    found = analyse(run_config=listed([iid(1)]))
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
    write_analyses = content_store.write_analyses

    def write_then_new_post(db: Database, *args, **kwargs) -> None:
        write_analyses(db, *args, **kwargs)
        with db.begin() as conn:
            conn.execute(
                schema.posts.insert().values(
                    id=iid(901),
                    user_id=iid(11),
                    text="posted mid-run",
                    created_at=SECOND_DAY + timedelta(hours=3),
                )
            )

    monkeypatch.setattr(content_store, "write_analyses", write_then_new_post)
    day = analyse()
    assert day["sentiment_score_in_range"].passed and day["embedding_dims_consistent"].passed
    assert day["every_item_analysed"].passed is False
    assert meta(day["every_item_analysed"])["unanalysed"] == 1
    assert day["every_item_embedded"].passed is False
    assert meta(day["every_item_embedded"])["unembedded"] == 1
