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
from datetime import UTC, datetime

import numpy as np
import polars as pl

from socialflow_demo import vocabulary as vocab
from socialflow_demo.engagement import DECAY_SCALE_S, EngagementSampler, lomax_cdf, seasonal_times
from socialflow_demo.ids import world_with_backend_ids
from socialflow_demo.population import (
    N_TOPICS,
    SECONDS_PER_DAY,
    Items,
    Population,
    WorldConfig,
    categorical_rows,
    streams,
    weighted_draw,
)
from socialflow_demo.tables import (
    EVENT_TYPES,
    SCHEMAS,
    app_frame,
    string_column,
    to_datetime,
    truth_frame,
    utc_epoch,
)
from socialflow_demo.texts import TextBuilder, TextKind

Progress = Callable[[str, int, int], None]


class WorldBuilder:
    """The six stages of `generate_world`, each drawing from its own random stream."""

    def __init__(self, config: WorldConfig, now: datetime, progress: Progress | None) -> None:
        self.config = config
        self.now_epoch = utc_epoch(now)
        self.start_s = -config.days * SECONDS_PER_DAY
        self.progress = progress
        self.rng_users, self.rng_follows, self.rng_items, self.rng_events, self.rng_text, self.rng_reviews = (
            streams(config.seed)
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
        events, comment_rows = EngagementSampler(self.config, self.rng_events, self.now_epoch).sample(
            people, items, followers_of
        )
        self._report("engagement", 4)
        tables, item_id = self._content_tables(people, items, comment_rows)
        events = app_frame(
            "engagement_events",
            {
                "user_id": events["user"] + 1,
                "content_type": string_column(
                    ("post", "video"), items.is_video[events["item"]].astype(np.int8)
                ),
                "content_id": item_id[events["item"]],
                "event_type": string_column(EVENT_TYPES, events["type"]),
                "created_at": to_datetime(self.now_epoch, events["time"]),
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
        return app_frame(
            "users",
            {
                "id": ids,
                "username": frame["username"],
                "display_name": frame["display_name"],
                "language": lang,
                "is_admin": ids <= people.n_admins,
                "created_at": to_datetime(self.now_epoch, people.created_s),
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
        topic = categorical_rows(rng, people.interests[follower])
        followee = weighted_draw(rng, people.fitness, len(follower))
        main_topic = people.main_topic
        for t in range(N_TOPICS):
            rows = np.flatnonzero(by_topic & (topic == t))
            members = np.flatnonzero(main_topic == t)
            if len(rows) and len(members):
                followee[rows] = members[weighted_draw(rng, people.fitness[members], len(rows))]
        keys = np.unique(follower[follower != followee] * n + followee[follower != followee])
        follower, followee = keys // n, keys % n
        since = np.maximum(people.created_s[follower], people.created_s[followee])
        created = since + rng.random(len(keys)) ** 2 * -since  # most follows are old
        order = np.argsort(followee, kind="stable")
        offsets = np.concatenate([[0], np.cumsum(np.bincount(followee, minlength=n))])
        frame = app_frame(
            "follows",
            {
                "follower_id": follower + 1,
                "followee_id": followee + 1,
                "created_at": to_datetime(self.now_epoch, created),
            },
        )
        return frame, (offsets, follower[order])

    def _items(self, people: Population, followers_of: tuple[np.ndarray, np.ndarray]) -> Items:
        rng, config = self.rng_items, self.config
        n_videos = rng.poisson(config.videos_per_user * people.size)
        n_posts = rng.poisson(config.posts_per_user * people.size)
        is_video = np.repeat([True, False], [n_videos, n_posts])
        n = len(is_video)
        creator_weight = people.activity * people.fitness**0.3 * ~people.is_spammer
        creator = weighted_draw(rng, creator_weight, n)
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
        topic = categorical_rows(rng, people.interests[creator])
        topic[spam] = -1
        created = seasonal_times(rng, n, self.start_s, self.now_epoch)
        created = np.maximum(created, people.created_s[creator])
        followers = np.diff(followers_of[0])[creator]
        quality = rng.lognormal(0.0, 0.8, size=n) * np.where(spam, 0.1, 1.0)
        weight = (1.0 + followers) ** config.reach_exponent * quality * np.where(is_video, 2.0, 1.0)
        scale = np.where(is_video, DECAY_SCALE_S["video"], DECAY_SCALE_S["post"])
        visible = lomax_cdf(-created, scale)
        target = config.views_per_user_per_day * config.days * people.size
        lifetime_views = weight * target / (weight * visible).sum()
        return Items(is_video, creator, topic, people.language[creator], created, kind, lifetime_views)

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

    def _content_tables(
        self, people: Population, items: Items, comment_rows: dict[str, np.ndarray]
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
            created = to_datetime(self.now_epoch, items.created_s[rows])
            user_id = items.creator[rows] + 1
            if content_type == "video":
                duration = np.clip(rng.lognormal(np.log(45), 1.0, size=len(rows)), 5, 1800).round(1)
                description_kind = np.where(kind == TextKind.SPAM, TextKind.SPAM, TextKind.CLEAN)
                tables["videos"] = app_frame(
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
                tables["posts"] = app_frame(
                    "posts",
                    {
                        "id": item_id[rows],
                        "user_id": user_id,
                        "text": texts.build("post", kind, lang, topic),
                        "created_at": created,
                    },
                )
            truth_parts.append(truth_frame(content_type, item_id[rows], kind, topic))

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
        tables["comments"] = app_frame(
            "comments",
            {
                "id": comment_ids,
                "user_id": user + 1,
                "parent_type": string_column(("post", "video"), items.is_video[parent].astype(np.int8)),
                "parent_id": item_id[parent],
                "text": texts.build("comment", kind, lang, topic),
                "created_at": to_datetime(self.now_epoch, time),
            },
        )
        truth_parts.append(truth_frame("comment", comment_ids, kind, topic))
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
        return app_frame(
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


def generate_world(
    config: WorldConfig, *, now: datetime, progress: Progress | None = None
) -> dict[str, pl.DataFrame]:
    """The whole demo world up to `now`: one frame per app table (SCHEMAS, with backend ids of
    `config.id_type` in the id columns: `socialflow_demo.ids`).

    `progress(stage, step, steps)` is called after each of the six stages.
    """
    tables = WorldBuilder(config, now, progress).build()
    return world_with_backend_ids({name: tables[name] for name in SCHEMAS}, config.id_type)
