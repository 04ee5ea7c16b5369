"""A synthetic Social Flow that behaves like a social network: the demo's app tables as polars frames.

The model. Users have a language, a latent interest mixture over 12 topics (Dirichlet, peaked:
most users care about one or two topics), an activity level and a *fitness* (Pareto with alpha 1,
i.e. Zipf). Follow edges pick their followee by fitness, the fitness form of preferential
attachment (Bianconi-Barabási / Chung-Lu: in-degree ends up proportional to fitness, so a few
creators hold a large share of all followers), mostly among users whose main topic is one the
follower likes. Videos and posts take a topic from their creator's interests; an item's expected
lifetime views grow with its creator's follower count (reach^0.75) and a per-item quality. Views
arrive after creation with a heavy-tailed (Lomax) attention decay, thinned by an hour-of-day profile
(busy evenings, quiet nights); each is cast by a follower of the creator or by a user drawn in
proportion to their squared interest in the item's topic, leaning to the item's language. Likes,
comments and shares are drawn per view, more likely the more the viewer cares about the topic.
A few items go viral: a burst of extra views from an onset time on, some onsets in the last hours
before `now`, so "rising" items exist at demo time. Spam (mostly from a small set of recent spam
accounts) and toxic or hateful items (mostly from a minority of trolls) are planted at configured
rates; their truth goes only to `demo_ground_truth`, and a sample, enriched for suspicious items,
gets simulated human reviews with a small error rate.

Default ratios (per user, over the configured window), so sizes scale with `users`: 12 follows,
0.25 videos, 1.5 posts, 5 views a day, a like per 12 views, a comment per 50 views (each comment
event is also a comments row; spam accounts add ~4% more), a share per 100 views.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
import polars as pl

from socialflow_demo import vocabulary as vocab
from socialflow_demo.texts import TextBuilder, TextKind

Progress = Callable[[str, int, int], None]

N_TOPICS = len(vocab.TOPICS)
SECONDS_PER_DAY = 86_400.0
UTC_DATETIME = pl.Datetime("us", "UTC")
# Relative activity per UTC hour: quiet nights, a lunch bump, a peak around 20:00.
HOURLY_ACTIVITY = np.array(
    [0.35, 0.25, 0.18, 0.15, 0.15, 0.2, 0.35, 0.55, 0.7, 0.75, 0.8, 0.85,
     0.95, 0.9, 0.85, 0.85, 0.9, 1.0, 1.15, 1.35, 1.5, 1.45, 1.1, 0.7]
)  # fmt: skip
# Attention decay: age of a view ~ Lomax(shape, scale), heavy-tailed as measured on real platforms.
DECAY_SHAPE = 1.3
DECAY_SCALE_S = {"video": 16 * 3600.0, "post": 8 * 3600.0}
EVENT_DELAY_S = {"like": 120.0, "share": 300.0, "comment": 600.0}

# Column dtypes of the app tables in db/schema.py (engagement_events without the database's id).
SCHEMAS: dict[str, dict[str, pl.DataType]] = {
    "users": {
        "id": pl.Int64(), "username": pl.String(), "display_name": pl.String(), "language": pl.String(),
        "is_admin": pl.Boolean(), "created_at": UTC_DATETIME,
    },
    "follows": {"follower_id": pl.Int64(), "followee_id": pl.Int64(), "created_at": UTC_DATETIME},
    "videos": {
        "id": pl.Int64(), "user_id": pl.Int64(), "title": pl.String(), "description": pl.String(),
        "duration_s": pl.Float64(), "media_path": pl.String(), "created_at": UTC_DATETIME,
        "moderation_status": pl.String(), "moderation_flags": pl.String(), "moderated_at": UTC_DATETIME,
    },
    "posts": {
        "id": pl.Int64(), "user_id": pl.Int64(), "text": pl.String(), "created_at": UTC_DATETIME,
        "is_flagged": pl.Boolean(), "flag_reason": pl.String(), "moderated_at": UTC_DATETIME,
    },
    "comments": {
        "id": pl.Int64(), "user_id": pl.Int64(), "parent_type": pl.String(), "parent_id": pl.Int64(),
        "text": pl.String(), "created_at": UTC_DATETIME, "is_flagged": pl.Boolean(),
        "flag_reason": pl.String(), "moderated_at": UTC_DATETIME,
    },
    "engagement_events": {
        "user_id": pl.Int64(), "content_type": pl.String(), "content_id": pl.Int64(),
        "event_type": pl.String(), "created_at": UTC_DATETIME,
    },
    "moderation_reviews": {
        "id": pl.Int64(), "content_type": pl.String(), "content_id": pl.Int64(), "reviewer_id": pl.Int64(),
        "decision": pl.String(), "labels": pl.String(), "created_at": UTC_DATETIME,
    },
    "demo_ground_truth": {
        "content_type": pl.String(), "content_id": pl.Int64(), "topic": pl.String(), "is_spam": pl.Boolean(),
        "is_toxic": pl.Boolean(), "is_hate": pl.Boolean(),
    },
}  # fmt: skip
# The item tables whose ids a LiveGenerator continues.
ID_TABLES = ("users", "videos", "posts", "comments", "moderation_reviews")


@dataclass(frozen=True)
class WorldConfig:
    """Size and behaviour of the synthetic world. Counts scale with `users` through the ratios."""

    users: int = 2000
    days: int = 14
    seed: int = 0
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
            users[rows] = members[_weighted_draw(rng, weights, len(rows))]
        return users

    def sample_active(self, rng: np.random.Generator, count: int) -> np.ndarray:
        """Users drawn by activity alone (spam accounts excluded): the undirected part of traffic."""
        return _weighted_draw(rng, self.activity * ~self.is_spammer, count)


def _streams(seed: int) -> list[np.random.Generator]:
    """Independent random streams per stage, so the users are the same whatever later stages draw."""
    return [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(6)]


def _weighted_draw(rng: np.random.Generator, weights: np.ndarray, count: int) -> np.ndarray:
    """`count` indices drawn with replacement in proportion to `weights` (inverse CDF, vectorised)."""
    cumulative = np.cumsum(weights, dtype=np.float64)
    picks = np.searchsorted(cumulative, rng.random(count) * cumulative[-1], side="right")
    return np.minimum(picks, len(weights) - 1)


def _categorical_rows(rng: np.random.Generator, probabilities: np.ndarray) -> np.ndarray:
    """One category per row of a (rows, categories) probability matrix."""
    cumulative = probabilities.cumsum(axis=1)
    return (rng.random(len(probabilities))[:, None] * cumulative[:, -1:] > cumulative).sum(axis=1)


def _seasonal_times(rng: np.random.Generator, count: int, start_s: float, now_epoch: float) -> np.ndarray:
    """`count` times in [start_s, 0] (seconds relative to now) with the hour-of-day profile."""
    hours = np.arange(np.floor((now_epoch + start_s) / 3600), np.ceil(now_epoch / 3600))
    weights = HOURLY_ACTIVITY[(hours % 24).astype(int)]
    bins = rng.choice(len(hours), size=count, p=weights / weights.sum())
    times = (hours[bins] + rng.random(count)) * 3600 - now_epoch
    return np.clip(times, start_s, 0.0)


def _keep_by_hour(rng: np.random.Generator, times_s: np.ndarray, now_epoch: float) -> np.ndarray:
    """Thinning mask: keeps an event with probability proportional to its hour's activity."""
    hour = ((now_epoch + times_s) // 3600 % 24).astype(int)
    return rng.random(len(times_s)) < HOURLY_ACTIVITY[hour] / HOURLY_ACTIVITY.max()


def _lomax_cdf(age_s: np.ndarray, scale_s: np.ndarray) -> np.ndarray:
    return 1.0 - (1.0 + np.maximum(age_s, 0.0) / scale_s) ** -DECAY_SHAPE


def _lomax_ppf(q: np.ndarray, scale_s: np.ndarray) -> np.ndarray:
    return scale_s * ((1.0 - q) ** (-1.0 / DECAY_SHAPE) - 1.0)


def _to_datetime(now_epoch: float, times_s: np.ndarray) -> pl.Series:
    micros = np.round((now_epoch + times_s) * 1e6).astype(np.int64)
    return pl.Series(micros).cast(pl.Datetime("us")).dt.replace_time_zone("UTC")


def _labels(names: tuple[str, ...], codes: np.ndarray) -> pl.Series:
    """A string column from small integer codes, without a per-row Python string."""
    return pl.Series(names, dtype=pl.String).gather(pl.Series(codes, dtype=pl.UInt32))


def _utc_epoch(now: datetime) -> float:
    """Seconds since the epoch; a naive `now` is taken as UTC."""
    return (now if now.tzinfo else now.replace(tzinfo=UTC)).timestamp()


def _frame(table: str, columns: dict[str, object]) -> pl.DataFrame:
    """A frame with exactly the table's columns and dtypes; absent columns are null."""
    schema = SCHEMAS[table]
    height = max((len(v) for v in columns.values() if hasattr(v, "__len__")), default=0)
    series = [
        pl.Series(name, columns[name]).cast(dtype)
        if name in columns
        else pl.Series(name, [None] * height, dtype)
        for name, dtype in schema.items()
    ]
    return pl.DataFrame(series)


@dataclass
class _Items:
    """Videos and posts in one set of arrays (video rows first), before ids are assigned."""

    is_video: np.ndarray
    creator: np.ndarray
    topic: np.ndarray  # -1 for spam
    language: np.ndarray
    created_s: np.ndarray
    kind: np.ndarray  # TextKind
    lifetime_views: np.ndarray


class _WorldBuilder:
    def __init__(self, config: WorldConfig, now: datetime, progress: Progress | None) -> None:
        self.config = config
        self.now_epoch = _utc_epoch(now)
        self.start_s = -config.days * SECONDS_PER_DAY
        self.progress = progress
        self.rng_users, self.rng_follows, self.rng_items, self.rng_events, self.rng_text, self.rng_reviews = (
            _streams(config.seed)
        )

    def _report(self, stage: str, step: int) -> None:
        if self.progress is not None:
            self.progress(stage, step, 6)

    def build(self) -> dict[str, pl.DataFrame]:
        people = Population.build(self.config, self.rng_users)
        users = self._users(people)
        self._report("users", 1)
        follows, followers_of = self._follows(people)
        self._report("follows", 2)
        items = self._items(people, followers_of)
        self._report("videos and posts", 3)
        events, comment_rows = self._engagement(people, items, followers_of)
        self._report("engagement", 4)
        tables, item_id = self._content_tables(people, items, comment_rows)
        events = _frame(
            "engagement_events",
            {
                "user_id": events["user"] + 1,
                "content_type": _labels(("post", "video"), items.is_video[events["item"]].astype(np.int8)),
                "content_id": item_id[events["item"]],
                "event_type": _labels(("view", "like", "comment", "share"), events["type"]),
                "created_at": _to_datetime(self.now_epoch, events["time"]),
            },
        )
        self._report("texts", 5)
        tables["moderation_reviews"] = self._reviews(people, tables["demo_ground_truth"], tables)
        self._report("moderation reviews", 6)
        return {"users": users, "follows": follows, **tables, "engagement_events": events}

    def _users(self, people: Population) -> pl.DataFrame:
        rng = self.rng_users
        n = people.size
        lang = np.asarray(vocab.LANGUAGES)[people.language]
        first = np.empty(n, dtype=object)
        last = np.empty(n, dtype=object)
        for i, code in enumerate(vocab.LANGUAGES):
            rows = np.flatnonzero(people.language == i)
            first[rows] = rng.choice(np.asarray(vocab.FIRST_NAMES[code]), size=len(rows))
            last[rows] = rng.choice(np.asarray(vocab.LAST_NAMES[code]), size=len(rows))
        ids = np.arange(1, n + 1)
        spam_stems = rng.choice(np.asarray(vocab.SPAM_USERNAME_STEMS), size=n)
        frame = pl.DataFrame(
            {"id": ids, "first": first.astype(str), "last": last.astype(str), "stem": spam_stems}
        )
        frame = frame.with_columns(
            username=pl.when(pl.Series(people.is_spammer))
            .then(pl.format("{}_{}", "stem", "id"))
            .otherwise(
                pl.format(
                    "{}.{}{}", pl.col("first").str.to_lowercase(), pl.col("last").str.to_lowercase(), "id"
                )
            ),
            display_name=pl.when(pl.Series(people.is_spammer))
            .then(pl.col("stem").str.replace_all("_", " ").str.to_uppercase())
            .otherwise(pl.format("{} {}", "first", "last")),
        )
        return _frame(
            "users",
            {
                "id": ids,
                "username": frame["username"],
                "display_name": frame["display_name"],
                "language": lang,
                "is_admin": ids <= people.n_admins,
                "created_at": _to_datetime(self.now_epoch, people.created_s),
            },
        )

    def _follows(self, people: Population) -> tuple[pl.DataFrame, tuple[np.ndarray, np.ndarray]]:
        """Follow edges; also the followers of each user as CSR (offsets, follower indices)."""
        rng = self.rng_follows
        n = people.size
        out_degree = rng.lognormal(0.0, 1.0, size=n)
        out_degree *= self.config.follows_per_user / out_degree.mean()
        out_degree[people.is_spammer] *= 5  # follow-for-follow
        out_degree = np.minimum(rng.poisson(out_degree), n - 1)
        follower = np.repeat(np.arange(n), out_degree)
        by_topic = rng.random(len(follower)) < 0.7
        topic = _categorical_rows(rng, people.interests[follower])
        followee = _weighted_draw(rng, people.fitness, len(follower))
        main_topic = people.main_topic
        for t in range(N_TOPICS):
            rows = np.flatnonzero(by_topic & (topic == t))
            members = np.flatnonzero(main_topic == t)
            if len(rows) and len(members):
                followee[rows] = members[_weighted_draw(rng, people.fitness[members], len(rows))]
        keys = np.unique(follower[follower != followee] * n + followee[follower != followee])
        follower, followee = keys // n, keys % n
        since = np.maximum(people.created_s[follower], people.created_s[followee])
        created = since + rng.random(len(keys)) ** 2 * -since  # most follows are old
        order = np.argsort(followee, kind="stable")
        offsets = np.concatenate([[0], np.cumsum(np.bincount(followee, minlength=n))])
        frame = _frame(
            "follows",
            {
                "follower_id": follower + 1,
                "followee_id": followee + 1,
                "created_at": _to_datetime(self.now_epoch, created),
            },
        )
        return frame, (offsets, follower[order])

    def _items(self, people: Population, followers_of: tuple[np.ndarray, np.ndarray]) -> _Items:
        rng, config = self.rng_items, self.config
        n_videos = rng.poisson(config.videos_per_user * people.size)
        n_posts = rng.poisson(config.posts_per_user * people.size)
        is_video = np.repeat([True, False], [n_videos, n_posts])
        n = len(is_video)
        creator_weight = people.activity * people.fitness**0.3 * ~people.is_spammer
        creator = _weighted_draw(rng, creator_weight, n)
        kind = np.full(n, TextKind.CLEAN, dtype=np.int8)
        # Spam: mostly from spam accounts, some from hijacked ordinary accounts. Half as common on video.
        spam = rng.random(n) < np.where(is_video, config.spam_rate / 2, config.spam_rate)
        spam[_top_up(rng, ~spam, config.min_planted - int(spam.sum()))] = True
        spammers = np.flatnonzero(people.is_spammer)
        hijacked = rng.random(n) < 0.15
        creator[spam & ~hijacked] = rng.choice(spammers, size=int((spam & ~hijacked).sum()))
        kind[spam] = TextKind.SPAM
        self._plant_toxicity(rng, kind, creator, people, np.where(is_video, 0.5, 1.0))
        for planted in (TextKind.TOXIC, TextKind.HATE):
            short = config.min_planted - int((kind == planted).sum())
            kind[_top_up(rng, kind == TextKind.CLEAN, short)] = planted
        topic = _categorical_rows(rng, people.interests[creator])
        topic[spam] = -1
        created = _seasonal_times(rng, n, self.start_s, self.now_epoch)
        created = np.maximum(created, people.created_s[creator])
        followers = np.diff(followers_of[0])[creator]
        quality = rng.lognormal(0.0, 0.8, size=n) * np.where(spam, 0.1, 1.0)
        weight = (1.0 + followers) ** config.reach_exponent * quality * np.where(is_video, 2.0, 1.0)
        scale = np.where(is_video, DECAY_SCALE_S["video"], DECAY_SCALE_S["post"])
        visible = _lomax_cdf(-created, scale)
        target = config.views_per_user_per_day * config.days * people.size
        lifetime_views = weight * target / (weight * visible).sum()
        return _Items(is_video, creator, topic, people.language[creator], created, kind, lifetime_views)

    def _plant_toxicity(
        self,
        rng: np.random.Generator,
        kind: np.ndarray,
        author: np.ndarray,
        people: Population,
        rate_factor: np.ndarray | float,
    ) -> None:
        """Marks a share of the clean items toxic, chosen in proportion to the author's propensity."""
        clean = np.flatnonzero(kind == TextKind.CLEAN)
        expected = float(np.sum(self.config.toxic_rate * np.broadcast_to(rate_factor, kind.shape)[clean]))
        count = min(len(clean), rng.poisson(expected))
        weights = people.toxicity[author[clean]]
        chosen = rng.choice(clean, size=count, replace=False, p=weights / weights.sum())
        hateful = rng.random(count) < self.config.hate_share_of_toxic
        kind[chosen] = np.where(hateful, TextKind.HATE, TextKind.TOXIC)

    def _engagement(
        self, people: Population, items: _Items, followers_of: tuple[np.ndarray, np.ndarray]
    ) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
        """Engagement events as arrays in time order (item indices, not ids yet), and comment rows."""
        rng, config = self.rng_events, self.config
        scale = np.where(items.is_video, DECAY_SCALE_S["video"], DECAY_SCALE_S["post"])
        visible = _lomax_cdf(-items.created_s, scale)
        oversample = HOURLY_ACTIVITY.max() / HOURLY_ACTIVITY.mean()
        counts = rng.poisson(items.lifetime_views * visible * oversample)
        # Drawn in blocks of items (about two million candidate views each) to bound peak memory.
        block_ends = np.searchsorted(np.cumsum(counts), np.arange(2_000_000, counts.sum(), 2_000_000))
        chunks: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        for block in np.split(np.arange(len(counts)), block_ends):
            item = np.repeat(block, counts[block])
            age = _lomax_ppf(rng.random(len(item)) * visible[item], scale[item])
            times = np.minimum(items.created_s[item] + age, 0.0)
            keep = _keep_by_hour(rng, times, self.now_epoch)
            item, times = item[keep], times[keep]
            viewer = self._viewers(
                rng, people, items, item, followers_of, follower_share=0.3, topic_share=0.65
            )
            chunks.append((item, times, viewer))
        viral_item, viral_times = self._viral_bursts(rng, items)
        viral_viewer = self._viewers(
            rng, people, items, viral_item, followers_of, follower_share=0.1, topic_share=0.5
        )
        chunks.append((viral_item, viral_times, viral_viewer))
        item, times, viewer = (np.concatenate(parts) for parts in zip(*chunks, strict=True))
        del chunks
        own = viewer == items.creator[item]
        item, times, viewer = item[~own], times[~own], viewer[~own]

        affinity = people.interests[viewer, np.maximum(items.topic[item], 0)] * (items.topic[item] >= 0)
        parts_item, parts_user, parts_time, parts_type = (
            [item],
            [viewer],
            [times],
            [np.zeros(len(item), np.int8)],
        )
        for code, (event, rate, sensitivity) in enumerate(
            [
                ("like", config.like_rate, 4.0),
                ("comment", config.comment_rate, 3.0),
                ("share", config.share_rate, 6.0),
            ],
            start=1,
        ):
            propensity = 0.3 + sensitivity * affinity
            probability = np.minimum(rate * propensity / propensity.mean(), 0.9)
            hit = rng.random(len(item)) < probability
            when = times[hit] + rng.exponential(EVENT_DELAY_S[event], size=int(hit.sum()))
            inside = when <= 0
            parts_item.append(item[hit][inside])
            parts_user.append(viewer[hit][inside])
            parts_time.append(when[inside])
            parts_type.append(np.full(int(inside.sum()), code, np.int8))
        comment_rows = {"item": parts_item[2], "user": parts_user[2], "time": parts_time[2]}
        spam_comments = self._spam_comments(rng, people, items, len(parts_item[2]))
        comment_rows = {key: np.concatenate([comment_rows[key], spam_comments[key]]) for key in comment_rows}
        parts_item.append(spam_comments["item"])
        parts_user.append(spam_comments["user"])
        parts_time.append(spam_comments["time"])
        parts_type.append(np.full(len(spam_comments["item"]), 2, np.int8))
        n_spam = len(spam_comments["item"])
        comment_rows["spam"] = np.arange(len(comment_rows["item"])) >= len(comment_rows["item"]) - n_spam

        # Sorted in numpy: sorting the finished frame would hold two copies of the largest table.
        times = np.concatenate(parts_time)
        order = np.argsort(times, kind="stable")
        events = {
            "item": np.concatenate(parts_item)[order],
            "user": np.concatenate(parts_user)[order],
            "type": np.concatenate(parts_type)[order],
            "time": times[order],
        }
        return events, comment_rows

    def _viewers(
        self,
        rng: np.random.Generator,
        people: Population,
        items: _Items,
        item: np.ndarray,
        followers_of: tuple[np.ndarray, np.ndarray],
        *,
        follower_share: float,
        topic_share: float,
    ) -> np.ndarray:
        """Who casts each view: a follower of the creator, an interested user, or anyone active.

        A follower who does not care for the item's topic mostly scrolls past; that view goes to an
        interested user instead, so reach brings views but interests decide who casts them."""
        offsets, followers = followers_of
        creator = items.creator[item]
        topic = items.topic[item]
        degree = offsets[creator + 1] - offsets[creator]
        roll = rng.random(len(item))
        by_follower = np.flatnonzero((roll < follower_share) & (degree > 0))
        by_topic = (
            ~np.isin(np.arange(len(item)), by_follower) & (roll < follower_share + topic_share) & (topic >= 0)
        )
        viewer = people.sample_active(rng, len(item))
        follower = followers[
            offsets[creator[by_follower]]
            + (rng.random(len(by_follower)) * degree[by_follower]).astype(np.int64)
        ]
        follower_topic = topic[by_follower]
        cares = np.minimum(1.0, 0.2 + 3.0 * people.interests[follower, np.maximum(follower_topic, 0)])
        scrolls_past = (follower_topic >= 0) & (rng.random(len(by_follower)) > cares)
        viewer[by_follower] = follower
        by_topic[by_follower[scrolls_past]] = True
        viewer[by_topic] = people.sample_topic_audience(
            rng, topic[by_topic], items.language[item[by_topic]], same_language=0.7
        )
        return viewer

    def _viral_bursts(self, rng: np.random.Generator, items: _Items) -> tuple[np.ndarray, np.ndarray]:
        """Extra views for a few non-spam items: a sudden burst from an onset time on. A third of the
        onsets fall in the last three hours, so some items are still accelerating at `now` (the burst's
        gamma profile peaks four hours after onset)."""
        candidates = np.flatnonzero(items.kind != TextKind.SPAM)
        n_viral = max(3, round(self.config.viral_share * len(items.kind)))
        late = candidates[items.created_s[candidates] > -12 * 3600]
        n_late = min(len(late), max(2, n_viral // 3))
        chosen_late = rng.choice(late, size=n_late, replace=False) if n_late else np.empty(0, np.int64)
        rest = np.setdiff1d(candidates, chosen_late)
        chosen = np.concatenate([chosen_late, rng.choice(rest, size=n_viral - n_late, replace=False)])
        onset = items.created_s[chosen] + rng.uniform(0.5, 6, size=len(chosen)) * 3600
        onset[:n_late] = np.maximum(
            -rng.uniform(0.5, 3, size=n_late) * 3600, items.created_s[chosen[:n_late]]
        )
        mean_views = items.lifetime_views.mean()
        burst = (mean_views * np.exp(rng.uniform(np.log(15), np.log(80), size=len(chosen)))).astype(np.int64)
        item = np.repeat(chosen, burst)
        times = np.repeat(onset, burst) + rng.gamma(3.0, 2 * 3600, size=len(item))
        keep = times <= 0
        return item[keep], times[keep]

    def _spam_comments(
        self, rng: np.random.Generator, people: Population, items: _Items, n_regular: int
    ) -> dict[str, np.ndarray]:
        """Spam accounts comment on popular items, as they do to be seen."""
        count = rng.poisson(n_regular * self.config.spam_rate / (1 - self.config.spam_rate))
        item = _weighted_draw(rng, items.lifetime_views, count)
        user = rng.choice(np.flatnonzero(people.is_spammer), size=count)
        delay = rng.exponential(6 * 3600, size=count)
        time = items.created_s[item] + np.minimum(delay, -items.created_s[item] * rng.random(count))
        return {"item": item, "user": user, "time": time}

    def _content_tables(
        self, people: Population, items: _Items, comment_rows: dict[str, np.ndarray]
    ) -> tuple[dict[str, pl.DataFrame], np.ndarray]:
        """Assigns ids in creation order, writes texts, and builds the item tables and ground truth."""
        rng = self.rng_text
        texts = TextBuilder(rng)
        item_id = np.empty(len(items.kind), dtype=np.int64)
        tables: dict[str, pl.DataFrame] = {}
        truth_parts = []
        for content_type, mask in (("video", items.is_video), ("post", ~items.is_video)):
            rows = np.flatnonzero(mask)
            rows = rows[np.argsort(items.created_s[rows], kind="stable")]
            item_id[rows] = np.arange(1, len(rows) + 1)
            kind, lang, topic = items.kind[rows], items.language[rows], items.topic[rows]
            created = _to_datetime(self.now_epoch, items.created_s[rows])
            user_id = items.creator[rows] + 1
            if content_type == "video":
                duration = np.clip(rng.lognormal(np.log(45), 1.0, size=len(rows)), 5, 1800).round(1)
                description_kind = np.where(kind == TextKind.SPAM, TextKind.SPAM, TextKind.CLEAN)
                tables["videos"] = _frame(
                    "videos",
                    {
                        "id": item_id[rows],
                        "user_id": user_id,
                        "title": texts.build("title", kind, lang, topic),
                        "description": texts.build("post", description_kind, lang, topic),
                        "duration_s": duration,
                        "created_at": created,
                    },
                )
            else:
                tables["posts"] = _frame(
                    "posts",
                    {
                        "id": item_id[rows],
                        "user_id": user_id,
                        "text": texts.build("post", kind, lang, topic),
                        "created_at": created,
                    },
                )
            truth_parts.append(_truth(content_type, item_id[rows], kind, topic))

        parent = comment_rows["item"]
        order = np.argsort(comment_rows["time"], kind="stable")
        parent, user, time, spam = (comment_rows[k][order] for k in ("item", "user", "time", "spam"))
        kind = np.where(spam, TextKind.SPAM, TextKind.CLEAN).astype(np.int8)
        self._plant_toxicity(rng, kind, user, people, 1.5)  # comment threads are where insults fly
        own_language = rng.random(len(user)) < 0.85
        lang = np.where(own_language, people.language[user], items.language[parent])
        # A comment is about its parent's topic; under a spam item, about what the commenter likes.
        parent_topic = items.topic[parent]
        topic = np.where(spam, -1, np.where(parent_topic >= 0, parent_topic, people.main_topic[user]))
        comment_ids = np.arange(1, len(parent) + 1)
        tables["comments"] = _frame(
            "comments",
            {
                "id": comment_ids,
                "user_id": user + 1,
                "parent_type": _labels(("post", "video"), items.is_video[parent].astype(np.int8)),
                "parent_id": item_id[parent],
                "text": texts.build("comment", kind, lang, topic),
                "created_at": _to_datetime(self.now_epoch, time),
            },
        )
        truth_parts.append(_truth("comment", comment_ids, kind, topic))
        tables["demo_ground_truth"] = pl.concat(truth_parts)
        return tables, item_id

    def _reviews(
        self, people: Population, truth: pl.DataFrame, tables: dict[str, pl.DataFrame]
    ) -> pl.DataFrame:
        """Human reviews of a sample of items, more likely for suspicious ones (users report them)."""
        rng, config = self.rng_reviews, self.config
        created = pl.concat(
            tables[name].select(
                pl.lit(ct).alias("content_type"), pl.col("id").alias("content_id"), "created_at"
            )
            for ct, name in (("video", "videos"), ("post", "posts"), ("comment", "comments"))
        )
        truth = truth.join(created, on=["content_type", "content_id"])
        suspicious = (truth["is_spam"] | truth["is_toxic"]).to_numpy()
        sampled = rng.random(len(truth)) < np.where(
            suspicious, config.suspicious_review_rate, config.review_rate
        )
        delay_us = (rng.lognormal(np.log(3 * 3600), 1.0, size=len(truth)) * 1e6).astype(np.int64)
        reviewed = truth.with_columns(
            pl.col("created_at") + pl.duration(microseconds=pl.Series(delay_us))
        ).filter(pl.Series(sampled) & (pl.col("created_at") <= datetime.fromtimestamp(self.now_epoch, UTC)))
        n = len(reviewed)
        # Reviewers miss a positive at the error rate and raise a false alarm ten times less often.
        verdict = {}
        for label, column in (("spam", "is_spam"), ("toxicity", "is_toxic"), ("hate_speech", "is_hate")):
            truth_label = reviewed[column].to_numpy()
            flip = rng.random(n) < np.where(
                truth_label, config.reviewer_error_rate, config.reviewer_error_rate / 10
            )
            verdict[label] = truth_label ^ flip
        verdict["toxicity"] |= verdict["hate_speech"]
        decision = np.where(
            verdict["spam"] | verdict["hate_speech"],
            "rejected",
            np.where(verdict["toxicity"], np.where(rng.random(n) < 0.3, "rejected", "flagged"), "approved"),
        )
        labels = pl.concat_str(
            pl.lit('{"spam": '),
            pl.lit(pl.Series(verdict["spam"]).cast(pl.String)),
            pl.lit(', "toxicity": '),
            pl.lit(pl.Series(verdict["toxicity"]).cast(pl.String)),
            pl.lit(', "hate_speech": '),
            pl.lit(pl.Series(verdict["hate_speech"]).cast(pl.String)),
            pl.lit("}"),
        )
        reviewed = reviewed.with_columns(
            decision=pl.Series(decision),
            labels=labels,
            reviewer_id=pl.Series(rng.integers(1, people.n_admins + 1, size=n)),
        ).sort("created_at")
        return _frame(
            "moderation_reviews",
            {
                "id": np.arange(1, n + 1),
                **{c: reviewed[c] for c in SCHEMAS["moderation_reviews"] if c != "id"},
            },
        )


def _top_up(rng: np.random.Generator, eligible: np.ndarray, count: int) -> np.ndarray:
    """Indices of `count` random eligible items (none when count <= 0)."""
    pool = np.flatnonzero(eligible)
    return rng.choice(pool, size=min(max(count, 0), len(pool)), replace=False)


def _truth(content_type: str, ids: np.ndarray, kind: np.ndarray, topic: np.ndarray) -> pl.DataFrame:
    topic_names = np.asarray((*vocab.TOPICS, ""))[topic]  # -1 picks the trailing "" (no topic)
    return _frame(
        "demo_ground_truth",
        {
            "content_type": np.full(len(ids), content_type),
            "content_id": ids,
            "topic": pl.Series(topic_names).replace("", None),
            "is_spam": kind == TextKind.SPAM,
            "is_toxic": (kind == TextKind.TOXIC) | (kind == TextKind.HATE),
            "is_hate": kind == TextKind.HATE,
        },
    )


def generate_world(
    config: WorldConfig, *, now: datetime, progress: Progress | None = None
) -> dict[str, pl.DataFrame]:
    """The whole demo world up to `now`: one frame per app table (see SCHEMAS), ids from 1.

    `progress(stage, step, steps)` is called after each of the six stages.
    """
    tables = _WorldBuilder(config, now, progress).build()
    return {name: tables[name] for name in SCHEMAS}


class LiveGenerator:
    """Keeps a seeded world alive for `socialflow seed --live`: new items and their engagement.

    `config` must be the one the world was generated with (the same people are rebuilt from its
    seed); `start_ids` holds the first free id per table (max id + 1) for videos, posts and
    comments. Items created live get views with the same attention decay as the seeded ones;
    older items get background views by id, as a platform's long tail does.
    """

    ITEM_SHARES = (("video", 0.1), ("post", 0.5), ("comment", 0.4))
    BACKGROUND_VIEWS_PER_ITEM = 5.0
    POOL_LIMIT = 50_000

    def __init__(self, config: WorldConfig, start_ids: dict[str, int], rng_seed: int) -> None:
        self.config = config
        self.people = Population.build(config, _streams(config.seed)[0])
        self.rng = np.random.default_rng(rng_seed)
        self.texts = TextBuilder(self.rng)
        self.first_live_id = {
            table: int(start_ids.get(table, 1)) for table in ("videos", "posts", "comments")
        }
        self.next_id = dict(self.first_live_id)
        expected_followers = (
            self.people.fitness / self.people.fitness.sum() * config.follows_per_user * config.users
        )
        self.reach = (1.0 + expected_followers) ** config.reach_exponent
        self.creator_weight = self.people.activity * self.people.fitness**0.3 * ~self.people.is_spammer
        typical_reach = float(np.average(self.reach, weights=self.creator_weight))
        views_per_item = (
            config.views_per_user_per_day * config.days / (config.videos_per_user + config.posts_per_user)
        )
        self.views_per_reach = views_per_item / typical_reach
        self.pool = pl.DataFrame(
            schema={
                "is_video": pl.Boolean,
                "id": pl.Int64,
                "topic": pl.Int64,
                "language": pl.Int64,
                "created_s": pl.Float64,
                "lifetime_views": pl.Float64,
            }
        )

    def next_batch(self, now: datetime, seconds: float, rate: float) -> dict[str, pl.DataFrame]:
        """New videos, posts, comments (about `rate` items a second), their ground truth, and the
        engagement events of the interval (now - seconds, now]."""
        end = _utc_epoch(now)
        start = end - seconds
        rng, people = self.rng, self.people
        n_new = rng.poisson(rate * seconds)
        kind_of = rng.choice(3, size=n_new, p=[share for _, share in self.ITEM_SHARES])
        created = np.sort(rng.uniform(start, end, size=n_new))
        author = _weighted_draw(rng, self.creator_weight, n_new)
        kind = np.full(n_new, TextKind.CLEAN, dtype=np.int8)
        spam = rng.random(n_new) < self.config.spam_rate
        author[spam] = rng.choice(np.flatnonzero(people.is_spammer), size=int(spam.sum()))
        kind[spam] = TextKind.SPAM
        toxic_probability = self.config.toxic_rate * people.toxicity[author] / people.toxicity.mean()
        toxic = ~spam & (rng.random(n_new) < toxic_probability)
        hateful = rng.random(n_new) < self.config.hate_share_of_toxic
        kind[toxic] = np.where(hateful[toxic], TextKind.HATE, TextKind.TOXIC)
        topic = np.where(spam, -1, _categorical_rows(rng, people.interests[author]))
        language = people.language[author]

        tables: dict[str, pl.DataFrame] = {}
        truth = []
        for code, (content_type, _) in enumerate(self.ITEM_SHARES[:2]):
            rows = np.flatnonzero(kind_of == code)
            ids = self._take_ids(f"{content_type}s", len(rows))
            base = {"id": ids, "user_id": author[rows] + 1, "created_at": _to_datetime(0.0, created[rows])}
            if content_type == "video":
                description_kind = np.where(kind[rows] == TextKind.SPAM, TextKind.SPAM, TextKind.CLEAN)
                tables["videos"] = _frame(
                    "videos",
                    {
                        **base,
                        "title": self.texts.build("title", kind[rows], language[rows], topic[rows]),
                        "description": self.texts.build(
                            "post", description_kind, language[rows], topic[rows]
                        ),
                        "duration_s": np.clip(rng.lognormal(np.log(45), 1.0, size=len(rows)), 5, 1800).round(
                            1
                        ),
                    },
                )
            else:
                text = self.texts.build("post", kind[rows], language[rows], topic[rows])
                tables["posts"] = _frame("posts", {**base, "text": text})
            truth.append(_truth(content_type, ids, kind[rows], topic[rows]))
            quality = rng.lognormal(0.0, 0.8, size=len(rows)) * np.where(spam[rows], 0.1, 1.0)
            views = (
                self.views_per_reach
                * self.reach[author[rows]]
                * quality
                * (2.0 if content_type == "video" else 1.0)
            )
            new_items = pl.DataFrame(
                {
                    "is_video": np.full(len(rows), content_type == "video"),
                    "id": ids,
                    "topic": topic[rows],
                    "language": language[rows],
                    "created_s": created[rows],
                    "lifetime_views": views,
                }
            )
            self.pool = pl.concat([self.pool, new_items.cast(self.pool.schema)]).tail(self.POOL_LIMIT)

        rows = np.flatnonzero(kind_of == 2)
        tables["comments"], comment_events, comment_truth = self._comments(
            author[rows], kind[rows], created[rows]
        )
        truth.append(comment_truth)
        tables["demo_ground_truth"] = pl.concat(truth)
        tables["engagement_events"] = pl.concat([self._views(start, end), comment_events]).sort("created_at")
        return tables

    def _take_ids(self, table: str, count: int) -> np.ndarray:
        first = self.next_id[table]
        self.next_id[table] = first + count
        return np.arange(first, first + count, dtype=np.int64)

    def _comments(
        self, author: np.ndarray, kind: np.ndarray, created: np.ndarray
    ) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
        """Comments on recent live items (popular and fresh ones first), or on older posts by id.
        A comment never predates its parent; without any parent to comment on there are none."""
        rng = self.rng
        newest_post = self.first_live_id["posts"] - 1
        if len(self.pool):
            now = float(created.max(initial=self.pool["created_s"].max()))
            freshness = np.exp(-(now - self.pool["created_s"].to_numpy()) / SECONDS_PER_DAY)
            parent = self.pool[
                _weighted_draw(rng, self.pool["lifetime_views"].to_numpy() * freshness, len(author))
            ]
            parent_is_video = parent["is_video"].to_numpy()
            parent_id = parent["id"].to_numpy()
            topic = parent["topic"].to_numpy()
            created = np.maximum(created, parent["created_s"].to_numpy())
        else:  # nothing live yet: comment on the newest seeded posts, about the commenter's own topic
            author, kind, created = (a[: len(a) if newest_post >= 1 else 0] for a in (author, kind, created))
            parent_is_video = np.zeros(len(author), dtype=bool)
            parent_id = rng.integers(max(1, newest_post - 1000), newest_post + 1, size=len(author))
            topic = self.people.main_topic[author]
        order = np.argsort(created, kind="stable")
        author, kind, created, parent_is_video, parent_id, topic = (
            a[order] for a in (author, kind, created, parent_is_video, parent_id, topic)
        )
        count = len(author)
        ids = self._take_ids("comments", count)
        topic = np.where(topic >= 0, topic, self.people.main_topic[author])
        topic = np.where(kind == TextKind.SPAM, -1, topic)
        parent_type = _labels(("post", "video"), parent_is_video.astype(np.int8))
        when = _to_datetime(0.0, created)
        comments = _frame(
            "comments",
            {
                "id": ids,
                "user_id": author + 1,
                "parent_type": parent_type,
                "parent_id": parent_id,
                "text": self.texts.build("comment", kind, self.people.language[author], topic),
                "created_at": when,
            },
        )
        events = _frame(
            "engagement_events",
            {
                "user_id": author + 1,
                "content_type": parent_type,
                "content_id": parent_id,
                "event_type": pl.Series(["comment"] * count, dtype=pl.String),
                "created_at": when,
            },
        )
        return comments, events, _truth("comment", ids, kind, topic)

    def _views(self, start: float, end: float) -> pl.DataFrame:
        """Views, likes and shares in (start, end]: decaying attention on live items, plus a long tail
        of background views on seeded items."""
        rng, people, config = self.rng, self.people, self.config
        pool = self.pool
        created = pool["created_s"].to_numpy()
        is_video = pool["is_video"].to_numpy()
        scale = np.where(is_video, DECAY_SCALE_S["video"], DECAY_SCALE_S["post"])
        seen_before = _lomax_cdf(start - created, scale)
        seen_by_end = _lomax_cdf(end - created, scale)
        counts = rng.poisson(pool["lifetime_views"].to_numpy() * (seen_by_end - seen_before))
        item = np.repeat(np.arange(len(pool)), counts)
        quantile = seen_before[item] + rng.random(len(item)) * (seen_by_end - seen_before)[item]
        times = np.clip(created[item] + _lomax_ppf(quantile, scale[item]), start, end)
        topic = pool["topic"].to_numpy()[item]
        viewer = people.sample_active(rng, len(item))
        topical = topic >= 0
        viewer[topical] = people.sample_topic_audience(
            rng, topic[topical], pool["language"].to_numpy()[item][topical], same_language=0.7
        )
        content_video = is_video[item]
        content_id = pool["id"].to_numpy()[item]

        n_background = rng.poisson(
            self.BACKGROUND_VIEWS_PER_ITEM * len(pool.filter(pl.col("created_s") > start)) + 1
        )
        background_video = rng.random(n_background) < config.videos_per_user / (
            config.videos_per_user + config.posts_per_user
        )
        newest = np.where(background_video, self.first_live_id["videos"], self.first_live_id["posts"]) - 1
        has_items = newest >= 1
        background_id = (rng.random(n_background) * np.maximum(newest, 1)).astype(np.int64) + 1
        viewer = np.concatenate([viewer, people.sample_active(rng, n_background)[has_items]])
        times = np.concatenate([times, rng.uniform(start, end, size=n_background)[has_items]])
        content_video = np.concatenate([content_video, background_video[has_items]])
        content_id = np.concatenate([content_id, background_id[has_items]])

        event_code = np.zeros(len(viewer), dtype=np.int8)
        parts = [np.arange(len(viewer))]
        codes = [event_code]
        for code, rate in ((1, config.like_rate), (3, config.share_rate)):
            hit = np.flatnonzero(rng.random(len(viewer)) < rate)
            parts.append(hit)
            codes.append(np.full(len(hit), code, np.int8))
        rows = np.concatenate(parts)
        return _frame(
            "engagement_events",
            {
                "user_id": viewer[rows] + 1,
                "content_type": _labels(("post", "video"), content_video[rows].astype(np.int8)),
                "content_id": content_id[rows],
                "event_type": _labels(("view", "like", "comment", "share"), np.concatenate(codes)),
                "created_at": _to_datetime(0.0, times[rows]),
            },
        )
