"""Every setting comes from the environment (or a .env file) through pydantic-settings.

`Settings()` is built where a process composes itself (the CLI command, the API's factory, a
Dagster resource when a run starts, `defs/common.py` for what shapes the graph) and passed on from
there: no global, so a test builds the settings it wants.

Names follow the Social Flow seed where it has them (REDIS_HOST, ML_SPAM_THRESHOLD, ...), so the
backend and this platform share one configuration vocabulary.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from socialflow_pipelines.platform.ids import IdType

DEFAULT_HOME = Path(".socialflow")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True)

    database_url: str = Field(
        default=f"sqlite:///{DEFAULT_HOME / 'socialflow.db'}", validation_alias="DATABASE_URL"
    )
    redis_url: str | None = Field(default=None, validation_alias="REDIS_URL")
    redis_host: str | None = Field(default=None, validation_alias="REDIS_HOST")
    redis_port: int = Field(default=6379, validation_alias="REDIS_PORT")
    redis_db: int = Field(default=0, validation_alias="REDIS_DB")
    # The kind of the backend's ids (users, items): the seed's UUIDs, or integers. Read when
    # `socialflow migrate` creates the tables; running processes follow the tables (platform.ids).
    id_type: IdType = Field(default="uuid", validation_alias="SOCIALFLOW_ID_TYPE")
    model_dir: Path = Field(default=DEFAULT_HOME / "models", validation_alias="SOCIALFLOW_MODEL_DIR")

    jwt_secret: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("SOCIALFLOW_JWT_SECRET", "JWT_SECRET_KEY")
    )
    jwt_algorithm: str = Field(default="HS256", validation_alias="SOCIALFLOW_JWT_ALGORITHM")
    rate_limit: str = Field(default="100/minute", validation_alias="SOCIALFLOW_RATE_LIMIT")
    # The API's bounds on its stores: a statement (or SQLite lock wait) and a connect to the
    # database, a Redis call; after a failure the store is skipped for the breaker's cooldown.
    api_db_timeout_s: float = Field(default=2.0, gt=0, validation_alias="SOCIALFLOW_API_DB_TIMEOUT_S")
    api_redis_timeout_s: float = Field(default=0.5, gt=0, validation_alias="SOCIALFLOW_API_REDIS_TIMEOUT_S")
    breaker_cooldown_s: float = Field(default=5.0, gt=0, validation_alias="SOCIALFLOW_BREAKER_COOLDOWN_S")
    # Load and warm the moderation and analysis models before the API answers, so the first
    # raw-text /analyze or /moderate does not pay seconds of model loading (`serve` turns it on).
    preload_models: bool = Field(default=False, validation_alias="SOCIALFLOW_PRELOAD_MODELS")
    # First day of the daily and hourly partitions (the demo sets it to where its history starts,
    # so the UI does not show months of empty partitions).
    partitions_start: str = Field(default="2026-01-01", validation_alias="SOCIALFLOW_PARTITIONS_START")

    nsfw_threshold: float = Field(default=0.7, ge=0, le=1, validation_alias="ML_NSFW_THRESHOLD")
    spam_threshold: float = Field(default=0.8, ge=0, le=1, validation_alias="ML_SPAM_THRESHOLD")
    violence_threshold: float = Field(default=0.75, ge=0, le=1, validation_alias="ML_VIOLENCE_THRESHOLD")
    hate_speech_threshold: float = Field(default=0.7, ge=0, le=1, validation_alias="ML_HATE_SPEECH_THRESHOLD")
    toxicity_threshold: float = Field(default=0.7, ge=0, le=1, validation_alias="ML_TOXICITY_THRESHOLD")
    retry_max_retries: int = Field(default=3, ge=0, validation_alias="SOCIALFLOW_RETRY_MAX_RETRIES")
    retry_delay_s: float = Field(default=60, ge=0, validation_alias="SOCIALFLOW_RETRY_DELAY_S")
    model_cache_ttl: int = Field(default=3600, gt=0, validation_alias="ML_MODEL_CACHE_TTL")
    # Moderation models from local directories (never downloaded). A text label with a path uses
    # that transformers classifier instead of the pipeline's trained model; the positive label
    # names the class to read when the model's labels are not LABEL_0/LABEL_1.
    spam_model_path: Path | None = Field(default=None, validation_alias="ML_SPAM_MODEL_PATH")
    spam_positive_label: str | None = Field(default=None, validation_alias="ML_SPAM_POSITIVE_LABEL")
    toxicity_model_path: Path | None = Field(default=None, validation_alias="ML_TOXICITY_MODEL_PATH")
    toxicity_positive_label: str | None = Field(default=None, validation_alias="ML_TOXICITY_POSITIVE_LABEL")
    hate_speech_model_path: Path | None = Field(default=None, validation_alias="ML_HATE_SPEECH_MODEL_PATH")
    hate_speech_positive_label: str | None = Field(
        default=None, validation_alias="ML_HATE_SPEECH_POSITIVE_LABEL"
    )
    # No offline violence image model ships in any package: frames get a violence score only here.
    violence_model_path: Path | None = Field(default=None, validation_alias="ML_VIOLENCE_MODEL_PATH")
    violence_positive_label: str | None = Field(default=None, validation_alias="ML_VIOLENCE_POSITIVE_LABEL")
    moderation_frames_per_video: int = Field(default=8, ge=1, le=64, validation_alias="ML_FRAMES_PER_VIDEO")

    trending_weight_view: float = Field(default=1.0, ge=0, validation_alias="TRENDING_WEIGHT_VIEW")
    trending_weight_like: float = Field(default=4.0, ge=0, validation_alias="TRENDING_WEIGHT_LIKE")
    trending_weight_comment: float = Field(default=8.0, ge=0, validation_alias="TRENDING_WEIGHT_COMMENT")
    trending_weight_share: float = Field(default=12.0, ge=0, validation_alias="TRENDING_WEIGHT_SHARE")
    trending_keep_top: int = Field(default=1000, gt=0, validation_alias="TRENDING_KEEP_TOP")
    trending_cache_ttl: int = Field(default=1200, gt=0, validation_alias="TRENDING_CACHE_TTL")
    trending_refresh_cron: str = Field(default="*/15 * * * *", validation_alias="TRENDING_REFRESH_CRON")

    # Recommendations: implicit-feedback weights and their time decay, the blend, what is served.
    rec_weight_view: float = Field(default=1.0, ge=0, validation_alias="REC_WEIGHT_VIEW")
    rec_weight_like: float = Field(default=2.0, ge=0, validation_alias="REC_WEIGHT_LIKE")
    rec_weight_comment: float = Field(default=3.0, ge=0, validation_alias="REC_WEIGHT_COMMENT")
    rec_weight_share: float = Field(default=4.0, ge=0, validation_alias="REC_WEIGHT_SHARE")
    rec_half_life_days: float = Field(default=30.0, gt=0, validation_alias="REC_HALF_LIFE_DAYS")
    rec_lookback_days: int = Field(default=180, gt=0, validation_alias="REC_LOOKBACK_DAYS")
    rec_active_days: int = Field(default=30, gt=0, validation_alias="REC_ACTIVE_DAYS")
    rec_blend_collaborative: float = Field(default=0.4, ge=0, validation_alias="REC_BLEND_COLLABORATIVE")
    rec_blend_content: float = Field(default=0.4, ge=0, validation_alias="REC_BLEND_CONTENT")
    rec_blend_trending: float = Field(default=0.2, ge=0, validation_alias="REC_BLEND_TRENDING")
    rec_follow_graph: float = Field(default=0.5, ge=0, validation_alias="REC_FOLLOW_GRAPH")
    rec_follow_similarity: float = Field(default=0.3, ge=0, validation_alias="REC_FOLLOW_SIMILARITY")
    rec_follow_popular: float = Field(default=0.2, ge=0, validation_alias="REC_FOLLOW_POPULAR")
    rec_trending_window: str = Field(default="24h", validation_alias="REC_TRENDING_WINDOW")
    rec_max_per_creator: int = Field(default=2, ge=1, validation_alias="REC_MAX_PER_CREATOR")
    rec_top_k: int = Field(default=100, ge=1, le=1000, validation_alias="REC_TOP_K")
    # Longer than the hourly publish, so a list is served from Redis all hour (a miss writes back).
    rec_cache_ttl: int = Field(default=3900, gt=0, validation_alias="REC_CACHE_TTL")
    # Viral prediction: the outcome's age, the score over which an item is likely viral, how far
    # back matured items are learned from, and the Redis TTL (over the hourly publish).
    viral_horizon_minutes: int = Field(default=2880, ge=60, validation_alias="VIRAL_HORIZON_MINUTES")
    viral_threshold: float = Field(default=0.5, ge=0, le=1, validation_alias="ML_VIRAL_THRESHOLD")
    viral_lookback_days: int = Field(default=30, ge=3, validation_alias="VIRAL_LOOKBACK_DAYS")
    viral_cache_ttl: int = Field(default=3900, gt=0, validation_alias="VIRAL_CACHE_TTL")

    @field_validator("partitions_start")
    @classmethod
    def _iso_day(cls, day: str) -> str:
        """A plain ISO date: what the partition definitions and the partition checks compare."""
        return date.fromisoformat(day).isoformat()

    @field_validator("database_url")
    @classmethod
    def _psycopg3_driver(cls, url: str) -> str:
        """Plain postgres URLs (as the backend writes them) get the psycopg 3 driver."""
        for prefix in ("postgres://", "postgresql://"):
            if url.startswith(prefix):
                return "postgresql+psycopg://" + url[len(prefix) :]
        return url

    @property
    def redis_enabled(self) -> bool:
        return bool(self.redis_url or self.redis_host)

    @property
    def redis_connection_url(self) -> str | None:
        if self.redis_url:
            return self.redis_url
        if self.redis_host:
            return f"redis://{self.redis_host}:{self.redis_port}/{self.redis_db}"
        return None

    @property
    def engagement_weights(self) -> dict[str, float]:
        return {
            "view": self.trending_weight_view,
            "like": self.trending_weight_like,
            "comment": self.trending_weight_comment,
            "share": self.trending_weight_share,
        }
