"""`socialflow bench moderation`: text items/s through every text label end to end, and video
frames/s through the frame models.

The text models are the production family (`text_model_params`: the toxicity model blends in
alt-profanity-check, whose scoring is part of the cost) trained on a small synthetic sample
(socialflow_demo's `labeled_posts`), so the bench needs no data set and no published model; speed
depends on the texts' length and the feature extraction, not on what the weights learned. The
posts scored (`moderation_posts`) are short and social-looking (mentions, links, hashtags, emoji),
like the platform's.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from socialflow_demo.samples import MODERATION_LABEL_POOLS, labeled_posts, moderation_posts, noise_frames
from socialflow_pipelines.ml.moderation import (
    ContentModerator,
    NudeNetScorer,
    ProfanityCheckScorer,
    ScorerUnavailable,
    TrainedTextScorer,
    VideoItem,
    text_model_params,
)
from socialflow_pipelines.ml.text_classifier import TextClassifier


def run_benchmark(
    *,
    progress: Callable[[str], None] | None = None,
    n_items: int = 5000,
    n_videos: int = 8,
    frames_per_video: int = 8,
    seed: int = 0,
) -> dict[str, Any]:
    """Items/s through the moderator for text, frames/s for video; JSON-serialisable."""
    say = progress or (lambda _message: None)
    say("training the three text models on a synthetic sample")
    scorers = {}
    for label in MODERATION_LABEL_POOLS:
        texts, labels = labeled_posts(label, 800, seed)
        model = TextClassifier(text_model_params(label, seed=seed)).fit(texts, labels)
        scorers[label] = TrainedTextScorer(model, name=f"{label}_model", version="bench")
    posts = moderation_posts(n_items, seed=seed + 1)

    say(f"moderating {n_items} posts through spam, toxicity and hate_speech")
    moderator = ContentModerator(scorers)
    moderator.moderate_texts(posts[:200])  # warm-up: first-call allocations are not throughput
    started = time.perf_counter()
    results = moderator.moderate_texts(posts)
    text_seconds = time.perf_counter() - started
    per_label = {}
    for label, scorer in scorers.items():
        started = time.perf_counter()
        scorer.score(posts)
        per_label[label] = round(n_items / (time.perf_counter() - started), 1)
    profanity_per_s: float | None = None
    try:
        profanity = ProfanityCheckScorer()
        started = time.perf_counter()
        profanity.score(posts)
        profanity_per_s = round(n_items / (time.perf_counter() - started), 1)
    except ScorerUnavailable:
        pass

    report: dict[str, Any] = {
        "cpu_count": os.cpu_count(),
        "text_items": n_items,
        "text_items_per_s": round(n_items / text_seconds, 1),
        "text_labels": list(scorers),
        "text_items_per_s_by_label": per_label,
        "alt_profanity_check_items_per_s": profanity_per_s,
        "decisions": {
            d: sum(r.decision.decision == d for r in results)
            for d in sorted({r.decision.decision for r in results})
        },
    }

    say("scoring video frames")
    try:
        nsfw = NudeNetScorer()
    except ScorerUnavailable as exc:
        report.update({"video_frames_per_s": None, "video_frames_note": str(exc)})
        return report
    rng = np.random.default_rng(seed)
    videos = [VideoItem(text=posts[i], frames=noise_frames(frames_per_video, rng)) for i in range(n_videos)]
    video_moderator = ContentModerator(scorers, {"nsfw": nsfw})
    video_moderator.moderate_videos(videos[:1])
    started = time.perf_counter()
    video_moderator.moderate_videos(videos)
    seconds = time.perf_counter() - started
    report.update(
        {
            "video_frames": n_videos * frames_per_video,
            "video_frames_per_s": round(n_videos * frames_per_video / seconds, 1),
            "video_frames_note": f"nudenet {nsfw.version} on 640x360 frames, text labels included; "
            "violence has no offline image model unless one is configured",
        }
    )
    return report
