"""Settings come from the environment with the seed's names and defaults."""

from __future__ import annotations

import pytest

from socialflow_pipelines.config import Settings


def test_defaults_follow_the_seed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SOCIALFLOW_RETRY_DELAY_S", raising=False)
    settings = Settings(_env_file=None)
    assert (settings.nsfw_threshold, settings.spam_threshold) == (0.7, 0.8)
    assert (settings.violence_threshold, settings.hate_speech_threshold) == (0.75, 0.7)
    assert (settings.retry_max_retries, settings.retry_delay_s) == (3, 60)
    assert settings.redis_connection_url is None
    assert settings.database_url.startswith("sqlite:///")


def test_environment_overrides_and_backend_style_urls(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ML_SPAM_THRESHOLD", "0.65")
    monkeypatch.setenv("REDIS_HOST", "cache.internal")
    monkeypatch.setenv("REDIS_DB", "3")
    monkeypatch.setenv("DATABASE_URL", "postgres://app:pw@db:5432/socialflow")
    settings = Settings(_env_file=None)
    assert settings.spam_threshold == 0.65
    assert settings.redis_connection_url == "redis://cache.internal:6379/3"
    assert settings.database_url == "postgresql+psycopg://app:pw@db:5432/socialflow"


def test_out_of_range_threshold_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ML_NSFW_THRESHOLD", "1.5")
    with pytest.raises(ValueError, match="ML_NSFW_THRESHOLD"):
        Settings(_env_file=None)
