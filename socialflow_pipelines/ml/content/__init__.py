"""Content analysis: language, sentiment, tags, categories, entities, embeddings and topics."""

from socialflow_pipelines.ml.content.analyzer import ContentAnalysis, ContentAnalyzer
from socialflow_pipelines.ml.content.categories import CATEGORIES, TAXONOMY, CategoryClassifier
from socialflow_pipelines.ml.content.embeddings import (
    TextEmbedder,
    WeightsIntegrityError,
    matrix_from_bytes,
    matrix_to_bytes,
    vector_from_bytes,
    vector_to_bytes,
)
from socialflow_pipelines.ml.content.entities import EntityRecognizer
from socialflow_pipelines.ml.content.keywords import KeywordExtractor, extract_hashtags
from socialflow_pipelines.ml.content.language import SUPPORTED_LANGUAGES, LanguageDetector
from socialflow_pipelines.ml.content.sentiment import SentimentScorer
from socialflow_pipelines.ml.content.topics import TopicModel, fit_topic_model

__all__ = [
    "CATEGORIES",
    "SUPPORTED_LANGUAGES",
    "TAXONOMY",
    "CategoryClassifier",
    "ContentAnalysis",
    "ContentAnalyzer",
    "EntityRecognizer",
    "KeywordExtractor",
    "LanguageDetector",
    "SentimentScorer",
    "TextEmbedder",
    "TopicModel",
    "WeightsIntegrityError",
    "extract_hashtags",
    "fit_topic_model",
    "matrix_from_bytes",
    "matrix_to_bytes",
    "vector_from_bytes",
    "vector_to_bytes",
]
