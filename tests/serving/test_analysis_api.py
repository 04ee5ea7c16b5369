"""POST /api/v1/ml/analyze over real HTTP: owner / non-owner / admin / no token, stored features
versus a live analysis (cached in Redis), raw text for admins, and bad bodies named in the 422."""

from __future__ import annotations

import dagster as dg
import pytest
import sqlalchemy as sa

from socialflow_pipelines.definitions import defs
from socialflow_pipelines.defs.content.assets import content_analysis
from socialflow_pipelines.platform.db.engine import Database
from tests.defs.content.world import DAY, OTHER, OWNER, SECOND_DAY, seed
from tests.domains.catalog.world import iid

URL = "/api/v1/ml/analyze"


def store_features_of_post_1() -> None:
    """Post 1 analysed by the pipeline; post 2 (same owner) not yet."""
    result = dg.materialize(
        [content_analysis],
        resources=defs.resources,
        partition_key=SECOND_DAY.strftime(DAY),
        run_config={"ops": {"content_analysis": {"config": {"posts": [iid(1)]}}}},
    )
    assert result.success


def test_owner_non_owner_admin_and_no_token(sqlite_db: Database, start_api, make_token) -> None:
    seed(sqlite_db)
    store_features_of_post_1()
    api = start_api()
    with api.client(make_token(OWNER)) as owner, api.client(make_token(OTHER)) as other:
        stored = owner.post(URL, json={"content_type": "post", "content_id": iid(1)})
        live = owner.post(URL, json={"content_type": "post", "content_id": iid(2)})
        video = owner.post(URL, json={"content_type": "video", "content_id": iid(1)})
        forbidden = other.post(URL, json={"content_type": "post", "content_id": iid(1)})
        raw_by_user = owner.post(URL, json={"text": "I love this"})
        missing = other.post(URL, json={"content_type": "comment", "content_id": iid(999)})
    with api.client(make_token(1, admin=True)) as admin:
        by_admin = admin.post(URL, json={"content_type": "post", "content_id": iid(1)})
        raw = admin.post(URL, json={"text": "Das neue Album ist richtig gut, ich höre es den ganzen Tag"})
    with api.client() as anonymous:
        no_token = anonymous.post(URL, json={"content_type": "post", "content_id": iid(1)})

    assert stored.status_code == 200, stored.text
    body = stored.json()
    assert body["source"] == "store"
    assert (body["content_type"], body["content_id"], body["language"]) == ("post", iid(1), "en")
    assert body["sentiment"] == "positive" and body["sentiment_detail"]["method"] == "vader"
    assert body["sentiment_score"] == body["sentiment_detail"]["score"] > 0
    assert {"python", "coding"} <= set(body["tags"])
    assert body["embedding_model"] == "sentence-transformers/all-MiniLM-L6-v2"

    assert live.status_code == 200 and live.json()["source"] == "model"
    assert live.json()["sentiment"] == "negative"
    entities = {(e["text"], e["type"]) for e in video.json()["entities"]}
    assert ("Barack Obama", "person") in entities  # from the video's captions

    assert by_admin.status_code == 200 and by_admin.json()["source"] == "store"
    assert by_admin.json() == body
    assert raw.status_code == 200
    raw_body = raw.json()
    assert (raw_body["content_id"], raw_body["language"], raw_body["source"]) == (None, "de", "model")
    assert raw_body["sentiment"] is None and "de" in raw_body["sentiment_detail"]["reason"]

    assert forbidden.status_code == 403
    assert forbidden.json()["status_code"] == 403
    assert raw_by_user.status_code == 403
    assert missing.status_code == 404
    assert no_token.status_code == 401


def test_live_analysis_is_cached_in_redis(sqlite_db: Database, redis_url, start_api, make_token) -> None:
    seed(sqlite_db)
    api = start_api()
    with api.client(make_token(OWNER)) as owner:
        first = owner.post(URL, json={"content_type": "post", "content_id": iid(3)})
        second = owner.post(URL, json={"content_type": "post", "content_id": iid(3)})
    assert first.status_code == second.status_code == 200
    assert (first.json()["source"], second.json()["source"]) == ("model", "cache")
    assert first.json()["language"] == second.json()["language"] == "es"
    assert {k: v for k, v in first.json().items() if k != "source"} == {
        k: v for k, v in second.json().items() if k != "source"
    }


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "content_type"),
        ({"content_type": "tweet", "content_id": iid(1)}, "content_type"),
        ({"content_type": "post"}, "content_id"),
        ({"content_type": "post", "content_id": "one"}, "content_id"),
        ({"content_type": "post", "content_id": "0"}, "content_id"),
        ({"text": ""}, "text"),
        ({"text": "   "}, "text"),
        ({"text": "hello", "content_type": "post", "content_id": iid(1)}, "text"),
        ({"content_type": "post", "content_id": iid(1), "colour": "red"}, "colour"),
    ],
)
def test_bad_bodies_get_422_naming_the_field(sqlite_db: Database, start_api, make_token, body, field) -> None:
    api = start_api()
    with api.client(make_token(1, admin=True)) as client:
        response = client.post(URL, json=body)
    assert response.status_code == 422, response.text
    payload = response.json()
    assert payload["status_code"] == 422
    assert payload["errors"][0]["field"] == field
    assert field in payload["detail"]


def test_a_published_sentiment_model_is_what_the_assets_and_the_api_use(
    sqlite_db: Database, start_api, make_token
) -> None:
    """`socialflow train sentiment`'s publication reaches the stored rows (method per row) and the
    live answers; before it, VADER."""
    from socialflow_pipelines.config import Settings
    from socialflow_pipelines.domains.content.service import SENTIMENT_MODEL, base_analyzer
    from socialflow_pipelines.ml.content.sentiment import SentimentModel
    from socialflow_pipelines.platform.db import schema
    from socialflow_pipelines.platform.model_store import Gate, ModelStore
    from tests.ml.content.sentiment_samples import planted_posts

    texts, labels = planted_posts(150, seed=3)
    model = SentimentModel().fit(texts, labels, base_analyzer().embedder.embed(texts))
    version = (
        ModelStore(Settings().model_dir)
        .publish_candidate(SENTIMENT_MODEL, model, metrics={"macro_recall": 1.0}, gate=Gate("macro_recall"))
        .candidate.version
    )
    method = f"{SENTIMENT_MODEL}:{version}"
    seed(sqlite_db)
    store_features_of_post_1()
    with sqlite_db.engine.connect() as conn:
        stored_methods = set(conn.execute(sa.select(schema.content_features.c.sentiment_method)).scalars())
    assert stored_methods == {method}
    api = start_api()
    with api.client(make_token(1, admin=True)) as admin:
        stored = admin.post(URL, json={"content_type": "post", "content_id": iid(1)})
        raw = admin.post(URL, json={"text": "honestly the new trailer is zorbly af"})
    assert stored.json()["sentiment_detail"]["method"] == method
    assert raw.json()["sentiment"] == "positive" and raw.json()["sentiment_detail"]["method"] == method
