"""Topics over recent content: k-means on the sentence embeddings, k chosen by silhouette,
each topic labelled by its class-based TF-IDF top terms (as BERTopic does).

Clustering the embeddings the pipeline already stores costs little and groups paraphrases that
share no words; c-TF-IDF then names each cluster by the terms that distinguish it from the others.
The fitted `TopicModel` holds only numpy arrays and plain data, so it pickles for ModelStore.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np


@dataclass(frozen=True)
class Topic:
    id: int
    label: str
    top_terms: list[str]
    size: int

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


@dataclass(frozen=True)
class TopicAssignment:
    id: int
    label: str
    score: float  # cosine similarity between the item and the topic's centroid

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


@dataclass
class TopicModel:
    centroids: np.ndarray  # (k, dim), L2-normalised
    topics: list[Topic]
    min_score: float

    def assign(self, embeddings: np.ndarray, *, top: int = 1) -> list[list[TopicAssignment]]:
        """Nearest topics per item (best first); none when even the best is under `min_score`."""
        similarity = np.asarray(embeddings, dtype=np.float32) @ self.centroids.T
        results = []
        for row in similarity:
            best = np.argsort(-row)[:top]
            results.append(
                [
                    TopicAssignment(self.topics[i].id, self.topics[i].label, round(float(row[i]), 4))
                    for i in best
                    if row[i] >= self.min_score
                ]
            )
        return results


def _normalise(matrix: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return matrix / np.maximum(norms, 1e-12)


def choose_k(
    embeddings: np.ndarray, candidates: Sequence[int], *, random_state: int, sample_size: int
) -> int:
    """k with the best cosine silhouette on a sample (the sample keeps it O(sample²))."""
    from sklearn.cluster import KMeans
    from sklearn.metrics import silhouette_score

    rng = np.random.default_rng(random_state)
    sample = embeddings[rng.choice(len(embeddings), size=min(sample_size, len(embeddings)), replace=False)]
    best_k, best_score = candidates[0], -np.inf
    for k in candidates:
        labels = KMeans(n_clusters=k, n_init=3, random_state=random_state).fit_predict(sample)
        if len(set(labels)) < 2:
            continue
        score = silhouette_score(sample, labels, metric="cosine")
        if score > best_score:
            best_k, best_score = k, score
    return best_k


def class_tfidf_terms(texts: Sequence[str], labels: np.ndarray, n_topics: int, top_n: int) -> list[list[str]]:
    """BERTopic's c-TF-IDF: term frequency per cluster × log(1 + mean words per cluster / term frequency)."""
    from sklearn.feature_extraction.text import CountVectorizer

    documents = [" ".join(texts[i] for i in np.flatnonzero(labels == k)) for k in range(n_topics)]
    vectorizer = CountVectorizer(
        stop_words="english", ngram_range=(1, 2), token_pattern=r"(?u)\b[^\W\d_][\w'-]+\b", min_df=1
    )
    try:
        counts = vectorizer.fit_transform(documents).toarray().astype(np.float64)
    except ValueError:  # nothing but stop words and numbers
        return [[] for _ in range(n_topics)]
    terms = vectorizer.get_feature_names_out()
    tf = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1.0)
    average_words = counts.sum() / n_topics
    idf = np.log(1.0 + average_words / np.maximum(counts.sum(axis=0), 1.0))
    weights = tf * idf
    return [[str(terms[j]) for j in np.argsort(-row)[:top_n] if row[j] > 0] for row in weights]


def fit_topic_model(
    texts: Sequence[str],
    embeddings: np.ndarray,
    *,
    n_topics: int | None = None,
    min_topics: int = 5,
    max_topics: int = 30,
    top_n_terms: int = 10,
    min_score: float = 0.2,
    random_state: int = 0,
    silhouette_sample: int = 2000,
) -> TopicModel:
    """Discover topics in `texts` (with their embeddings, row-aligned). `n_topics` None chooses k
    between min_topics and min(max_topics, sqrt(n)) by silhouette, on at most eight candidates.

    The floor matters: on sentence embeddings silhouette tends to favour k=2 (it splits by
    language or register), which is no use as a topic list."""
    from sklearn.cluster import KMeans, MiniBatchKMeans

    if len(texts) != len(embeddings):
        raise ValueError(f"{len(texts)} texts but {len(embeddings)} embeddings")
    if len(texts) < 4:
        raise ValueError("need at least 4 texts to find topics")
    vectors = _normalise(np.asarray(embeddings, dtype=np.float32))
    if n_topics is None:
        upper = max(2, min(max_topics, int(np.sqrt(len(texts)))))
        lower = max(2, min(min_topics, upper))
        candidates = sorted({int(k) for k in np.linspace(lower, upper, num=min(8, upper - lower + 1))})
        n_topics = choose_k(vectors, candidates, random_state=random_state, sample_size=silhouette_sample)
    clusterer = (
        KMeans(n_clusters=n_topics, n_init=5, random_state=random_state)
        if len(texts) <= 20_000
        else MiniBatchKMeans(n_clusters=n_topics, n_init=3, random_state=random_state, batch_size=4096)
    )
    labels = clusterer.fit_predict(vectors)
    terms = class_tfidf_terms(texts, labels, n_topics, top_n_terms)
    sizes = np.bincount(labels, minlength=n_topics)
    topics = [
        Topic(id=k, label=" / ".join(terms[k][:3]) or f"topic {k}", top_terms=terms[k], size=int(sizes[k]))
        for k in range(n_topics)
    ]
    return TopicModel(
        centroids=_normalise(clusterer.cluster_centers_).astype(np.float32),
        topics=topics,
        min_score=min_score,
    )
