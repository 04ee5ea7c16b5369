"""The run config of the topic assets: what a run in the UI's launchpad may change."""

import dagster as dg
from pydantic import Field


class TopicModelConfig(dg.Config):
    """Which content the topics are discovered in, and how many."""

    lookback_days: int = Field(default=7, ge=1, le=90, description="Content created this many days back.")
    max_items: int = Field(
        default=20_000, ge=100, description="Random sample cap: k-means cost grows with items x topics."
    )
    n_topics: int | None = Field(default=None, ge=2, le=200, description="None: chosen by silhouette.")
    max_topics: int = Field(default=30, ge=2, le=200)
    seed: int = 0


class ContentTopicsConfig(dg.Config):
    """Which stored analyses get the published topic model's assignments."""

    top: int = Field(
        default=1, ge=1, le=10, description="Topics kept per item, best first (analysis keeps 1)."
    )
