"""Content's records without any model: a row read back gives the payload the API served live
(less what the table does not keep), and an embedding survives its bytes."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import numpy as np
import pytest

from socialflow_pipelines.domains.catalog.records import ContentItem
from socialflow_pipelines.domains.content.records import ContentEmbedding, ContentFeatures, TopicRecord
from socialflow_pipelines.ml.content import ContentAnalysis
from socialflow_pipelines.ml.content.categories import CategoryScore
from socialflow_pipelines.ml.content.entities import Entity
from socialflow_pipelines.ml.content.sentiment import Sentiment
from socialflow_pipelines.ml.content.topics import Topic, TopicAssignment, TopicModel
from tests.domains.catalog.world import iid

CREATED = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)
ANALYSED = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
ITEM = ContentItem("post", iid(7), CREATED, "Barack Obama loves #python")
VECTOR = (np.arange(4, dtype=np.float32) / np.linalg.norm(np.arange(4))).astype(np.float32)


def analysis(language: str, sentiment: Sentiment) -> ContentAnalysis:
    return ContentAnalysis(
        language=language,
        language_confidence=0.987654,
        sentiment=sentiment,
        tags=["python"],
        categories=[CategoryScore("technology", 0.8)],
        topics=[TopicAssignment(3, "python / code", 0.61)],
        entities=[Entity("Barack Obama", "person", 0, 12)],
        embedding=VECTOR,
    )


def stored(features: ContentFeatures, embedding_model: str | None) -> dict:
    """The row as the store hands it back: JSON as text, the embedding's model joined in."""
    return {**features.row(), "model": embedding_model}


def test_a_stored_row_gives_the_live_payload_less_the_confidence() -> None:
    english = analysis("en", Sentiment("positive", 0.64, "vader"))
    live = ContentFeatures.build(
        ITEM,
        english,
        topic_model_version="v1",
        embedding_model="mini",
        entity_method="spacy:en_core_web_sm",
        analyzed_at=ANALYSED,
    )
    row = live.row()
    assert (row["created_date"], row["sentiment"], row["sentiment_score"]) == (
        CREATED.date(),
        "positive",
        0.64,
    )
    assert json.loads(row["topics"]) == [
        {"id": 3, "label": "python / code", "score": 0.61, "model_version": "v1"}
    ]

    payload = live.payload()
    assert payload["language_confidence"] == 0.9877
    back = ContentFeatures.from_row(stored(live, "mini")).payload()
    assert back == {**payload, "language_confidence": None}


def test_a_language_vader_cannot_read_keeps_its_reason_in_the_store() -> None:
    spanish = analysis(
        "es", Sentiment(None, None, None, "no sentiment model for language 'es' (VADER reads English only)")
    )
    live = ContentFeatures.build(
        ITEM,
        spanish,
        topic_model_version=None,
        embedding_model="mini",
        entity_method="spacy:en_core_web_sm",
        analyzed_at=ANALYSED,
    )
    back = ContentFeatures.from_row(stored(live, None))
    assert back.sentiment == live.sentiment
    assert back.embedding_model is None  # analysed, but its embedding row is gone


def test_raw_text_has_no_key_date_or_time() -> None:
    raw = ContentFeatures.build(
        None, analysis("en", Sentiment("neutral", 0.0, "vader")), topic_model_version=None,
        embedding_model="mini", entity_method=None, analyzed_at=None,
    )  # fmt: skip
    payload = raw.payload()
    assert (payload["content_type"], payload["content_id"], payload["analyzed_at"]) == (None, None, None)
    assert payload["topics"][0]["model_version"] is None


def test_an_embedding_survives_its_bytes_and_a_truncated_one_is_refused() -> None:
    embedding = ContentEmbedding.build(ITEM, analysis("en", Sentiment("neutral", 0.0, "vader")), "mini")
    row = embedding.row()
    assert (row["dim"], len(row["vector"])) == (4, 16)
    back = ContentEmbedding.from_row(row)
    assert (back.key, back.created_date, back.model) == (("post", iid(7)), CREATED.date(), "mini")
    assert np.array_equal(back.vector, VECTOR)
    with pytest.raises(ValueError, match="expected 4 float32"):
        ContentEmbedding.from_row({**row, "vector": row["vector"][:-4]})


def test_topic_rows_of_a_model_version() -> None:
    model = TopicModel(
        np.eye(2, dtype=np.float32), [Topic(0, "a / b", ["a", "b"], 5), Topic(1, "c", ["c"], 2)], 0.2
    )
    assert [t.row() for t in TopicRecord.of_model(model, "v2")] == [
        {"model_version": "v2", "topic_id": 0, "label": "a / b", "top_terms": '["a", "b"]', "size": 5},
        {"model_version": "v2", "topic_id": 1, "label": "c", "top_terms": '["c"]', "size": 2},
    ]
