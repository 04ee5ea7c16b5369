"""GET /api/v1/ml/trending over real HTTP: auth, validation, cache, and Redis dying mid-test."""

from __future__ import annotations

import subprocess
from datetime import timedelta

import dagster as dg
import pytest

from socialflow_pipelines.definitions import defs
from socialflow_pipelines.defs.trending.assets import engagement_hourly, trending_scores
from socialflow_pipelines.platform.db.engine import Database
from tests.conftest import OwnRedis
from tests.defs.trending.world import NOW, hand_built_events, insert_events, materialize_range
from tests.domains.catalog.world import iid

URL = "/api/v1/ml/trending"


def publish(db: Database) -> None:
    insert_events(db, hand_built_events())
    assert materialize_range(NOW - timedelta(hours=50), NOW).success
    assert dg.materialize([trending_scores], resources=defs.resources).success


@pytest.fixture
def private_redis(own_redis: OwnRedis, monkeypatch: pytest.MonkeyPatch) -> subprocess.Popen:
    """The API on a Redis of our own (tests/conftest.py), so a test can stop it."""
    monkeypatch.setenv("REDIS_URL", own_redis.url)
    return own_redis.process


def test_valid_token_gets_ranked_items_from_the_store(sqlite_db, start_api, make_token) -> None:
    publish(sqlite_db)
    api = start_api()
    with api.client(make_token(42)) as client:
        response = client.get(URL, params={"content_type": "video", "time_window": "6h", "limit": 5})
    assert response.status_code == 200
    body = response.json()
    assert body["source"] == "store"
    assert [item["content_id"] for item in body["items"]] == [iid(2), iid(1)]
    assert body["items"][0]["trend"] == "rising"


def test_missing_bad_and_expired_tokens_get_401(sqlite_db, start_api, make_token) -> None:
    api = start_api()
    with api.client() as client:
        missing = client.get(URL)
    with api.client("not-a-jwt") as client:
        garbage = client.get(URL)
    with api.client(make_token(1, ttl=timedelta(seconds=-5))) as client:
        expired = client.get(URL)
    assert [r.status_code for r in (missing, garbage, expired)] == [401, 401, 401]
    assert expired.json() == {"detail": "token expired", "status_code": 401}
    assert missing.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"content_type": "comment"}, "content_type"),
        ({"time_window": "2h"}, "time_window"),
        ({"limit": 0}, "limit"),
        ({"limit": 51}, "limit"),
        ({"limit": "ten"}, "limit"),
    ],
)
def test_bad_parameters_get_422_naming_the_parameter(sqlite_db, start_api, make_token, params, field) -> None:
    api = start_api()
    with api.client(make_token()) as client:
        response = client.get(URL, params=params)
    assert response.status_code == 422
    body = response.json()
    assert body["status_code"] == 422
    assert body["errors"][0]["field"] == f"query.{field}"
    assert field in body["detail"]


def test_cache_then_redis_stopped_mid_test_falls_back_to_store(
    postgres_db, private_redis, start_api, make_token
) -> None:
    publish(postgres_db)
    api = start_api()
    with api.client(make_token(7)) as client:
        cached = client.get(URL, params={"time_window": "6h"})
        assert cached.status_code == 200
        assert cached.json()["source"] == "cache"
        private_redis.kill()
        private_redis.wait()
        fallback = client.get(URL, params={"time_window": "6h"})
        health = client.get("/health")
    assert fallback.status_code == 200
    assert fallback.json()["source"] == "store"
    assert fallback.json()["items"] == cached.json()["items"]
    assert health.json()["redis"] == "unreachable"


def test_rate_limit_per_user(sqlite_db, start_api, make_token, monkeypatch) -> None:
    monkeypatch.setenv("SOCIALFLOW_RATE_LIMIT", "3/minute")
    api = start_api()
    with api.client(make_token(5)) as first, api.client(make_token(6)) as second:
        codes = [first.get(URL).status_code for _ in range(4)]
        other = second.get(URL).status_code
    assert codes == [200, 200, 200, 429]
    assert other == 200


def test_metrics_need_an_admin_and_openapi_lists_trending(sqlite_db, start_api, make_token) -> None:
    api = start_api()
    with api.client(make_token(1)) as user, api.client(make_token(2, admin=True)) as admin:
        assert user.get("/metrics").status_code == 403
        user.get(URL)
        metrics = admin.get("/metrics")
        spec = admin.get("/openapi.json").json()
    assert metrics.status_code == 200
    assert 'route="/api/v1/ml/trending"' in metrics.text
    assert "/api/v1/ml/trending" in spec["paths"]


def test_engagement_hourly_is_in_the_definitions_hourly_and_backfilled_in_one_run() -> None:
    hourly = defs.resolve_assets_def(engagement_hourly.key)
    assert isinstance(hourly.partitions_def, dg.HourlyPartitionsDefinition)
    assert hourly.backfill_policy == dg.BackfillPolicy.single_run()
