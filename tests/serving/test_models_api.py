"""The seed's model management over real HTTP: admin only, unknown names 404 naming them, and
load / unload reflected by the list."""

from __future__ import annotations

import pytest

from socialflow_pipelines.platform.db.engine import Database

LIST = "/api/v1/ml/models"


def listed(client, name: str) -> dict:
    response = client.get(LIST)
    assert response.status_code == 200, response.text
    return next(model for model in response.json()["models"] if model["name"] == name)


def test_list_load_and_unload_as_an_admin(sqlite_db: Database, start_api, make_token) -> None:
    api = start_api()
    with api.client(make_token(1, admin=True)) as admin:
        catalogue = admin.get(LIST).json()
        before = listed(admin, "toxicity")
        loaded = admin.post(f"{LIST}/load/toxicity_detector")  # the seed's name
        after_load = listed(admin, "toxicity")
        unloaded = admin.delete(f"{LIST}/unload/toxicity")
        after_unload = listed(admin, "toxicity")

    names = {model["name"] for model in catalogue["models"]}
    assert {"spam", "toxicity", "hate_speech", "frame_moderation", "content_analyzer", "topic_model"} <= names
    assert catalogue["count"] == len(catalogue["models"])
    aliases = {alias for model in catalogue["models"] for alias in model["aliases"]}
    assert {"nsfw_detector", "spam_detector", "violence_detector"} <= aliases
    topics = next(model for model in catalogue["models"] if model["name"] == "topic_model")
    assert topics["published_version"] is None and "nothing published" in topics["unavailable"]

    assert before["loaded"] is False
    assert loaded.status_code == 200 and loaded.json()["loaded"] is True
    assert after_load["loaded"] is True and after_load["load_seconds"] >= 0
    assert after_load["memory_mb_estimate"] >= 0
    assert unloaded.status_code == 200 and unloaded.json()["loaded"] is False
    assert after_unload["loaded"] is False and after_unload["load_seconds"] is None


@pytest.mark.parametrize(
    ("method", "path"), [("GET", LIST), ("POST", f"{LIST}/load/spam"), ("DELETE", f"{LIST}/unload/spam")]
)
def test_users_get_403_and_anonymous_401(sqlite_db: Database, start_api, make_token, method, path) -> None:
    api = start_api()
    with api.client(make_token(7)) as user, api.client() as anonymous:
        assert user.request(method, path).status_code == 403
        assert anonymous.request(method, path).status_code == 401


@pytest.mark.parametrize(("method", "verb"), [("POST", "load"), ("DELETE", "unload")])
def test_unknown_models_get_404_naming_them(sqlite_db: Database, start_api, make_token, method, verb) -> None:
    api = start_api()
    with api.client(make_token(1, admin=True)) as admin:
        response = admin.request(method, f"{LIST}/{verb}/gpt_detector")
    assert response.status_code == 404
    assert "gpt_detector" in response.json()["detail"] and response.json()["status_code"] == 404


def test_a_model_published_after_the_runtime_was_built_is_listed_as_available(
    sqlite_db: Database, start_api, make_token
) -> None:
    """The API loads its models while the demo materializes: the listing must not keep saying
    "nothing published" once a version is, before the next use rebuilds the runtime."""
    from socialflow_pipelines.config import Settings
    from socialflow_pipelines.ml.moderation import text_model_params
    from socialflow_pipelines.ml.text_classifier import TextClassifier
    from socialflow_pipelines.platform.model_store import Gate, ModelStore

    api = start_api()
    with api.client(make_token(1, admin=True)) as admin:
        assert admin.post(f"{LIST}/load/spam").status_code == 200
        early = listed(admin, "spam")
        texts = [f"win a free prize now {n}" for n in range(10)] + [
            f"see you at lunch {n}" for n in range(10)
        ]
        model = TextClassifier(text_model_params("spam")).fit(texts, [1] * 10 + [0] * 10)
        ModelStore(Settings().model_dir).publish_candidate(
            "spam_model", model, metrics={"pr_auc": 1.0}, gate=Gate("pr_auc")
        )
        published = listed(admin, "spam")
        loaded = admin.post(f"{LIST}/load/spam").json()

    assert early["published_version"] is None and "no trained spam_model" in early["unavailable"]
    assert published["published_version"] is not None
    assert published["unavailable"] is None and published["loaded"] is False
    assert loaded["loaded"] is True and loaded["unavailable"] is None
