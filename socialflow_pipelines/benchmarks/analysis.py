"""Throughput of content analysis: the full analysis (embeddings included) and embeddings alone,
with the sentiment and entity models the pipeline uses now (the published ones in the model
store, VADER and spaCy sm until there are), named in the result.

The default corpus is socialflow_demo's `analysis_posts`, deterministic typical short social posts
(one or two sentences, hashtags, mentions, links, emoji, a fifth not in English), so the bench
runs anywhere. `texts_csv` points it at real posts instead (a CSV with a `text` column).
"""

from __future__ import annotations

import csv
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from socialflow_demo.samples import analysis_posts


def _read_texts(path: Path, n: int) -> list[str]:
    with path.open(newline="", encoding="utf-8") as handle:
        return [row["text"] for _, row in zip(range(n), csv.DictReader(handle), strict=False)]


def run_benchmark(
    *,
    progress: Callable[[str], None] | None = None,
    n_items: int = 1000,
    batch_size: int = 64,
    texts_csv: Path | str | None = None,
    num_threads: int | None = None,
    device: str | None = None,
    precision: str = "auto",
    repeats: int = 2,
    **_: Any,
) -> dict[str, Any]:
    """items/s of `ContentAnalyzer.analyze` and of `TextEmbedder.embed` (median of `repeats`)."""
    import os

    import torch

    from socialflow_pipelines.config import Settings
    from socialflow_pipelines.domains.content.service import current_runtime
    from socialflow_pipelines.ml.content import ContentAnalyzer, TextEmbedder
    from socialflow_pipelines.platform.model_store import ModelStore

    report = progress or (lambda _message: None)
    texts = _read_texts(Path(texts_csv), n_items) if texts_csv else analysis_posts(n_items)
    report(f"loading models ({len(texts)} texts)")
    started = time.perf_counter()
    embedder = TextEmbedder(
        batch_size=batch_size, num_threads=num_threads, device=device, precision=precision
    )
    runtime = current_runtime(ModelStore(Settings().model_dir))
    used = runtime.analyzer
    analyzer = ContentAnalyzer(
        embedder,
        language_detector=used.language_detector,
        sentiment_scorer=used.sentiment_scorer,
        keyword_extractor=used.keyword_extractor,
        entity_recognizer=used.entity_recognizer,
        category_classifier=used.category_classifier,
    )
    load_s = time.perf_counter() - started
    analyzer.analyze(texts[: min(64, len(texts))])  # warm-up: first calls allocate and build kernels

    def items_per_s(run: Callable[[], object], label: str) -> float:
        rates = []
        for attempt in range(repeats):
            report(f"{label}: run {attempt + 1}/{repeats}")
            start = time.perf_counter()
            run()
            rates.append(len(texts) / (time.perf_counter() - start))
        return round(statistics.median(rates), 1)

    embed_rate = items_per_s(lambda: embedder.embed(texts), "embeddings")
    full_rate = items_per_s(lambda: analyzer.analyze(texts), "full analysis")
    token_counts = [len(ids) for ids in embedder._tokenizer(texts)["input_ids"]]
    return {
        "items": len(texts),
        "corpus": str(texts_csv) if texts_csv else "synthetic social posts",
        "mean_chars": round(statistics.mean(len(t) for t in texts), 1),
        "mean_tokens": round(statistics.mean(token_counts), 1),
        "batch_size": batch_size,
        "device": str(embedder.device),
        "precision": embedder.precision,
        "torch_threads": torch.get_num_threads(),
        "cpu_count": os.cpu_count(),
        "embedding_model": embedder.model_name,
        "sentiment_method": runtime.sentiment_method,
        "entity_method": runtime.entity_method,
        "model_load_s": round(load_s, 2),
        "embeddings_items_per_s": embed_rate,
        "full_analysis_items_per_s": full_rate,
    }
