"""Throughput of content analysis: the full analysis (embeddings included) and embeddings alone.

The default corpus is generated here, deterministically, to look like typical short social posts
(one or two sentences, hashtags, mentions, links, emoji, a fifth not in English), so the bench
runs anywhere. `texts_csv` points it at real posts instead (a CSV with a `text` column).
"""

from __future__ import annotations

import csv
import random
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

_SUBJECTS = (
    "the new iPhone", "Taylor Swift's concert", "the Lakers game", "my sourdough bread", "this recipe",
    "the election debate", "Elden Ring", "our trip to Lisbon", "the stock market", "NASA's new telescope",
    "my morning workout", "the new Marvel movie", "this skincare routine", "our startup", "finals week",
    "the World Cup final", "my cat", "this meme", "the Python release", "the coffee shop downtown",
)  # fmt: skip
_OPENERS = (
    "Honestly {s} is amazing", "Can't believe {s} happened today", "Not sure how I feel about {s}",
    "{s} was a total disaster", "Anyone else obsessed with {s}?", "Just finished watching {s} with friends",
    "Thoughts on {s}? I think it's overrated", "So proud of {s}, what a week",
    "Worst experience ever with {s}", "Breaking: big news about {s}",
)  # fmt: skip
_FOLLOWUPS = (
    "", " Highly recommend.", " Never again.", " Who's coming with me next time?", " Best day of the year!",
    " Can't stop thinking about it.", " Full review on my blog.", " What do you all think?",
)  # fmt: skip
_FOREIGN = (
    "¡Qué partido tan increíble anoche! El Real Madrid jugó muy bien",
    "Je viens de finir ce livre, vraiment magnifique, je le recommande",
    "Hoje o dia está lindo, vou para a praia com os amigos",
    "Das neue Album ist richtig gut, ich höre es den ganzen Tag",
    "Ma che bella giornata per una passeggiata in centro",
)
_EXTRAS = (
    "",
    " #tbt",
    " #love #instagood",
    " 😂😂",
    " 🔥",
    " @jess_k",
    " https://t.co/a1B2c3",
    " #photography",
)


def synthetic_posts(n: int, seed: int = 7) -> list[str]:
    rng = random.Random(seed)
    posts = []
    for _ in range(n):
        if rng.random() < 0.2:
            body = rng.choice(_FOREIGN)
        else:
            body = rng.choice(_OPENERS).format(s=rng.choice(_SUBJECTS)) + rng.choice(_FOLLOWUPS)
        posts.append(body + rng.choice(_EXTRAS) + rng.choice(_EXTRAS))
    return posts


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

    from socialflow_pipelines.ml.content import ContentAnalyzer, TextEmbedder

    report = progress or (lambda _message: None)
    texts = _read_texts(Path(texts_csv), n_items) if texts_csv else synthetic_posts(n_items)
    report(f"loading models ({len(texts)} texts)")
    started = time.perf_counter()
    embedder = TextEmbedder(
        batch_size=batch_size, num_threads=num_threads, device=device, precision=precision
    )
    analyzer = ContentAnalyzer(embedder)
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
        "model_load_s": round(load_s, 2),
        "embeddings_items_per_s": embed_rate,
        "full_analysis_items_per_s": full_rate,
    }
