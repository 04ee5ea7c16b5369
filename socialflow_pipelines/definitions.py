"""The code location: each domain's Definitions merged, with the resources they share."""

from __future__ import annotations

import dagster as dg

from socialflow_pipelines.defs import app, content, moderation, recommendations, trending, virality
from socialflow_pipelines.defs.resources import (
    DatabaseResource,
    ModelStoreResource,
    RedisResource,
    SettingsResource,
)

defs = dg.Definitions.merge(
    app.defs,
    trending.defs,
    moderation.defs,
    content.defs,
    recommendations.defs,
    virality.defs,
    dg.Definitions(
        resources={
            "settings": SettingsResource(),
            "database": DatabaseResource(),
            "redis": RedisResource(),
            "model_store": ModelStoreResource(),
        }
    ),
)
