from pathlib import Path

import numpy as np
import pytest

from socialflow_pipelines.ml.content.embeddings import (
    TextEmbedder,
    WeightsIntegrityError,
    default_model_dir,
    matrix_from_bytes,
    matrix_to_bytes,
    vector_from_bytes,
    vector_to_bytes,
)


def test_vectors_are_normalised_float32_in_input_order(embedder: TextEmbedder) -> None:
    texts = ["short", "a much longer sentence about the weather in the mountains this weekend", "short"]
    vectors = embedder.embed(texts)
    assert vectors.shape == (3, 384) and vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    # Length sorting must not scramble rows: identical texts give identical vectors.
    np.testing.assert_allclose(vectors[0], vectors[2], atol=1e-6)
    assert embedder.embed([]).shape == (0, 384)


def test_nearest_neighbour_is_the_paraphrase(embedder: TextEmbedder) -> None:
    query = "The football match was cancelled because of heavy rain."
    candidates = [
        "I baked chocolate chip cookies with my grandmother.",
        "Due to the storm, today's soccer game has been called off.",
        "The new phone has a great camera and long battery life.",
    ]
    vectors = embedder.embed([query, *candidates])
    similarities = vectors[1:] @ vectors[0]
    assert int(np.argmax(similarities)) == 1


def test_same_vectors_as_sentence_transformers(embedder: TextEmbedder) -> None:
    from sentence_transformers import SentenceTransformer

    texts = ["A man is eating food.", "Stocks rallied after the announcement #markets"]
    reference = SentenceTransformer(str(default_model_dir()), device="cpu").encode(
        texts, normalize_embeddings=True
    )
    np.testing.assert_allclose(embedder.embed(texts), reference, atol=1e-5)


def test_weights_with_another_hash_are_refused() -> None:
    with pytest.raises(WeightsIntegrityError, match="does not match the pinned"):
        TextEmbedder(expected_sha256="0" * 64)


def test_directory_without_weights_is_refused(tmp_path: Path) -> None:
    with pytest.raises(WeightsIntegrityError, match="no weights file"):
        TextEmbedder(tmp_path, expected_sha256="0" * 64)


def test_bytes_round_trip_is_little_endian_float32() -> None:
    vectors = np.array([[1.0, -2.5, 0.125], [0.0, 3.0, -1.0]], dtype=np.float32)
    blobs = matrix_to_bytes(vectors)
    assert blobs[0] == np.array([1.0, -2.5, 0.125], dtype="<f4").tobytes()
    np.testing.assert_array_equal(matrix_from_bytes(blobs, 3), vectors)
    np.testing.assert_array_equal(vector_from_bytes(vector_to_bytes(vectors[1])), vectors[1])
    with pytest.raises(ValueError, match="expected 4"):
        vector_from_bytes(blobs[0], 4)


def test_bfloat16_vectors_stay_close_to_float32(embedder: TextEmbedder) -> None:
    texts = ["Messi scores twice as Miami win", "Baking bread at home today 🍞", "Vote tomorrow! #election"]
    fast = TextEmbedder(precision="bfloat16").embed(texts)
    assert fast.dtype == np.float32
    assert np.min(np.sum(fast * embedder.embed(texts), axis=1)) > 0.999
