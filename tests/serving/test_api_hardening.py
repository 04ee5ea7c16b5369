"""What a hostile or careless client meets: bounded bodies, bounded ids, JSON errors everywhere."""

from __future__ import annotations

import jwt
import pytest
from sqlalchemy.exc import OperationalError

from socialflow_pipelines.config import Settings
from socialflow_pipelines.serving.routers import trending
from tests.domains.catalog.world import iid


def test_oversized_body_is_refused_before_authentication(sqlite_db, start_api) -> None:
    api = start_api()
    with api.client() as client:
        response = client.post("/api/v1/ml/moderate", content=b"{" + b" " * 100_000 + b"}")
    assert response.status_code == 413
    assert response.json()["status_code"] == 413


def test_chunked_body_without_length_is_refused(sqlite_db, start_api, make_token) -> None:
    api = start_api()

    def chunks():
        yield b'{"text": "hello"}'

    with api.client(make_token(admin=True)) as client:
        response = client.post("/api/v1/ml/moderate", content=chunks())
    assert response.status_code == 411


@pytest.mark.parametrize("raw", ["²", "1" * 20, "9223372036854775808", "0", "1,,2", f"{{{iid(1)}}}"])
def test_exclude_ids_not_canonical_uuids_get_422(sqlite_db, start_api, make_token, raw) -> None:
    api = start_api()
    with api.client(make_token(3)) as client:
        response = client.get("/api/v1/ml/recommendations", params={"exclude_ids": raw})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "query.exclude_ids"


@pytest.mark.parametrize("path", ["/api/v1/ml/moderate", "/api/v1/ml/analyze"])
@pytest.mark.parametrize("content_id", ["abc", 2**63, "1", " " + iid(1), "١٢٣", "urn:uuid:" + iid(1)])
def test_content_id_not_a_uuid_gets_422_naming_it(sqlite_db, start_api, make_token, path, content_id) -> None:
    api = start_api()
    with api.client(make_token(admin=True)) as client:
        response = client.post(path, json={"content_type": "post", "content_id": content_id})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "content_id"
    assert "content_id" in response.json()["detail"]


def test_a_store_never_migrated_answers_503_in_the_json_shape(
    tmp_path, monkeypatch, start_api, make_token
) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'never-migrated.db'}")
    api = start_api()
    with api.client(make_token(4)) as client:
        response = client.get("/api/v1/ml/trending")
    assert response.status_code == 503 and "retry-after" in response.headers
    assert response.json() == {
        "detail": "the results store is unavailable; try again shortly",
        "status_code": 503,
    }


@pytest.mark.parametrize("sub", [2**64, str(2**64), "1_0", " 7 ", "١٢٣", 1, f" {iid(1)}", f"{iid(1)}\n"])
def test_a_sub_that_is_not_a_canonical_uuid_gets_401(sqlite_db, start_api, sub) -> None:
    secret = Settings().jwt_secret.get_secret_value()
    token = jwt.encode({"sub": sub, "exp": 4_102_444_800}, secret, algorithm="HS256")
    api = start_api()
    with api.client(token) as client:
        response = client.get("/api/v1/ml/trending")
    assert response.status_code == 401
    assert response.json()["status_code"] == 401


def test_health_and_metrics_also_under_the_prefix_counting_500s_and_503s(
    sqlite_db, start_api, make_token, monkeypatch
) -> None:
    async def broken(*_args: object) -> None:
        raise RuntimeError("a bug")

    async def store_down(*_args: object) -> None:
        raise OperationalError("SELECT 1", {}, ConnectionRefusedError())

    api = start_api()
    with api.client(make_token(2, admin=True)) as admin:
        assert admin.get("/api/v1/ml/health").json()["status"] == "ok"
        assert admin.get("/health").status_code == 200
        monkeypatch.setattr(trending, "trending_list", broken)
        failed = admin.get("/api/v1/ml/trending")
        monkeypatch.setattr(trending, "trending_list", store_down)
        unavailable = admin.get("/api/v1/ml/trending")
        metrics = admin.get("/api/v1/ml/metrics")
        root_metrics = admin.get("/metrics")
    assert failed.status_code == 500
    assert failed.json() == {"detail": "internal server error", "status_code": 500}
    assert unavailable.status_code == 503 and int(unavailable.headers["retry-after"]) >= 1
    assert metrics.status_code == 200 and root_metrics.status_code == 200
    for status in (500, 503):
        line = (
            f'socialflow_api_requests_total{{method="GET",route="/api/v1/ml/trending",status="{status}"}} 1.0'
        )
        assert line in metrics.text
    assert 'route="/api/v1/ml/health",status="200"' in metrics.text


def test_a_missing_table_answers_503_without_refusing_other_routes(sqlite_db, start_api, make_token) -> None:
    """A table not migrated yet is a 503 like a store down, but it must not open the store's
    breaker: the next request, which needs other tables, is served."""
    with sqlite_db.begin() as conn:
        conn.exec_driver_sql('DROP TABLE "trending_scores"')
    api = start_api()
    with api.client(make_token(4)) as client:
        missing = client.get("/api/v1/ml/trending")
        other = client.get("/api/v1/ml/recommendations", params={"content_type": "user"})
    assert missing.status_code == 503
    assert other.status_code == 200


def test_a_wrong_query_is_a_500_not_an_outage(sqlite_db, start_api, make_token, monkeypatch) -> None:
    """SQLite reports a bad query as an OperationalError too: a defect, answered 500."""

    async def bad_query(_settings: object, database, *_args: object) -> None:
        with database.engine.connect() as conn:
            conn.exec_driver_sql("SELEC 1")

    monkeypatch.setattr(trending, "trending_list", bad_query)
    api = start_api()
    with api.client(make_token(4)) as client:
        response = client.get("/api/v1/ml/trending")
    assert response.status_code == 500
    assert response.json() == {"detail": "internal server error", "status_code": 500}


def test_malformed_json_names_the_body(sqlite_db, start_api, make_token) -> None:
    api = start_api()
    with api.client(make_token(admin=True)) as client:
        response = client.post(
            "/api/v1/ml/moderate", content=b"{not json", headers={"Content-Type": "application/json"}
        )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "body"
    assert response.json()["detail"].startswith("body: ")
