import pytest

from socialflow_pipelines.ml.content import ContentAnalyzer, TextEmbedder


@pytest.fixture(scope="session")
def embedder() -> TextEmbedder:
    return TextEmbedder(batch_size=16, precision="float32")


@pytest.fixture(scope="session")
def analyzer(embedder: TextEmbedder) -> ContentAnalyzer:
    return ContentAnalyzer(embedder)
