"""GET /api/v1/ml/recommendations over real HTTP: cache hit, cache miss served from the store, Redis
stopped mid-test, a cold-start user, exclude_ids, validation and auth."""

from __future__ import annotations

import polars as pl
import pytest
import redis

from socialflow_pipelines.platform.db.engine import Database
from tests.defs.recommendations.world import add_trending, materialize, seed_world, stored
from tests.domains.catalog.world import iid
from tests.serving.test_trending_api import private_redis  # noqa: F401  (fixture)

URL = "/api/v1/ml/recommendations"


def published_world(db: Database) -> dict[str, pl.DataFrame]:
    world = seed_world(db, users=100, days=2)
    add_trending(db, "post", world["posts"]["id"].head(40).to_list())
    materialize()
    return world


def test_cache_hit_then_miss_served_from_the_store(sqlite_db, redis_url, start_api, make_token) -> None:
    published_world(sqlite_db)
    user = stored(sqlite_db, "post")["user_id"][0]
    expected = stored(sqlite_db, "post").filter(pl.col("user_id") == user)["item_id"].to_list()
    api = start_api()
    with api.client(make_token(user)) as client:
        cached = client.get(URL, params={"content_type": "post", "limit": 10})
        redis.Redis.from_url(redis_url).delete(f"recommendations:{user}:post")
        miss = client.get(URL, params={"content_type": "post", "limit": 10})
        excluded = client.get(
            URL, params={"content_type": "post", "limit": 10, "exclude_ids": f"{expected[0]},{expected[2]}"}
        )
    assert cached.status_code == 200 and miss.status_code == 200
    body = cached.json()
    assert body["source"] == "cache" and body["user_id"] == user and body["content_type"] == "post"
    assert [item["id"] for item in body["items"]] == expected[:10]
    assert [item["rank"] for item in body["items"]] == list(range(1, 11))
    assert miss.json()["source"] == "store"
    assert miss.json()["items"] == body["items"]
    assert miss.json()["generated_at"] is not None
    kept = [item["id"] for item in excluded.json()["items"]]
    assert kept == [i for i in expected if i not in (expected[0], expected[2])][:10]


def test_redis_stopped_mid_test_falls_back_to_the_store(
    sqlite_db,
    private_redis,  # noqa: F811  (the fixture imported above)
    start_api,
    make_token,
) -> None:
    published_world(sqlite_db)
    user = stored(sqlite_db, "video")["user_id"][0]
    api = start_api()
    with api.client(make_token(user)) as client:
        cached = client.get(URL, params={"content_type": "video"})
        private_redis.kill()
        private_redis.wait()
        fallback = client.get(URL, params={"content_type": "video"})
    assert cached.json()["source"] == "cache"
    assert fallback.status_code == 200
    assert fallback.json()["source"] == "store"
    assert fallback.json()["items"] == cached.json()["items"]


def test_cold_start_user_gets_trending_items_and_popular_accounts(sqlite_db, start_api, make_token) -> None:
    world = published_world(sqlite_db)
    newcomer = iid(10**6)  # never engaged, never scored
    hot = world["posts"]["id"].head(40).to_list()
    api = start_api()
    with api.client(make_token(newcomer)) as client:
        posts = client.get(URL, params={"content_type": "post", "limit": 5, "exclude_ids": hot[0]})
        accounts = client.get(URL, params={"content_type": "user", "limit": 5})
    body = posts.json()
    assert body["source"] == "cold_start"
    ids = [item["id"] for item in body["items"]]
    assert len(ids) == 5 and hot[0] not in ids and set(ids) <= set(hot)
    assert all(item["sources"].keys() == {"trending"} for item in body["items"])
    followers = (
        world["follows"].group_by("followee_id").len().sort(["len", "followee_id"], descending=[True, False])
    )
    assert accounts.json()["source"] == "cold_start"
    assert [item["id"] for item in accounts.json()["items"]] == followers["followee_id"].head(5).to_list()


@pytest.mark.parametrize(
    "raw", [f"{iid(1)},x", "3", f"{iid(1)}0", f"{iid(1)},,{iid(2)}", ",".join(iid(i) for i in range(1, 300))]
)
def test_bad_exclude_ids_get_422_naming_the_parameter(sqlite_db, start_api, make_token, raw) -> None:
    api = start_api()
    with api.client(make_token(3)) as client:
        response = client.get(URL, params={"exclude_ids": raw})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "query.exclude_ids"
    assert "exclude_ids" in response.json()["detail"]


def test_no_token_gets_401_and_bad_content_type_422(sqlite_db, start_api, make_token) -> None:
    api = start_api()
    with api.client() as client:
        assert client.get(URL).status_code == 401
    with api.client(make_token(3)) as client:
        assert client.get(URL, params={"content_type": "comment"}).status_code == 422
        assert client.get(URL, params={"limit": 51}).status_code == 422
