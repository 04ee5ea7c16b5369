"""moderation_results' checks shown failing on what the store holds (SQLite and Postgres)."""

from __future__ import annotations

from datetime import timedelta

import dagster as dg
import pytest

from socialflow_pipelines.definitions import defs
from socialflow_pipelines.defs.moderation.assets import moderation_results
from socialflow_pipelines.defs.moderation.checks import moderation_checks
from socialflow_pipelines.domains.moderation import store as moderation_store
from socialflow_pipelines.domains.moderation.store import read_results
from socialflow_pipelines.platform.db import schema
from socialflow_pipelines.platform.db.engine import Database
from tests.defs.check_results import by_name, meta
from tests.defs.content.test_assets import DAY, FIRST_DAY, SECOND_DAY
from tests.defs.content.test_assets import seed as seed_small_world
from tests.defs.ranges import partition_range
from tests.domains.catalog.world import iid


def test_moderation_checks_judge_the_stored_scores_and_the_unmoderated_count() -> None:
    good = {
        ("post", iid(1)): {"spam": None, "toxicity": 0.12, "hate_speech": None},
        ("video", iid(2)): {"toxicity": 0.0, "nsfw": 1.0},
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
        ("post", iid(3)): {"spam": None, "toxicity": 1.5, "hate_speech": None},  # a raw logit, stored by hand
        ("comment", iid(4)): {"toxicity": float("nan")},
        ("video", iid(5)): {"toxicity": 0.3, "nsfw": -0.2},
    }
    failing = by_name(moderation_checks(bad, 2, "every item created 2024-01-01 .. 2024-01-02"))
    scores = failing["scores_in_unit_interval"]
    assert scores.passed is False
    assert meta(scores) == {
        "scores_checked": 7,
        "out_of_range": 3,
        "out_of_range_items": f"post:{iid(3)}, comment:{iid(4)}, video:{iid(5)}",
    }
    moderated = failing["every_item_moderated"]
    assert moderated.passed is False
    assert meta(moderated) == {"unmoderated": 2, "scope": "every item created 2024-01-01 .. 2024-01-02"}


def moderate_both_days() -> dg.ExecuteInProcessResult:
    result = dg.materialize(
        [moderation_results],
        resources=defs.resources,
        tags=partition_range(FIRST_DAY.strftime(DAY), SECOND_DAY.strftime(DAY)),
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

    write_records = moderation_store.write_records
    results = schema.moderation_results

    def write_then_interfere(db: Database, records) -> None:
        write_records(db, records)
        stored = read_results(db, [("post", iid(2))])[("post", iid(2))].scores
        with db.begin() as conn:
            conn.execute(
                results.update()
                .where(results.c.content_type == "post", results.c.content_id == iid(2))
                .values(scores={**stored, "toxicity": 1.5})
            )
            conn.execute(
                schema.posts.insert().values(
                    id=iid(900),
                    user_id=iid(11),
                    text="posted mid-run",
                    created_at=SECOND_DAY + timedelta(hours=2),
                )
            )

    monkeypatch.setattr(moderation_store, "write_records", write_then_interfere)
    failing = by_name(moderate_both_days().get_asset_check_evaluations())
    scores = failing["scores_in_unit_interval"]
    assert scores.passed is False
    assert meta(scores)["out_of_range"] == 1 and meta(scores)["out_of_range_items"] == f"post:{iid(2)}"
    moderated = failing["every_item_moderated"]
    assert moderated.passed is False and meta(moderated)["unmoderated"] == 1

    # The read-back holds stored rows only.
    assert set(read_results(any_db, [("post", iid(2)), ("post", iid(900)), ("post", iid(1))])) == {
        ("post", iid(2)),
        ("post", iid(1)),
    }


# --------------------------------------------------------------------------------------------
# content_features / content_embeddings: sentiment_score_in_range, every_item_analysed,
# every_item_embedded, embedding_dims_consistent (content_feature_checks, content_embedding_checks)
