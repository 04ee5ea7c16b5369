"""`socialflow bench moderation`: text items/s through every text label end to end, and video
frames/s through the frame models.

The text models are the production family (`TextClassifier`) trained on a small synthetic sample
built here, so the bench needs no data set and no published model; speed depends on the texts'
length and the feature extraction, not on what the weights learned. The posts scored are short
and social-looking (mentions, links, hashtags, emoji), like the platform's.
"""

from __future__ import annotations

import os
import random
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from socialflow_pipelines.ml.moderation import (
    ContentModerator,
    NudeNetScorer,
    ProfanityCheckScorer,
    ScorerUnavailable,
    TrainedTextScorer,
    VideoItem,
)
from socialflow_pipelines.ml.text_classifier import TextClassifier

_EVERYDAY = [
    "just finished my morning run, feeling great",
    "who else is watching the game tonight?",
    "new recipe: lemon garlic pasta, turned out amazing",
    "can't believe how fast this week went",
    "our team shipped the new release today",
    "the sunset at the beach was unreal",
    "reading a great book about the history of jazz",
    "anyone know a good coffee place downtown?",
    "my cat knocked everything off the shelf again",
    "happy birthday to my best friend, love you",
    "studying for finals, send snacks",
    "that concert last night was incredible",
    "trying to learn guitar, my fingers hurt",
    "traffic is terrible this morning",
    "thanks everyone for the kind messages",
]
_SPAM = [
    "WIN a FREE iPhone now, click the link to claim",
    "earn $500 a day from home, DM me for details",
    "congratulations you have been selected for a cash prize, call now",
    "cheap followers and likes, 1000 for $5, limited offer",
    "urgent: your account is locked, verify at the link",
    "hot singles in your area, text WIN to 80085",
    "buy now 90% off designer bags, free shipping today only",
]
_ABUSIVE = [
    "you are such a worthless idiot",
    "shut up, nobody cares what you think, loser",
    "this is the dumbest take I have ever seen, moron",
    "go away you pathetic clown",
    "what a disgusting stupid person",
]
_HATEFUL = [
    "people like them are vermin and should be driven out of this country",
    "that whole group is subhuman and does not deserve rights",
    "they are animals, every last one of their kind",
    "we should get rid of all of them, they are a disease",
]
_EXTRAS = [
    "",
    "",
    " lol",
    " 😂",
    " 🔥🔥",
    " #weekend",
    " #tbt",
    " @sam_k",
    " https://example.com/p/123",
    "!!!",
]


def _post(rng: random.Random, pool: list[str]) -> str:
    return rng.choice(pool) + rng.choice(_EXTRAS) + rng.choice(_EXTRAS)


def synthetic_posts(n: int, *, seed: int = 0) -> list[str]:
    """Short posts, mostly everyday, with a few spam, abusive and hateful ones mixed in."""
    rng = random.Random(seed)
    pools = [_EVERYDAY] * 17 + [_SPAM, _ABUSIVE, _HATEFUL]
    return [_post(rng, rng.choice(pools)) for _ in range(n)]


def _training_sample(
    positive: list[str], negative: list[list[str]], n: int, seed: int
) -> tuple[list[str], list[int]]:
    rng = random.Random(seed)
    texts, labels = [], []
    for i in range(n):
        is_positive = i % 4 == 0
        texts.append(_post(rng, positive if is_positive else rng.choice(negative)))
        labels.append(int(is_positive))
    return texts, labels


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
    samples = {
        "spam": (_SPAM, [_EVERYDAY, _ABUSIVE, _HATEFUL]),
        "toxicity": (_ABUSIVE + _HATEFUL, [_EVERYDAY, _SPAM]),
        "hate_speech": (_HATEFUL, [_EVERYDAY, _SPAM, _ABUSIVE]),
    }
    scorers = {}
    for label, (positive, negative) in samples.items():
        texts, labels = _training_sample(positive, negative, 800, seed)
        model = TextClassifier().fit(texts, labels)
        scorers[label] = TrainedTextScorer(model, name=f"{label}_model", version="bench")
    posts = synthetic_posts(n_items, seed=seed + 1)

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
    videos = [
        VideoItem(
            text=posts[i],
            frames=[
                rng.integers(0, 256, size=(360, 640, 3), dtype=np.uint8) for _ in range(frames_per_video)
            ],
        )
        for i in range(n_videos)
    ]
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
