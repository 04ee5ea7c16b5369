"""The full content analysis of a batch of texts, sharing one embedding pass.

Language decides what runs next: sentiment and entities need English models, keywords need a
language YAKE can tokenise. Embeddings are computed once and serve categories and topics.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from socialflow_pipelines.ml.content.categories import CategoryClassifier, CategoryScore
from socialflow_pipelines.ml.content.embeddings import TextEmbedder
from socialflow_pipelines.ml.content.entities import Entity, EntityRecognizer
from socialflow_pipelines.ml.content.entity_model import EntityModel
from socialflow_pipelines.ml.content.keywords import KeywordExtractor
from socialflow_pipelines.ml.content.language import LanguageDetector
from socialflow_pipelines.ml.content.sentiment import LearnedSentiment, Sentiment, SentimentScorer
from socialflow_pipelines.ml.content.topics import TopicAssignment, TopicModel


@dataclass(frozen=True)
class ContentAnalysis:
    language: str
    language_confidence: float
    sentiment: Sentiment
    tags: list[str]
    categories: list[CategoryScore]
    topics: list[TopicAssignment]
    entities: list[Entity]
    embedding: np.ndarray  # float32 (dim,), L2-normalised

    def to_dict(self, *, include_embedding: bool = False) -> dict[str, object]:
        """JSON-ready; the embedding is left out unless asked (it goes to its own table as bytes)."""
        result: dict[str, object] = {
            "language": self.language,
            "language_confidence": round(self.language_confidence, 4),
            "sentiment": self.sentiment.to_dict(),
            "tags": self.tags,
            "categories": [c.to_dict() for c in self.categories],
            "topics": [t.to_dict() for t in self.topics],
            "entities": [e.to_dict() for e in self.entities],
        }
        if include_embedding:
            result["embedding"] = self.embedding.tolist()
        return result


class ContentAnalyzer:
    """Build once (loading models takes seconds), then call `analyze` on batches."""

    def __init__(
        self,
        embedder: TextEmbedder | None = None,
        *,
        topic_model: TopicModel | None = None,
        language_detector: LanguageDetector | None = None,
        sentiment_scorer: SentimentScorer | LearnedSentiment | None = None,
        keyword_extractor: KeywordExtractor | None = None,
        entity_recognizer: EntityRecognizer | EntityModel | None = None,
        category_classifier: CategoryClassifier | None = None,
    ) -> None:
        self.embedder = embedder or TextEmbedder()
        self.topic_model = topic_model
        self.language_detector = language_detector or LanguageDetector()
        self.sentiment_scorer = sentiment_scorer or SentimentScorer()
        self.keyword_extractor = keyword_extractor or KeywordExtractor()
        self.entity_recognizer = entity_recognizer or EntityRecognizer()
        self.category_classifier = category_classifier or CategoryClassifier(self.embedder)

    @property
    def embedding_model(self) -> str:
        return self.embedder.model_name

    def analyze(self, texts: Sequence[str], *, embeddings: np.ndarray | None = None) -> list[ContentAnalysis]:
        """Analyse a batch; pass `embeddings` (row-aligned) when they are already computed."""
        texts = list(texts)
        if embeddings is None:
            embeddings = self.embedder.embed(texts)
        elif len(embeddings) != len(texts):
            raise ValueError(f"{len(texts)} texts but {len(embeddings)} embeddings")
        detected = self.language_detector.detect_many(texts)
        languages = [language for language, _ in detected]
        sentiments = self.sentiment_scorer.score_many(texts, languages, embeddings)
        tags = self.keyword_extractor.tags_many(texts, languages)
        entities = self.entity_recognizer.recognize_many(texts, languages)
        categories = self.category_classifier.classify(embeddings)
        topics = self.topic_model.assign(embeddings) if self.topic_model else [[] for _ in texts]
        return [
            ContentAnalysis(
                language=language,
                language_confidence=confidence,
                sentiment=sentiments[i],
                tags=tags[i],
                categories=categories[i],
                topics=topics[i],
                entities=entities[i],
                embedding=embeddings[i],
            )
            for i, (language, confidence) in enumerate(detected)
        ]
