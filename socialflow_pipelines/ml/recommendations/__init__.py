"""Recommendations: implicit feedback, the LightFM hybrid, EASE, fast top-k scoring, strategies, the
blend and offline metrics. Pure code: arrays and DataFrames in and out, no Dagster, SQL or HTTP."""

from socialflow_pipelines.ml.recommendations.blend import (
    DEFAULT_WEIGHTS,
    Recommendations,
    blend,
    rank_normalise,
    recommend_items,
    recommendations_frame,
)
from socialflow_pipelines.ml.recommendations.collaborative import (
    CHOICES,
    Choice,
    Collaborative,
    CollaborativeModel,
    Factors,
    ItemItem,
    as_collaborative_model,
    choose,
    collaborative_top_k,
    evaluate_choices,
    evaluate_collaborative,
)
from socialflow_pipelines.ml.recommendations.ease import DEFAULT_MAX_ITEMS, EaseRecommender
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
from socialflow_pipelines.ml.recommendations.ranking import TopK, scored_top_k, sparse_top_k, top_k
from socialflow_pipelines.ml.recommendations.strategies import (
    collaborative_candidates,
    content_candidates,
    content_profiles,
    follow_candidates,
    normalize_rows,
    trending_candidates,
)

__all__ = [
    "CHOICES",
    "DEFAULT_EVENT_WEIGHTS",
    "DEFAULT_HALF_LIFE_DAYS",
    "DEFAULT_MAX_ITEMS",
    "DEFAULT_WEIGHTS",
    "Choice",
    "Collaborative",
    "CollaborativeModel",
    "EaseRecommender",
    "Factors",
    "FeatureValues",
    "HybridRecommender",
    "IdIndex",
    "Interactions",
    "ItemItem",
    "Recommendations",
    "TopK",
    "as_collaborative_model",
    "blend",
    "build_interactions",
    "choose",
    "collaborative_candidates",
    "collaborative_top_k",
    "content_candidates",
    "content_profiles",
    "evaluate_choices",
    "evaluate_collaborative",
    "evaluate_ranking",
    "follow_candidates",
    "interaction_matrix",
    "normalize_rows",
    "popularity_ranking",
    "rank_normalise",
    "recommend_items",
    "recommendations_frame",
    "scored_top_k",
    "sparse_top_k",
    "top_k",
    "trending_candidates",
]
