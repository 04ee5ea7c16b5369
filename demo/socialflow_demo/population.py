"""The people of the synthetic world and what they post: the configuration, the latent user
attributes every generator draws from, the items before ids, and the vectorised samplers they share."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from socialflow_demo import vocabulary as vocab
from socialflow_pipelines.platform.ids import IdType

N_TOPICS = len(vocab.TOPICS)
SECONDS_PER_DAY = 86_400.0


@dataclass(frozen=True)
class WorldConfig:
    """Size and behaviour of the synthetic world. Counts scale with `users` through the ratios."""

    users: int = 2000
    days: int = 14
    seed: int = 0
    # The kind of ids the tables carry: the database's (Database.id_type); None keeps the
    # generator's own ordinals (1, 2, ...), for analysing the world itself.
    id_type: IdType | None = "uuid"
    follows_per_user: float = 12.0
    videos_per_user: float = 0.25
    posts_per_user: float = 1.5
    views_per_user_per_day: float = 5.0
    like_rate: float = 0.08
    comment_rate: float = 0.02
    share_rate: float = 0.01
    spam_rate: float = 0.04
    toxic_rate: float = 0.045
    hate_share_of_toxic: float = 0.25
    spam_account_share: float = 0.015
    troll_share: float = 0.06
    review_rate: float = 0.2
    suspicious_review_rate: float = 0.7
    reviewer_error_rate: float = 0.03
    viral_share: float = 0.002
    # At least this many spam, toxic and hateful items (videos and posts) whatever the size, so a
    # small world still has enough reviewed examples for every moderation model to train on.
    min_planted: int = 120
    reach_exponent: float = 0.75

    def __post_init__(self) -> None:
        if self.users < 50:
            raise ValueError(f"users must be at least 50, got {self.users}")
        if self.days < 1:
            raise ValueError(f"days must be at least 1, got {self.days}")


@dataclass
class Population:
    """Latent user attributes plus the samplers that pick an audience for an item.

    Deterministic in (config.seed, users), so a LiveGenerator rebuilds the same people the world
    was seeded with without reading the database.
    """

    language: np.ndarray  # index into vocab.LANGUAGES
    interests: np.ndarray  # (users, topics), rows sum to 1
    activity: np.ndarray
    fitness: np.ndarray
    is_spammer: np.ndarray
    toxicity: np.ndarray  # relative propensity to write toxic items
    created_s: np.ndarray  # seconds relative to now (negative)
    n_admins: int

    @classmethod
    def build(cls, config: WorldConfig, rng: np.random.Generator) -> Population:
        n = config.users
        language = rng.choice(len(vocab.LANGUAGES), size=n, p=np.asarray(vocab.LANGUAGE_SHARES))
        interests = rng.gamma(0.2, size=(n, N_TOPICS)) + 1e-6
        interests /= interests.sum(axis=1, keepdims=True)
        activity = rng.lognormal(0.0, 0.8, size=n)
        fitness = rng.pareto(1.0, size=n) + 1.0
        # Accounts in id order: ids follow sign-up time. Spam accounts are recent sign-ups.
        created_s = np.sort(-rng.uniform(config.days, 3 * 365, size=n) * SECONDS_PER_DAY)
        n_admins = max(3, n // 1000)
        n_spammers = max(3, round(config.spam_account_share * n))
        recent = np.arange(int(0.8 * n), n)
        is_spammer = np.zeros(n, dtype=bool)
        is_spammer[rng.choice(recent, size=n_spammers, replace=False)] = True
        fitness[is_spammer] = 0.05
        is_troll = (rng.random(n) < config.troll_share) & ~is_spammer
        toxicity = np.where(is_troll, 25.0, 1.0)
        return cls(language, interests, activity, fitness, is_spammer, toxicity, created_s, n_admins)

    @property
    def size(self) -> int:
        return len(self.language)

    @property
    def main_topic(self) -> np.ndarray:
        return self.interests.argmax(axis=1)

    def sample_topic_audience(
        self, rng: np.random.Generator, topics: np.ndarray, languages: np.ndarray, same_language: float
    ) -> np.ndarray:
        """A user per entry, drawn in proportion to squared interest in the topic times activity; with
        probability `same_language` among users of the entry's language."""
        n_languages = len(vocab.LANGUAGES)
        users = np.empty(len(topics), dtype=np.int64)
        want_language = rng.random(len(topics)) < same_language
        # One group per (topic, language or "any"), found by one sort instead of a scan per group.
        group = topics * (n_languages + 1) + np.where(want_language, languages, n_languages)
        order = np.argsort(group, kind="stable")
        bounds = np.searchsorted(group[order], np.arange(N_TOPICS * (n_languages + 1) + 1))
        for key in np.flatnonzero(np.diff(bounds)):
            topic, lang = divmod(int(key), n_languages + 1)
            rows = order[bounds[key] : bounds[key + 1]]
            members = np.arange(self.size) if lang == n_languages else np.flatnonzero(self.language == lang)
            weights = self.interests[members, topic] ** 2 * self.activity[members] * ~self.is_spammer[members]
            users[rows] = members[weighted_draw(rng, weights, len(rows))]
        return users

    def sample_active(self, rng: np.random.Generator, count: int) -> np.ndarray:
        """Users drawn by activity alone (spam accounts excluded): the undirected part of traffic."""
        return weighted_draw(rng, self.activity * ~self.is_spammer, count)


def streams(seed: int) -> list[np.random.Generator]:
    """Independent random streams per stage, so the users are the same whatever later stages draw."""
    return [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(6)]


def weighted_draw(rng: np.random.Generator, weights: np.ndarray, count: int) -> np.ndarray:
    """`count` indices drawn with replacement in proportion to `weights` (inverse CDF, vectorised)."""
    cumulative = np.cumsum(weights, dtype=np.float64)
    picks = np.searchsorted(cumulative, rng.random(count) * cumulative[-1], side="right")
    return np.minimum(picks, len(weights) - 1)


def categorical_rows(rng: np.random.Generator, probabilities: np.ndarray) -> np.ndarray:
    """One category per row of a (rows, categories) probability matrix."""
    cumulative = probabilities.cumsum(axis=1)
    return (rng.random(len(probabilities))[:, None] * cumulative[:, -1:] > cumulative).sum(axis=1)


@dataclass
class Items:
    """Videos and posts in one set of arrays (video rows first), before ids are assigned."""

    is_video: np.ndarray
    creator: np.ndarray
    topic: np.ndarray  # -1 for spam
    language: np.ndarray
    created_s: np.ndarray
    kind: np.ndarray  # TextKind
    lifetime_views: np.ndarray
