import pytest

from socialflow_pipelines.ml.content.keywords import KeywordExtractor, extract_hashtags
from socialflow_pipelines.ml.content.language import LanguageDetector
from socialflow_pipelines.ml.content.sentiment import SentimentScorer, label_from_compound


@pytest.fixture(scope="module")
def detector() -> LanguageDetector:
    return LanguageDetector()


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("The weather is lovely today and I am going for a walk in the park.", "en"),
        ("El clima está muy agradable hoy y voy a caminar por el parque.", "es"),
        ("Il fait très beau aujourd'hui, je vais me promener au parc.", "fr"),
        ("Das Wetter ist heute schön und ich gehe im Park spazieren.", "de"),
        ("O tempo está ótimo hoje e vou passear no parque com os amigos.", "pt"),
        ("Oggi il tempo è bellissimo e vado a fare una passeggiata nel parco.", "it"),
        ("Сегодня прекрасная погода, и я иду гулять в парк.", "ru"),
        ("今日はいい天気なので公園を散歩します。", "ja"),
    ],
)
def test_clear_sentences_get_their_language(detector: LanguageDetector, text: str, language: str) -> None:
    assert detector.detect(text)[0] == language


@pytest.mark.parametrize("text", ["lol", "😂😂😂", "@bob https://t.co/xyz", "#tbt 2019", ""])
def test_uninformative_texts_are_undetermined(detector: LanguageDetector, text: str) -> None:
    assert detector.detect(text)[0] == "und"


def test_sentiment_of_unambiguous_posts() -> None:
    scorer = SentimentScorer()
    happy = scorer.score("I absolutely love this, best day ever! 😍", "en")
    angry = scorer.score("This is terrible, the worst service I have ever had. Awful.", "en")
    flat = scorer.score("The meeting is at 3pm in room 204.", "en")
    assert (happy.label, angry.label, flat.label) == ("positive", "negative", "neutral")
    assert happy.score > 0.5 > -0.5 > angry.score
    assert happy.method == "vader"


def test_non_english_sentiment_is_an_explained_none() -> None:
    result = SentimentScorer().score("Me encanta este lugar, es maravilloso", "es")
    assert result.label is None and result.score is None
    assert "'es'" in str(result.reason)


def test_compound_thresholds() -> None:
    assert [label_from_compound(x) for x in (0.05, 0.0499, -0.0499, -0.05)] == [
        "positive",
        "neutral",
        "neutral",
        "negative",
    ]


def test_hashtags_extracted_without_numbers_or_entities() -> None:
    text = "Loving the #SummerVibes at #Coachella2024 &amp; #1 fans #summervibes https://x.co/#frag"
    assert extract_hashtags(text) == ["summervibes", "coachella2024"]


def test_tags_are_hashtags_then_keywords_without_links_or_mentions() -> None:
    tags = KeywordExtractor().tags(
        "RT @nasa: The James Webb telescope captured a new galaxy image #space https://t.co/abc", "en"
    )
    assert tags[0] == "space"
    assert any("telescope" in tag or "webb" in tag for tag in tags[1:])
    assert not any(tag == "nasa" or "http" in tag or "t.co" in tag for tag in tags)
    assert KeywordExtractor().tags("今日は #東京 で寿司を食べました", "ja") == ["東京"]
