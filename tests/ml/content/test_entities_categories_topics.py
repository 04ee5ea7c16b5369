import pickle

import numpy as np
import pytest

from socialflow_pipelines.ml.content import ContentAnalyzer, TextEmbedder
from socialflow_pipelines.ml.content.embeddings import WeightsIntegrityError
from socialflow_pipelines.ml.content.entities import EntityRecognizer
from socialflow_pipelines.ml.content.topics import fit_topic_model


def test_entities_found_with_offsets(analyzer: ContentAnalyzer) -> None:
    text = "Barack Obama gave a speech in Chicago yesterday."
    entities = analyzer.entity_recognizer.recognize_many([text, "Hola amigos"], ["en", "es"])
    by_text = {e.text: e for e in entities[0]}
    assert by_text["Barack Obama"].type == "person"
    assert by_text["Chicago"].type == "location"
    assert text[by_text["Chicago"].start : by_text["Chicago"].end] == "Chicago"
    assert entities[1] == []


def test_spacy_pipeline_with_another_digest_is_refused() -> None:
    with pytest.raises(WeightsIntegrityError, match="does not match the pinned"):
        EntityRecognizer(expected_sha256="0" * 64)


def test_categories_of_clear_posts(analyzer: ContentAnalyzer) -> None:
    posts = [
        "What a goal in the last minute! We won the championship final ⚽",
        "Homemade lasagna recipe with fresh basil and mozzarella",
        "The senate vote on the new immigration bill is tomorrow",
    ]
    results = analyzer.analyze(posts)
    assert [r.categories[0].name for r in results] == ["sports", "food", "politics"]
    for result in results:
        assert all(0.0 < c.score <= 1.0 for c in result.categories)


def test_full_analysis_shape(analyzer: ContentAnalyzer) -> None:
    [result] = analyzer.analyze(["Loving my new Samsung phone, the camera is amazing! #tech @bestbuy"])
    record = result.to_dict()
    assert record["language"] == "en"
    assert record["sentiment"]["label"] == "positive"
    assert record["tags"][0] == "tech"
    assert {"name", "score"} <= set(record["categories"][0])
    assert record["topics"] == []
    assert "embedding" not in record and result.embedding.shape == (384,)


_COOKING = [
    "Slow-roasted tomatoes with garlic make the best pasta sauce",
    "My grandmother's apple pie recipe uses cinnamon and butter",
    "Baking fresh bread at home this weekend, the dough rose perfectly",
    "Grilled salmon with lemon and herbs for dinner tonight",
    "Try this easy chocolate cake recipe with only five ingredients",
    "Homemade pizza dough needs a long slow rise in the fridge",
    "Chopping onions and peppers for a spicy vegetable curry",
    "The secret to crispy roast potatoes is olive oil and a hot oven",
]
_FOOTBALL = [
    "The striker scored a hat-trick in the league match last night",
    "Our goalkeeper saved a penalty in the final minute of the game",
    "The coach changed the formation at half time and we won 2-1",
    "Transfer news: the club signed a new midfielder for the season",
    "Fans celebrated in the stadium after the cup final victory",
    "The referee showed a red card to the defender after a bad tackle",
    "The team trains every morning before the championship match",
    "A late header from a corner kick won the derby for the home side",
]


def test_topic_model_separates_two_groups(embedder: TextEmbedder) -> None:
    texts = _COOKING + _FOOTBALL
    model = fit_topic_model(texts, embedder.embed(texts), min_topics=2)
    assert len(model.topics) == 2
    assignments = [a[0].id for a in model.assign(embedder.embed(texts))]
    assert len(set(assignments[:8])) == 1 and len(set(assignments[8:])) == 1
    assert assignments[0] != assignments[8]
    cooking_topic = model.topics[assignments[0]]
    assert cooking_topic.size == 8
    assert any(term in {"recipe", "dough", "baking", "oven", "oil"} for term in cooking_topic.top_terms)
    restored = pickle.loads(pickle.dumps(model))
    new_post = embedder.embed(["The winger dribbled past three defenders and scored"])
    assert restored.assign(new_post)[0][0].id == assignments[8]


def test_topics_flow_into_the_analysis(embedder: TextEmbedder, analyzer: ContentAnalyzer) -> None:
    texts = _COOKING + _FOOTBALL
    model = fit_topic_model(texts, embedder.embed(texts), n_topics=2)
    with_topics = ContentAnalyzer(
        embedder,
        topic_model=model,
        entity_recognizer=analyzer.entity_recognizer,
        category_classifier=analyzer.category_classifier,
    )
    [result] = with_topics.analyze(["Pancakes with maple syrup and fresh berries recipe"])
    assert result.topics[0].label == model.topics[result.topics[0].id].label
    assert -1.0 <= result.topics[0].score <= 1.0


def test_topic_model_rejects_misaligned_input() -> None:
    with pytest.raises(ValueError, match="embeddings"):
        fit_topic_model(["a", "b", "c", "d"], np.zeros((3, 8), dtype=np.float32))
