"""recommendations' checks and recommendation_model's gate shown failing."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime

import dagster as dg
import numpy as np
import sqlalchemy as sa

from socialflow_demo.ids import demo_id
from socialflow_pipelines.definitions import defs
from socialflow_pipelines.defs.recommendations.assets import ASSETS as RECOMMENDATION_ASSETS
from socialflow_pipelines.defs.recommendations.assets import recommendation_model
from socialflow_pipelines.defs.recommendations.checks import recommendation_checks
from socialflow_pipelines.domains.recommendations.records import RecommendationList, RecommendedItem
from socialflow_pipelines.domains.recommendations.scoring import own_items, scored_lists
from socialflow_pipelines.domains.recommendations.service import MODEL_NAME
from socialflow_pipelines.ml.recommendations import Recommendations
from socialflow_pipelines.platform.db import schema
from socialflow_pipelines.platform.db.engine import Database
from tests.defs.check_results import by_name, meta
from tests.defs.recommendations.world import seed_world as seed_recommendation_world

USER_10 = demo_id("user", 10)
USERS = [USER_10, demo_id("user", 11)]
ITEM_IDS = np.array([demo_id("post", n) for n in (100, 101, 102, 103)], dtype=object)
# User 10 created item 100, user 11 items 101-102.
CREATORS = np.array([demo_id("user", n) for n in (10, 11, 11, 12)], dtype=object)


def finished(items: list[list[int]]) -> tuple[list[RecommendationList], int]:
    """(lists, excluded hits) as the hourly scorer finishes a content type; `items` are columns."""
    picked = np.array(items, np.int64)
    scores = np.where(picked >= 0, 1.0 - np.arange(picked.shape[1]) / 10, 0.0).astype(np.float32)
    recs = Recommendations(picked, scores, {"trending": scores})
    scored = scored_lists(
        recs,
        USERS,
        ITEM_IDS,
        own_items(USERS, CREATORS),
        content_type="post",
        model_version="v1",
        generated_at=datetime(2026, 12, 1, tzinfo=UTC),
    )
    return scored.lists, scored.excluded_hits


def edited(
    lists: list[RecommendationList], user_id: str, change: Callable[[tuple[RecommendedItem, ...]], tuple]
) -> list[RecommendationList]:
    """`lists` with `change` applied to the items of `user_id`'s list, as a broken run would leave them."""
    return [
        replace(found, items=change(found.items)) if found.user_id == user_id else found for found in lists
    ]


def ranks_of(lists: list[RecommendationList], user_id: str) -> list[int]:
    return sorted(item.rank for found in lists if found.user_id == user_id for item in found.items)


def test_recommendation_checks_fail_on_an_own_item_and_on_a_rank_gap() -> None:
    lists, hits = finished([[1, 3, -1], [0, 3, -1]])
    passing = by_name(recommendation_checks({"post": lists}, hits))
    assert passing["no_excluded_items"].passed and passing["ranks_contiguous"].passed

    # User 10's list holds item 100, which user 10 created.
    lists, hits = finished([[3, 0, 1], [0, 3, -1]])
    failing = by_name(recommendation_checks({"post": lists}, hits))
    assert failing["no_excluded_items"].passed is False
    assert meta(failing["no_excluded_items"]) == {"own_consumed_or_rejected_recommended": 1}
    assert failing["ranks_contiguous"].passed

    # An item dropped from user 10's list after ranking, without renumbering: ranks 1, 3.
    lists, hits = finished([[1, 3, 2], [0, 3, -1]])
    gapped = edited(lists, USER_10, lambda items: tuple(item for item in items if item.id != ITEM_IDS[3]))
    failing = by_name(recommendation_checks({"video": [], "post": gapped}, hits))
    assert failing["ranks_contiguous"].passed is False
    assert meta(failing["ranks_contiguous"]) == {"lists_with_gaps": 1, "lists": f"post:{USER_10}"}
    assert failing["no_excluded_items"].passed
    assert ranks_of(gapped, USER_10) == [1, 3]

    # A duplicate rank hidden by a gap (1, 1, 3: lowest 1, highest 3 = the count) is caught too.
    lists, hits = finished([[1, 3, 2], [0, 3, -1]])
    doubled = edited(
        lists,
        USER_10,
        lambda items: tuple(replace(item, rank=1) if item.rank == 2 else item for item in items),
    )
    failing = by_name(recommendation_checks({"post": doubled}, hits))
    assert meta(failing["ranks_contiguous"]) == {"lists_with_gaps": 1, "lists": f"post:{USER_10}"}


# --------------------------------------------------------------------------------------------
# recommendation_model: not_worse_than_published (the real asset)


def test_recommendation_model_gate_refuses_a_worse_candidate(sqlite_db: Database) -> None:
    seed_recommendation_world(sqlite_db, users=150, days=3)
    good = {"ops": {"recommendation_model": {"config": {"num_threads": 1, "epochs": 20}}}}
    first = dg.materialize(list(RECOMMENDATION_ASSETS[:2]), resources=defs.resources, run_config=good)
    assert first.success
    (published_check,) = first.get_asset_check_evaluations()
    assert published_check.check_name == "not_worse_than_published" and published_check.passed
    registry = defs.resources["model_store"].store
    published = registry.published_version(MODEL_NAME)
    assert published is not None

    # One epoch at a tiny learning rate barely moves the random start: held-out precision falls.
    # LightFM served (not the best of LightFM and EASE), so the worse LightFM is the candidate.
    worse_config = {
        "num_threads": 1,
        "epochs": 1,
        "learning_rate": 0.0001,
        "no_components": 2,
        "collaborative": "lightfm",
    }
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
