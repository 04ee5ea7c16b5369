"""The seed's request examples (the backend's document, `ml-pipeline-integration.md`), byte for byte,
over real HTTP: each gets a 2xx with the seed's response fields and their types.

The viral-prediction example needs a trained viral model: tests/serving/test_virality_api.py."""

from __future__ import annotations

import http.client
import socket

import pytest

from socialflow_pipelines.platform.db.engine import Database
from tests.serving.conftest import LiveServer

SEED_USER = "123e4567-e89b-12d3-a456-426614174000"

# POST /api/v1/ml/analyze, as the seed writes it.
SEED_ANALYZE = """{
  "content_id": "123e4567-e89b-12d3-a456-426614174000",
  "content_type": "video",
  "content_data": {
    "text": "Amazing AI tutorial",
    "video_url": "https://example.com/video.mp4"
  }
}"""
SEED_ANALYZE_FIELDS = {
    "content_id": str,
    "content_type": str,
    "tags": list,
    "categories": list,
    "sentiment": str,
    "sentiment_score": float,
    "language": str,
    "topics": list,
    "entities": list,
}
SEED_RECOMMENDATIONS = "/api/v1/ml/recommendations?content_type=video&limit=20"
SEED_RECOMMENDATIONS_FIELDS = {"user_id": str, "content_type": str, "recommendations": list, "count": int}
SEED_TRENDING = "/api/v1/ml/trending?content_type=video&time_window=24h&limit=20"


def raw_request(api: LiveServer, head: str) -> tuple[int, bytes]:
    """Sends `head` (request line and headers, no body) as curl would, and reads the response."""
    with socket.create_connection(("127.0.0.1", api.port), timeout=60) as sock:
        sock.sendall(head.replace("\n", "\r\n").encode() + b"\r\n\r\n")
        response = http.client.HTTPResponse(sock)
        response.begin()
        return response.status, response.read()


def assert_fields(body: dict, fields: dict[str, type]) -> None:
    for field, kind in fields.items():
        assert isinstance(body[field], kind), (field, body.get(field))


def test_the_analyze_example_gets_the_seeds_fields(sqlite_db: Database, start_api, make_token) -> None:
    api = start_api()
    # The first analysis loads the models (seconds; more on a busy machine).
    with api.client(make_token(SEED_USER, admin=True), timeout_s=180) as admin:
        response = admin.post(
            "/api/v1/ml/analyze", content=SEED_ANALYZE, headers={"Content-Type": "application/json"}
        )
    assert response.status_code == 200, response.text
    body = response.json()
    assert_fields(body, SEED_ANALYZE_FIELDS)
    assert (body["content_id"], body["content_type"]) == (SEED_USER, "video")
    assert body["language"] in ("en", "und")  # three words: too short for a confident detection
    assert body["sentiment"] == "positive" and 0 < body["sentiment_score"] <= 1
    assert "tutorial" in body["tags"] and "technology" in body["categories"]
    assert all(isinstance(name, str) for name in body["categories"] + body["topics"])
    assert all({"text", "type"} <= set(entity) for entity in body["entities"])
    assert body["video"].startswith("not analysed")  # the video part says what happened to it


@pytest.mark.parametrize(
    ("url", "fields"), [(SEED_RECOMMENDATIONS, SEED_RECOMMENDATIONS_FIELDS), (SEED_TRENDING, {})]
)
def test_the_read_examples_get_the_seeds_fields(
    sqlite_db: Database, start_api, make_token, url, fields
) -> None:
    api = start_api()
    with api.client(make_token(SEED_USER)) as user:
        response = user.get(url)
    assert response.status_code == 200, response.text
    body = response.json()
    assert_fields(body, fields)
    assert body["content_type"] == "video"
    if fields:
        assert body["user_id"] == SEED_USER and body["count"] == len(body["recommendations"])


def test_the_troubleshooting_load_without_a_body_is_accepted(
    sqlite_db: Database, start_api, make_token
) -> None:
    api = start_api()
    status, body = raw_request(
        api,
        f"POST /api/v1/ml/models/load/nsfw_detector HTTP/1.1\nHost: localhost:{api.port}\n"
        f"User-Agent: curl/8.5.0\nAccept: */*\nAuthorization: Bearer {make_token(SEED_USER, admin=True)}",
    )
    assert status == 200, body
    assert b'"name":"frame_moderation"' in body
