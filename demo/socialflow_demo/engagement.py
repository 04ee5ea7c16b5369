"""When and by whom the seeded world's items are seen: the hour-of-day profile, the attention
decay, and the views, likes, comments and shares drawn from them."""

from __future__ import annotations

import numpy as np

from socialflow_demo.population import Items, Population, WorldConfig, weighted_draw
from socialflow_demo.texts import TextKind

# Relative activity per UTC hour: quiet nights, a lunch bump, a peak around 20:00.
HOURLY_ACTIVITY = np.array(
    [0.35, 0.25, 0.18, 0.15, 0.15, 0.2, 0.35, 0.55, 0.7, 0.75, 0.8, 0.85,
     0.95, 0.9, 0.85, 0.85, 0.9, 1.0, 1.15, 1.35, 1.5, 1.45, 1.1, 0.7]
)  # fmt: skip
# Attention decay: age of a view ~ Lomax(shape, scale), heavy-tailed as measured on real platforms.
DECAY_SHAPE = 1.3
DECAY_SCALE_S = {"video": 16 * 3600.0, "post": 8 * 3600.0}
EVENT_DELAY_S = {"like": 120.0, "share": 300.0, "comment": 600.0}


def seasonal_times(rng: np.random.Generator, count: int, start_s: float, now_epoch: float) -> np.ndarray:
    """`count` times in [start_s, 0] (seconds relative to now) with the hour-of-day profile."""
    hours = np.arange(np.floor((now_epoch + start_s) / 3600), np.ceil(now_epoch / 3600))
    weights = HOURLY_ACTIVITY[(hours % 24).astype(int)]
    bins = rng.choice(len(hours), size=count, p=weights / weights.sum())
    times = (hours[bins] + rng.random(count)) * 3600 - now_epoch
    return np.clip(times, start_s, 0.0)


def keep_by_hour(rng: np.random.Generator, times_s: np.ndarray, now_epoch: float) -> np.ndarray:
    """Thinning mask: keeps an event with probability proportional to its hour's activity."""
    hour = ((now_epoch + times_s) // 3600 % 24).astype(int)
    return rng.random(len(times_s)) < HOURLY_ACTIVITY[hour] / HOURLY_ACTIVITY.max()


def lomax_cdf(age_s: np.ndarray, scale_s: np.ndarray) -> np.ndarray:
    return 1.0 - (1.0 + np.maximum(age_s, 0.0) / scale_s) ** -DECAY_SHAPE


def lomax_ppf(q: np.ndarray, scale_s: np.ndarray) -> np.ndarray:
    return scale_s * ((1.0 - q) ** (-1.0 / DECAY_SHAPE) - 1.0)


class EngagementSampler:
    """The engagement events of a seeded world, drawn from one random stream."""

    def __init__(self, config: WorldConfig, rng: np.random.Generator, now_epoch: float) -> None:
        self.config, self.rng, self.now_epoch = config, rng, now_epoch

    def sample(
        self, people: Population, items: Items, followers_of: tuple[np.ndarray, np.ndarray]
    ) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
        """Engagement events as arrays in time order (item indices, not ids yet), and comment rows."""
        rng, config = self.rng, self.config
        scale = np.where(items.is_video, DECAY_SCALE_S["video"], DECAY_SCALE_S["post"])
        visible = lomax_cdf(-items.created_s, scale)
        oversample = HOURLY_ACTIVITY.max() / HOURLY_ACTIVITY.mean()
        counts = rng.poisson(items.lifetime_views * visible * oversample)
        # Drawn in blocks of items (about two million candidate views each) to bound peak memory.
        block_ends = np.searchsorted(np.cumsum(counts), np.arange(2_000_000, counts.sum(), 2_000_000))
        chunks: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        for block in np.split(np.arange(len(counts)), block_ends):
            item = np.repeat(block, counts[block])
            age = lomax_ppf(rng.random(len(item)) * visible[item], scale[item])
            times = np.minimum(items.created_s[item] + age, 0.0)
            keep = keep_by_hour(rng, times, self.now_epoch)
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
        items: Items,
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

    def _viral_bursts(self, rng: np.random.Generator, items: Items) -> tuple[np.ndarray, np.ndarray]:
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
        self, rng: np.random.Generator, people: Population, items: Items, n_regular: int
    ) -> dict[str, np.ndarray]:
        """Spam accounts comment on popular items, as they do to be seen."""
        count = rng.poisson(n_regular * self.config.spam_rate / (1 - self.config.spam_rate))
        item = weighted_draw(rng, items.lifetime_views, count)
        user = rng.choice(np.flatnonzero(people.is_spammer), size=count)
        delay = rng.exponential(6 * 3600, size=count)
        time = items.created_s[item] + np.minimum(delay, -items.created_s[item] * rng.random(count))
        return {"item": item, "user": user, "time": time}
