"""POST /api/v1/ml/viral-prediction over real HTTP, on a world whose viral model the pipeline
trained: the seed's example verbatim (counts only), a stored item for its creator, another user
refused, negative counts and an unknown item refused, and no model yet said plainly."""

from __future__ import annotations

import dagster as dg
import pytest

from socialflow_pipelines.definitions import defs
from socialflow_pipelines.defs.virality.assets import viral_model
from socialflow_pipelines.domains.catalog.store import item_owner
from socialflow_pipelines.platform.db.engine import Database
from tests.defs.virality.world import seed

URL = "/api/v1/ml/viral-prediction"
# The seed's request, byte for byte (ml-pipeline-integration.md, section 5).
SEED_VIRAL = """{
  "content_id": "123e4567-e89b-12d3-a456-426614174000",
  "content_data": {
    "title": "Amazing video",
    "duration": 120
  },
  "engagement_data": {
    "views": 1000,
    "likes": 100,
    "comments": 20,
    "shares": 50
  }
}"""
SEED_FIELDS = {
    "content_id": str,
    "viral_score": float,
    "is_likely_viral": bool,
    "factors": dict,
    "confidence": float,
}


@pytest.fixture
def trained(sqlite_db: Database) -> list[str]:
    planted = seed(sqlite_db)
    assert dg.materialize([viral_model], resources=defs.resources).success
    return planted


def owner_of(db: Database, post_id: str) -> str:
    owner = item_owner(db, "post", post_id)
    assert owner is not None
    return owner


def test_the_seeds_example_gets_the_seeds_fields(trained, start_api, make_token) -> None:
    api = start_api()
    with api.client(make_token(1, admin=True)) as admin:
        response = admin.post(URL, content=SEED_VIRAL, headers={"Content-Type": "application/json"})
    assert response.status_code == 200, response.text
    body = response.json()
    for field, kind in SEED_FIELDS.items():
        assert isinstance(body[field], kind), (field, body.get(field))
    assert body["content_id"] == "123e4567-e89b-12d3-a456-426614174000"
    assert body["basis"] == "given counts" and body["age_assumed"] is True
    assert body["content_type"] == "video"  # a duration says video
    assert 0 <= body["viral_score"] <= 1 and 0 <= body["confidence"] <= 1
    assert {"engagement_rate", "engagement_velocity"} <= set(body["factors"])


def test_a_stored_item_for_its_creator_and_not_for_another_user(
    sqlite_db: Database, trained, start_api, make_token
) -> None:
    post = trained[0]
    creator = owner_of(sqlite_db, post)
    api = start_api()
    with api.client(make_token(creator)) as mine, api.client(make_token(987_654)) as other:
        own = mine.post(URL, json={"content_id": post})
        refused = other.post(URL, json={"content_id": post})
    assert own.status_code == 200, own.text
    assert own.json()["basis"] == "stored history" and own.json()["content_type"] == "post"
    assert own.json()["is_likely_viral"] is True  # a planted burst
    assert own.json()["observations"] >= 150
    assert refused.status_code == 403


def test_bad_requests_are_named(trained, start_api, make_token) -> None:
    api = start_api()
    with api.client(make_token(1, admin=True)) as admin, api.client(make_token(5)) as user:
        negative = admin.post(URL, json={"content_id": trained[0], "engagement_data": {"views": -1}})
        unknown = admin.post(URL, json={"content_id": "00000000-0000-4000-8000-000000000999"})
        not_uuid = admin.post(URL, json={"content_id": "42"})
        counts_as_user = user.post(
            URL, json={"content_id": "00000000-0000-4000-8000-000000000999", "engagement_data": {"views": 5}}
        )
    assert negative.status_code == 422 and "engagement_data.views" in negative.json()["detail"]
    assert unknown.status_code == 404
    assert not_uuid.status_code == 422 and not_uuid.json()["errors"][0]["field"] == "content_id"
    assert counts_as_user.status_code == 403


def test_no_published_model_is_a_503_that_says_so(sqlite_db: Database, start_api, make_token) -> None:
    api = start_api()
    with api.client(make_token(1, admin=True)) as admin:
        response = admin.post(URL, content=SEED_VIRAL, headers={"Content-Type": "application/json"})
    assert response.status_code == 503
    assert "no viral model is published yet" in response.json()["detail"]
    assert int(response.headers["retry-after"]) > 0
