"""Recommendations: implicit feedback, the LightFM hybrid, fast top-k scoring, strategies, the blend
and offline metrics. Pure code: arrays and DataFrames in and out, no Dagster, SQL or HTTP."""

from socialflow_pipelines.ml.recommendations.blend import (
    DEFAULT_WEIGHTS,
    Recommendations,
    blend,
    rank_normalise,
    recommend_items,
    recommendations_frame,
)
from socialflow_pipelines.ml.recommendations.interactions import (
    DEFAULT_EVENT_WEIGHTS,
    DEFAULT_HALF_LIFE_DAYS,
    IdIndex,
    Interactions,
    build_interactions,
    interaction_matrix,
)
from socialflow_pipelines.ml.recommendations.lightfm_model import FeatureValues, HybridRecommender
from socialflow_pipelines.ml.recommendations.metrics import evaluate_ranking, popularity_ranking
from socialflow_pipelines.ml.recommendations.ranking import TopK, sparse_top_k, top_k
from socialflow_pipelines.ml.recommendations.strategies import (
    collaborative_candidates,
    content_candidates,
    content_profiles,
    follow_candidates,
    normalize_rows,
    trending_candidates,
)

__all__ = [
    "DEFAULT_EVENT_WEIGHTS",
    "DEFAULT_HALF_LIFE_DAYS",
    "DEFAULT_WEIGHTS",
    "FeatureValues",
    "HybridRecommender",
    "IdIndex",
    "Interactions",
    "Recommendations",
    "TopK",
    "blend",
    "build_interactions",
    "collaborative_candidates",
    "content_candidates",
    "content_profiles",
    "evaluate_ranking",
    "follow_candidates",
    "interaction_matrix",
    "normalize_rows",
    "popularity_ranking",
    "rank_normalise",
    "recommend_items",
    "recommendations_frame",
    "sparse_top_k",
    "top_k",
    "trending_candidates",
]
