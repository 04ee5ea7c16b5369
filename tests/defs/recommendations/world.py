"""A seeded world for the recommendation assets (planted interests, content features naming each
item's topic, trending rows on demand) and the helpers that materialize them and read back what
they stored. The API tests use them too."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import dagster as dg
import polars as pl
import sqlalchemy as sa

from socialflow_demo import WorldConfig, generate_world
from socialflow_demo.load import write_world
from socialflow_pipelines.definitions import defs
from socialflow_pipelines.defs.recommendations.assets import ASSETS
from socialflow_pipelines.defs.resources import SettingsResource
from socialflow_pipelines.platform.db import schema
from socialflow_pipelines.platform.db.engine import Database

# Recent (the assets weigh engagement against the real clock) but fixed within a day, so a world
# and its rankings do not depend on the hour the tests run at.
NOW = datetime.now(UTC).replace(hour=6, minute=0, second=0, microsecond=0) - timedelta(days=1)
FAST = {
    "ops": {
        "recommendation_model": {"config": {"num_threads": 1, "epochs": 20}},
        "recommendations": {"config": {"num_threads": 1}},
    }
}


def seed_world(db: Database, users: int = 300, days: int = 4) -> dict[str, pl.DataFrame]:
    """A demo world plus content features that name each item's planted topic (what content analysis
    would find), so the model has item features without running the text models."""
    world = generate_world(WorldConfig(users=users, days=days), now=NOW)
    write_world(db, world)
    truth = world["demo_ground_truth"].filter(
        pl.col("content_type").is_in(["video", "post"]), pl.col("topic").is_not_null()
    )
    add_features(db, truth.select("content_type", "content_id", "topic"))
    return world


def add_features(db: Database, items: pl.DataFrame) -> None:
    """content_features rows (content_type, content_id, topic) with one topic each."""
    frame = items.select(
        "content_type",
        "content_id",
        pl.lit(NOW.date()).alias("created_date"),
        pl.lit("en").alias("language"),
        pl.lit("[]").alias("tags"),
        pl.lit("[]").alias("categories"),
        pl.col("topic")
        .map_elements(lambda t: json.dumps([{"id": 0, "label": t, "score": 1.0}]), return_dtype=pl.String)
        .alias("topics"),
        pl.lit("[]").alias("entities"),
        pl.lit(NOW).alias("analyzed_at"),
    )
    with db.begin() as conn:
        db.insert(schema.content_features, frame, conn)


def add_trending(db: Database, content_type: str, ids: list[str]) -> None:
    """24h trending rows, best first."""
    frame = pl.DataFrame(
        {
            "content_type": content_type,
            "time_window": "24h",
            "content_id": ids,
            "rank": list(range(1, len(ids) + 1)),
            "score": [float(len(ids) - r) for r in range(len(ids))],
            "velocity": 1.0,
            "baseline_velocity": 1.0,
            "weighted_engagement": 1.0,
            "trend": "rising",
            "computed_at": NOW,
        }
    )
    with db.begin() as conn:
        db.insert(schema.trending_scores, frame, conn)


def materialize(
    assets: tuple[dg.AssetsDefinition, ...] | list[dg.AssetsDefinition] = ASSETS,
    env: dict[str, str] | None = None,
    model_config: dict | None = None,
) -> dg.ExecuteInProcessResult:
    """Materialize `assets` with the code location's resources, the settings overridden by `env`
    (environment variable names: `{"REC_BLEND_CONTENT": "0"}`) and `recommendation_model`'s config
    by `model_config`."""
    resources = {**defs.resources, "settings": SettingsResource(overrides=env or {})}
    result = dg.materialize(list(assets), resources=resources, run_config=_config(assets, model_config or {}))
    assert result.success
    return result


def _config(assets, model_config: dict) -> dict:
    names = {key.to_user_string() for a in assets for key in a.keys}
    ops = {name: {"config": dict(cfg["config"])} for name, cfg in FAST["ops"].items() if name in names}
    if "recommendation_model" in ops:
        ops["recommendation_model"]["config"].update(model_config)
    return {"ops": ops}


def stored(db: Database, content_type: str) -> pl.DataFrame:
    table = schema.recommendations
    return db.read_frame(
        sa.select(table.c.user_id, table.c.rank, table.c.item_id, table.c.score, table.c.model_version)
        .where(table.c.content_type == content_type)
        .order_by(table.c.user_id, table.c.rank)
    )


def metadata_of(result: dg.ExecuteInProcessResult, asset: str) -> dict:
    for event in result.get_asset_materialization_events():
        if event.asset_key.to_user_string() == asset:
            return {k: v.value for k, v in event.materialization.metadata.items()}
    raise AssertionError(f"{asset} not materialized")
