"""`socialflow seed --live`: a seeded world kept alive with new items and their engagement."""

from __future__ import annotations

from datetime import datetime

import numpy as np
import polars as pl

from socialflow_demo.engagement import DECAY_SCALE_S, lomax_cdf, lomax_ppf
from socialflow_demo.ids import world_with_backend_ids
from socialflow_demo.population import (
    SECONDS_PER_DAY,
    Population,
    WorldConfig,
    categorical_rows,
    streams,
    weighted_draw,
)
from socialflow_demo.tables import EVENT_TYPES, app_frame, string_column, to_datetime, truth_frame, utc_epoch
from socialflow_demo.texts import TextBuilder, TextKind


class LiveGenerator:
    """Keeps a seeded world alive for `socialflow seed --live`: new items and their engagement.

    `config` must be the one the world was generated with (the same people are rebuilt from its
    seed); `start_ids` holds the first free ordinal per table for videos, posts and comments
    (`load.next_free_ids`); batches carry ids of `config.id_type` (`socialflow_demo.ids`). Items
    created live get views with the same attention decay as the seeded ones; older items get
    background views by id, as a platform's long tail does.
    """

    ITEM_SHARES = (("video", 0.1), ("post", 0.5), ("comment", 0.4))
    BACKGROUND_VIEWS_PER_ITEM = 5.0
    POOL_LIMIT = 50_000

    def __init__(self, config: WorldConfig, start_ids: dict[str, int], rng_seed: int) -> None:
        self.config = config
        self.people = Population.build(config, streams(config.seed)[0])
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
        end = utc_epoch(now)
        start = end - seconds
        rng, people = self.rng, self.people
        n_new = rng.poisson(rate * seconds)
        kind_of = rng.choice(3, size=n_new, p=[share for _, share in self.ITEM_SHARES])
        created = np.sort(rng.uniform(start, end, size=n_new))
        author = weighted_draw(rng, self.creator_weight, n_new)
        kind = np.full(n_new, TextKind.CLEAN, dtype=np.int8)
        spam = rng.random(n_new) < self.config.spam_rate
        author[spam] = rng.choice(np.flatnonzero(people.is_spammer), size=int(spam.sum()))
        kind[spam] = TextKind.SPAM
        toxic_probability = self.config.toxic_rate * people.toxicity[author] / people.toxicity.mean()
        toxic = ~spam & (rng.random(n_new) < toxic_probability)
        hateful = rng.random(n_new) < self.config.hate_share_of_toxic
        kind[toxic] = np.where(hateful[toxic], TextKind.HATE, TextKind.TOXIC)
        topic = np.where(spam, -1, categorical_rows(rng, people.interests[author]))
        language = people.language[author]

        tables: dict[str, pl.DataFrame] = {}
        truth = []
        for code, (content_type, _) in enumerate(self.ITEM_SHARES[:2]):
            rows = np.flatnonzero(kind_of == code)
            ids = self._take_ids(f"{content_type}s", len(rows))
            base = {"id": ids, "user_id": author[rows] + 1, "created_at": to_datetime(0.0, created[rows])}
            if content_type == "video":
                description_kind = np.where(kind[rows] == TextKind.SPAM, TextKind.SPAM, TextKind.CLEAN)
                tables["videos"] = app_frame(
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
                tables["posts"] = app_frame("posts", {**base, "text": text})
            truth.append(truth_frame(content_type, ids, kind[rows], topic[rows]))
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
        return world_with_backend_ids(tables, self.config.id_type)

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
                weighted_draw(rng, self.pool["lifetime_views"].to_numpy() * freshness, len(author))
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
        parent_type = string_column(("post", "video"), parent_is_video.astype(np.int8))
        when = to_datetime(0.0, created)
        comments = app_frame(
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
        events = app_frame(
            "engagement_events",
            {
                "user_id": author + 1,
                "content_type": parent_type,
                "content_id": parent_id,
                "event_type": pl.Series(["comment"] * count, dtype=pl.String),
                "created_at": when,
            },
        )
        return comments, events, truth_frame("comment", ids, kind, topic)

    def _views(self, start: float, end: float) -> pl.DataFrame:
        """Views, likes and shares in (start, end]: decaying attention on live items, plus a long tail
        of background views on seeded items."""
        rng, people, config = self.rng, self.people, self.config
        pool = self.pool
        created = pool["created_s"].to_numpy()
        is_video = pool["is_video"].to_numpy()
        scale = np.where(is_video, DECAY_SCALE_S["video"], DECAY_SCALE_S["post"])
        seen_before = lomax_cdf(start - created, scale)
        seen_by_end = lomax_cdf(end - created, scale)
        counts = rng.poisson(pool["lifetime_views"].to_numpy() * (seen_by_end - seen_before))
        item = np.repeat(np.arange(len(pool)), counts)
        quantile = seen_before[item] + rng.random(len(item)) * (seen_by_end - seen_before)[item]
        times = np.clip(created[item] + lomax_ppf(quantile, scale[item]), start, end)
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
        return app_frame(
            "engagement_events",
            {
                "user_id": viewer[rows] + 1,
                "content_type": string_column(("post", "video"), content_video[rows].astype(np.int8)),
                "content_id": content_id[rows],
                "event_type": string_column(EVENT_TYPES, np.concatenate(codes)),
                "created_at": to_datetime(0.0, times[rows]),
            },
        )
