"""POST /api/v1/ml/moderate over real HTTP: roles, validation, raw content, and cache-aside for
existing items on SQLite and on the real Postgres + Redis."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import dagster as dg
import polars as pl
import pytest
import redis

from socialflow_demo import WorldConfig, generate_world
from socialflow_demo.load import write_world
from socialflow_pipelines.definitions import defs
from socialflow_pipelines.defs.moderation.assets import moderation_results
from socialflow_pipelines.ml.moderation import DECISIONS
from socialflow_pipelines.platform.db.engine import Database
from tests.domains.catalog.world import iid

NOW = datetime.now(UTC)
URL = "/api/v1/ml/moderate"


def test_only_admins_may_moderate(sqlite_db: Database, start_api, make_token) -> None:
    api = start_api()
    body = {"text": "hello there"}
    assert api.client().post(URL, json=body).status_code == 401
    forbidden = api.client(make_token(7)).post(URL, json=body)
    assert forbidden.status_code == 403
    assert forbidden.json() == {"detail": "admin role required", "status_code": 403}
    assert api.client(make_token(1, admin=True)).post(URL, json=body).status_code == 200


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"text": "x" * 10_001}, "text"),
        ({"title": "t" * 501}, "title"),
        ({"content_type": "tweet", "content_id": iid(1)}, "content_type"),
        ({"content_type": "post", "content_id": 1}, "content_id"),
        ({"content_type": "post", "content_id": "abc"}, "content_id"),
        ({"content_type": "post", "content_id": iid(1).upper() + "0"}, "content_id"),
        ({"text": 42}, "text"),
        ({"texts": "hi"}, "texts"),
        ({"content_type": "post"}, "content_id"),
        ({"text": "hi", "content_type": "post", "content_id": iid(3)}, "content_type and content_id"),
        ({}, "content_type and content_id, or text"),
    ],
)
def test_oversized_or_malformed_bodies_get_422_naming_the_field(
    sqlite_db: Database, start_api, make_token, body: dict, field: str
) -> None:
    response = start_api().client(make_token(1, admin=True)).post(URL, json=body)
    assert response.status_code == 422
    assert field in response.json()["detail"]


def test_raw_content_is_judged_by_the_models_with_missing_signals_explained(
    sqlite_db: Database, start_api, make_token
) -> None:
    client = start_api().client(make_token(1, admin=True))
    insult = client.post(URL, json={"text": "you are a stupid worthless idiot, shut up"}).json()
    friendly = client.post(URL, json={"text": "thanks for the lovely photos from the trip"}).json()
    assert insult["scores"]["toxicity"] > 0.7 > friendly["scores"]["toxicity"]
    assert insult["decision"] in ("flagged", "rejected") and "toxicity" in insult["flags"]
    assert friendly["decision"] == "approved"
    assert insult["source"] == "model" and insult["content_id"] is None
    assert insult["models"]["toxicity"] == "alt-profanity-check"
    assert insult["scores"]["spam"] is None and "socialflow train spam" in insult["missing"]["spam"]

    video = client.post(URL, json={"title": "my trip", "description": "beach and sun"}).json()
    assert video["decision"] in DECISIONS
    assert set(video["scores"]) == {"spam", "toxicity", "hate_speech", "nsfw", "violence"}
    assert video["scores"]["nsfw"] is None and video["scores"]["violence"] is None
    assert video["missing"]["violence"]  # a reason, never a made-up score


def test_existing_items_are_cache_aside_through_redis(
    any_db: Database, redis_url: str, start_api, make_token
) -> None:
    world = generate_world(WorldConfig(users=200, days=3), now=NOW)
    write_world(any_db, world)
    client = start_api().client(make_token(1, admin=True))
    cache = redis.Redis.from_url(redis_url, decode_responses=True)

    # Not moderated by the pipeline yet: judged live, then cached.
    comment_id = world["comments"]["id"][0]
    live = client.post(URL, json={"content_type": "comment", "content_id": comment_id})
    assert live.status_code == 200 and live.json()["source"] == "model"
    assert 0 < cache.ttl(f"moderation:comment:{comment_id}") <= 3600
    again = client.post(URL, json={"content_type": "comment", "content_id": comment_id}).json()
    assert again["source"] == "cache"
    assert {k: v for k, v in again.items() if k != "source"} == {
        k: v for k, v in live.json().items() if k != "source"
    }

    # Moderated by the pipeline: the stored result (a human review wins there too).
    review = (
        world["moderation_reviews"]
        .filter(pl.col("content_type") == "post")
        .sort("created_at")
        .row(-1, named=True)
    )
    day = world["posts"].filter(pl.col("id") == review["content_id"])["created_at"][0].strftime("%Y-%m-%d")
    assert dg.materialize([moderation_results], resources=defs.resources, partition_key=day).success
    cache.delete(f"moderation:post:{review['content_id']}")
    stored = client.post(URL, json={"content_type": "post", "content_id": review["content_id"]}).json()
    assert stored["source"] == "store"
    assert stored["human_reviewed"] is True and stored["decision"] == review["decision"]
    assert json.loads(cache.get(f"moderation:post:{review['content_id']}"))["decision"] == review["decision"]

    missing = client.post(URL, json={"content_type": "video", "content_id": iid(10**9)})
    assert missing.status_code == 404
