"""What a hostile or careless client meets: bounded bodies, bounded ids, JSON errors everywhere."""

from __future__ import annotations

import pytest


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


@pytest.mark.parametrize("raw", ["²", "1" * 20, "9223372036854775808", "0", "1,,2"])
def test_exclude_ids_outside_bigint_or_not_ascii_get_422(sqlite_db, start_api, make_token, raw) -> None:
    api = start_api()
    with api.client(make_token(3)) as client:
        response = client.get("/api/v1/ml/recommendations", params={"exclude_ids": raw})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "query.exclude_ids"


@pytest.mark.parametrize("path", ["/api/v1/ml/moderate", "/api/v1/ml/analyze"])
def test_content_id_beyond_bigint_gets_422(sqlite_db, start_api, make_token, path) -> None:
    api = start_api()
    with api.client(make_token(admin=True)) as client:
        response = client.post(path, json={"content_type": "post", "content_id": 2**63})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "content_id"


def test_unexpected_errors_keep_the_json_shape(tmp_path, monkeypatch, start_api, make_token) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'never-migrated.db'}")
    api = start_api()
    with api.client(make_token(4)) as client:
        response = client.get("/api/v1/ml/trending")
    assert response.status_code == 500
    assert response.json() == {"detail": "internal server error", "status_code": 500}
