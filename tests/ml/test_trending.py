"""The trending math on hand-built hourly series whose answer is known."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import numpy as np
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from socialflow_pipelines.ml.trending import (
    COUNT_COLUMNS,
    HOURLY_SCHEMA,
    PRIOR_EVENTS,
    WINDOW_HOURS,
    aggregate_hourly,
    compute_trending,
    lookback_hours,
    top_per_window,
)

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
WEIGHTS = {"view": 1.0, "like": 4.0, "comment": 8.0, "share": 12.0}


def series(content_id: int, views_per_hour: list[int], content_type: str = "video") -> list[dict]:
    """Hourly rows ending with the hour just before NOW (last element = most recent hour)."""
    n = len(views_per_hour)
    return [
        {
            "hour_start": NOW - timedelta(hours=n - i),
            "content_type": content_type,
            "content_id": str(content_id),
            "views": v,
            "likes": 0,
            "comments": 0,
            "shares": 0,
        }
        for i, v in enumerate(views_per_hour)
    ]


def frame(*rows: list[dict]) -> pl.DataFrame:
    return pl.DataFrame([r for rs in rows for r in rs], schema=HOURLY_SCHEMA)


def row(scores: pl.DataFrame, content_id: int, window: str) -> dict:
    return scores.filter((pl.col("content_id") == str(content_id)) & (pl.col("time_window") == window)).row(
        0, named=True
    )


def test_accelerating_item_is_rising_and_outranks_a_steady_item_with_more_views() -> None:
    steady = series(1, [100] * 48)
    accelerating = series(2, [5] * 44 + [50] * 4)
    scores = compute_trending(frame(steady, accelerating), NOW, WEIGHTS)
    fast, slow = row(scores, 2, "6h"), row(scores, 1, "6h")
    assert sum(r["views"] for r in steady) > sum(r["views"] for r in accelerating)
    assert fast["trend"] == "rising"
    assert slow["trend"] == "stable"
    assert fast["score"] > slow["score"]
    assert fast["rank"] == 1


def test_decaying_item_is_falling() -> None:
    decaying = series(3, [100] * 24 + [60, 40, 20, 10, 5, 2])
    scores = compute_trending(frame(decaying), NOW, WEIGHTS)
    assert row(scores, 3, "6h")["trend"] == "falling"
    assert row(scores, 3, "1h")["trend"] == "falling"


def test_item_without_events_in_a_window_has_zero_velocity_and_finite_score() -> None:
    old = series(4, [30] * 10 + [0] * 30)  # activity ended 30 hours ago
    scores = compute_trending(frame(old), NOW, WEIGHTS)
    one_hour = row(scores, 4, "1h")
    assert one_hour["velocity"] == 0.0
    assert one_hour["trend"] == "stable"
    assert all(math.isfinite(s) for s in scores["score"])
    assert set(scores["time_window"]) == set(WINDOW_HOURS)


def test_weights_order_event_types() -> None:
    rows = []
    for content_id, column in enumerate(["views", "likes", "comments", "shares"], start=10):
        rows.append(
            {
                "hour_start": NOW - timedelta(hours=1),
                "content_type": "post",
                "content_id": str(content_id),
                "views": 0,
                "likes": 0,
                "comments": 0,
                "shares": 0,
            }
            | {column: 10}
        )
    scores = compute_trending(pl.DataFrame(rows, schema=HOURLY_SCHEMA), NOW, WEIGHTS)
    ranked = scores.filter(pl.col("time_window") == "1h").sort("rank")["content_id"].to_list()
    assert ranked == ["13", "12", "11", "10"]  # shares > comments > likes > views


def test_partial_current_hour_counts_pro_rata() -> None:
    """At 12:15, the 1h window covers 11:15-12:15: 3/4 of the 11:00 bucket plus the 12:00 bucket."""
    now = NOW + timedelta(minutes=15)
    current = {"hour_start": NOW, "content_type": "video", "content_id": "5", "views": 10}
    rows = [*series(5, [40]), current | {"likes": 0, "comments": 0, "shares": 0}]
    scores = compute_trending(frame(rows), now, {"view": 1.0})
    assert row(scores, 5, "1h")["weighted_engagement"] == pytest.approx(0.75 * 40 + 10)


def test_ranks_are_per_content_type_and_window_and_top_keeps_k() -> None:
    rows = [series(i, [i] * 5, "video") for i in range(1, 6)] + [
        series(i, [i] * 5, "post") for i in range(1, 4)
    ]
    scores = compute_trending(frame(*rows), NOW, WEIGHTS)
    for (_ctype, _window), group in scores.group_by("content_type", "time_window"):
        assert sorted(group["rank"]) == list(range(1, group.height + 1))
    top = top_per_window(scores, 2)
    assert top.height == 2 * 2 * len(WINDOW_HOURS)


def test_aggregate_hourly_counts_each_event_type() -> None:
    t = NOW - timedelta(minutes=30)
    events = pl.DataFrame(
        {
            "content_type": ["video"] * 4 + ["post"],
            "content_id": ["1"] * 5,
            "event_type": ["view", "view", "like", "share", "comment"],
            "created_at": [t, t + timedelta(minutes=5), t, t, t],
        }
    )
    hourly = aggregate_hourly(events)
    video = hourly.filter(pl.col("content_type") == "video").row(0, named=True)
    assert (video["views"], video["likes"], video["comments"], video["shares"]) == (2, 1, 0, 1)
    assert video["hour_start"] == NOW - timedelta(hours=1)


def test_naive_now_and_unknown_window_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone"):
        compute_trending(frame(series(1, [1])), NOW.replace(tzinfo=None), WEIGHTS)
    with pytest.raises(ValueError, match="unknown time windows"):
        compute_trending(frame(series(1, [1])), NOW, WEIGHTS, windows=["2h"])


# --- Baselines for items younger than their baseline period (own baseline where it exists, else their
# --- trajectory against items of their age)


def young_world(n_items: int = 200, days: int = 14, seed: int = 7) -> tuple[pl.DataFrame, dict[int, int]]:
    """Items born at random over the last `days` (all younger than that), log-normal popularity,
    attention decaying with age, a tenth of them bursting over the last 12 hours. Returns the hourly
    rows and each item's age in hours (its first row is that many hours before NOW)."""
    rng = np.random.default_rng(seed)
    age_h = rng.integers(1, days * 24, size=n_items)
    popularity = rng.lognormal(math.log(20.0), 1.2, size=n_items)  # views per hour when fresh
    tau = rng.lognormal(math.log(24.0), 0.5, size=n_items)  # hours over which attention fades
    burst = rng.random(n_items) < 0.1
    item = np.repeat(np.arange(n_items), age_h)
    hours_ago = np.concatenate([np.arange(a, 0, -1) for a in age_h])  # 1 = the hour just before NOW
    rate = popularity[item] * (1 + (age_h[item] - hours_ago) / tau[item]) ** -1.5
    rate *= np.where(burst[item] & (hours_ago <= 12), 20.0, 1.0)
    views = rng.poisson(rate)
    hourly = pl.DataFrame(
        {
            "hour_start": [NOW - timedelta(hours=int(h)) for h in hours_ago],
            "content_type": np.where(item % 2 == 0, "video", "post"),
            "content_id": item.astype(str),
            "views": views,
            "likes": rng.binomial(views, 0.08),
            "comments": rng.binomial(views, 0.02),
            "shares": rng.binomial(views, 0.01),
        },
        schema=HOURLY_SCHEMA,
    )
    return hourly, {str(i): int(a) for i, a in enumerate(age_h)}


def test_young_world_has_rising_stable_and_falling_items_at_long_windows() -> None:
    hourly, ages = young_world()
    assert max(ages.values()) < 14 * 24
    scores = compute_trending(hourly, NOW, WEIGHTS)
    for window in ("24h", "7d", "30d"):
        in_window = scores.filter(pl.col("time_window") == window)
        counts = dict(in_window.group_by("trend").len().iter_rows())
        assert set(counts) == {"rising", "stable", "falling"}, (window, counts)
        assert min(counts.values()) >= 10, (window, counts)
        trajectory = in_window.filter(pl.col("baseline") == "trajectory")
        assert trajectory.height > 0
        assert (trajectory["baseline_velocity"] > 0).all(), window
    # The top of a long-window list is not simply "the biggest items, all rising": the label says how
    # an item holds up against items of its age, not how popular it is.
    for window in ("7d", "30d"):
        for content_type in ("video", "post"):
            top = scores.filter(pl.col("time_window") == window, pl.col("content_type") == content_type)
            top_labels = dict(top.sort("rank").head(20).group_by("trend").len().iter_rows())
            assert len(top_labels) >= 2, (window, content_type, top_labels)
    # Nobody is old enough for a baseline of their own at 7d or 30d; at 24h only items over 48 h are.
    assert set(scores.filter(pl.col("time_window").is_in(["7d", "30d"]))["baseline"]) == {"trajectory"}
    day = scores.filter(pl.col("time_window") == "24h")
    own_ids = set(day.filter(pl.col("baseline") == "own")["content_id"])
    assert own_ids == {i for i, a in ages.items() if a >= 48}


def test_trajectory_baseline_splits_each_life_at_its_midpoint_against_its_peers() -> None:
    """Recomputed by hand at 30d, off the hour (so midpoints cut buckets): each item's life in the
    window halved at its midpoint, a straddling bucket shared pro rata; the typical carry-over r is
    the other same-type, same-age items' pooled (late + a) / (early + a); E0 = early * (1 + r)."""
    hourly, ages = young_world()
    now = NOW + timedelta(minutes=20)
    scores = compute_trending(hourly, now, WEIGHTS, windows=["30d"])
    assert set(scores["baseline"]) == {"trajectory"}
    hour_s = 3600.0
    early: dict[int, float] = {}
    late: dict[int, float] = {}
    for r in hourly.iter_rows(named=True):
        w = sum(r[column] * WEIGHTS[event] for event, column in COUNT_COLUMNS.items())
        start_s = (r["hour_start"] - now).total_seconds()  # seconds from now, negative
        mid_s = -(ages[r["content_id"]] * hour_s + 20 * 60) / 2
        late_share = min(max((start_s + hour_s - mid_s) / hour_s, 0.0), 1.0)
        late[r["content_id"]] = late.get(r["content_id"], 0.0) + w * late_share
        early[r["content_id"]] = early.get(r["content_id"], 0.0) + w * (1 - late_share)
    ctype = dict(hourly.select("content_id", "content_type").unique().iter_rows())
    age_h = {i: a + 1 / 3 for i, a in ages.items()}
    bucket = {i: (ctype[i], math.floor(2 * math.log2(a))) for i, a in age_h.items()}
    pooled: dict[tuple, list[float]] = {}
    for i, key in bucket.items():
        pooled.setdefault(key, [0.0, 0.0])
        pooled[key][0] += early[i]
        pooled[key][1] += late[i]
    expected = {}
    for i, key in bucket.items():
        ratio = (pooled[key][1] - late[i] + PRIOR_EVENTS) / (pooled[key][0] - early[i] + PRIOR_EVENTS)
        expected[i] = early[i] * (1 + ratio) / age_h[i]
    got = dict(scores.select("content_id", "baseline_velocity").iter_rows())
    assert got == pytest.approx(expected, rel=1e-9)


def test_young_item_is_judged_on_how_it_holds_up_against_peers_of_its_age() -> None:
    """Items 40 hours old (at 7d their whole life is in the window, halved 20 hours ago); their peers
    lose half their engagement from the first half of life to the second."""
    peers = [series(50 + i, [20] * 20 + [10] * 20) for i in range(8)]
    holds_up = series(60, [20] * 20 + [20] * 20)
    fades_fast = series(61, [20] * 20 + [2] * 20)
    like_peers = series(62, [30] * 20 + [15] * 20)
    scores = compute_trending(frame(*peers, holds_up, fades_fast, like_peers), NOW, {"view": 1.0})
    held, faded, typical = row(scores, 60, "7d"), row(scores, 61, "7d"), row(scores, 62, "7d")
    assert {held["baseline"], faded["baseline"], typical["baseline"]} == {"trajectory"}
    assert held["trend"] == "rising"
    assert faded["trend"] == "falling"
    assert typical["trend"] == "stable"
    assert all(row(scores, 50 + i, "7d")["trend"] == "stable" for i in range(8))
    # The held-up item's peers (everyone else) carried (1600 + 40 + 300 + a) / (3200 + 400 + 600 + a)
    # of their first half into the second; given its start of 400 it was expected to reach 400 (1 + r).
    r = (1600 + 40 + 300 + PRIOR_EVENTS) / (3200 + 400 + 600 + PRIOR_EVENTS)
    assert held["baseline_velocity"] == pytest.approx(400 * (1 + r) / 40)
    # Holding up outranks size: the typical item has more engagement in the window than the holder.
    assert held["weighted_engagement"] < typical["weighted_engagement"]
    assert held["rank"] < typical["rank"]


def test_trajectory_midpoint_shares_a_straddling_bucket_pro_rata() -> None:
    """Three hours old: the midpoint, 90 minutes ago, halves the middle bucket. Alone in its age
    bucket the item is expected to hold level (r = 1): 10 + 10 early, so 20 late; it had 30 + 10."""
    scores = compute_trending(frame(series(70, [10, 20, 30])), NOW, {"view": 1.0})
    for window in ("24h", "7d", "30d"):
        item = row(scores, 70, window)
        assert item["baseline"] == "trajectory"
        assert item["weighted_engagement"] == 60.0
        assert item["baseline_velocity"] == pytest.approx(20 * 2 / 3)
        assert item["trend"] == "rising"  # 40 against 20: ratio 45 / 25 >= 1.5, z = 20 / 5 >= 2


def test_old_item_keeps_its_own_baseline() -> None:
    """100 hours of history is more than 24h + its 72 h baseline: the item is judged against itself."""
    accelerating = series(20, [10] * 76 + [40] * 24)
    decaying = series(21, [40] * 76 + [10] * 24)
    scores = compute_trending(frame(accelerating, decaying), NOW, {"view": 1.0})
    fast, slow = row(scores, 20, "24h"), row(scores, 21, "24h")
    assert (fast["baseline"], fast["trend"], fast["baseline_velocity"]) == ("own", "rising", 10.0)
    assert (slow["baseline"], slow["trend"], slow["baseline_velocity"]) == ("own", "falling", 40.0)


def test_item_as_old_as_the_history_counts_as_old_at_30d() -> None:
    """A refresh at 12:15 reads hours from now - lookback on, so the first row is up to an hour late;
    the item still counts as older than the whole history and keeps its own 30-day baseline."""
    now = NOW + timedelta(minutes=15)
    first = now - timedelta(hours=lookback_hours())
    hours = int((NOW - first) / timedelta(hours=1))  # whole hours from the first read hour up to NOW
    rows = series(22, [2] * (hours - 720) + [6] * 720)
    assert rows[0]["hour_start"] >= first
    assert rows[0]["hour_start"] - first < timedelta(hours=1)
    scores = compute_trending(frame(rows), now, {"view": 1.0})
    month = row(scores, 22, "30d")
    assert (month["baseline"], month["trend"]) == ("own", "rising")
    assert month["baseline_velocity"] == pytest.approx(2.0, rel=0.01)


def test_own_baseline_velocity_uses_the_covered_hours_only() -> None:
    """60 hours old at 24h: 36 of the 72 baseline hours are covered, enough (>= 24) for its own baseline,
    and its baseline velocity is the engagement there over 36 hours, so a steady item is stable."""
    scores = compute_trending(frame(series(23, [10] * 60)), NOW, {"view": 1.0})
    day = row(scores, 23, "24h")
    assert (day["baseline"], day["baseline_velocity"], day["trend"]) == ("own", 10.0, "stable")


def test_thirty_hour_old_item_uses_its_trajectory_at_24h_and_its_own_baseline_at_1h() -> None:
    """First event 30 hours ago: at 24h only 6 baseline hours are covered (< 24), so it is judged on
    its trajectory against items of its age; at 1h (6 covered >= 1) and 6h (24 covered >= 6) against
    itself. All five are steady, so all are stable whatever their size: ten times the median is
    popular, not accelerating (the old rule against the peers' median called 33 rising, 34 falling)."""
    rates = {30: 10, 31: 10, 32: 10, 33: 100, 34: 1}
    scores = compute_trending(frame(*[series(i, [r] * 30) for i, r in rates.items()]), NOW, {"view": 1.0})
    for content_id in rates:
        assert row(scores, content_id, "24h")["baseline"] == "trajectory"
        assert row(scores, content_id, "1h")["baseline"] == "own"
        assert row(scores, content_id, "6h")["baseline"] == "own"
    typical = row(scores, 30, "24h")
    assert typical["baseline_velocity"] == 10.0  # 120 early, carried over in full like its peers: 240 / 24 h
    assert typical["trend"] == "stable"
    assert row(scores, 33, "24h")["trend"] == "stable"
    assert row(scores, 33, "24h")["baseline_velocity"] == 100.0
    assert row(scores, 34, "24h")["trend"] == "stable"
    assert row(scores, 33, "1h")["trend"] == "stable"  # steady against itself
    assert row(scores, 33, "1h")["baseline_velocity"] == 100.0


def test_known_creation_time_overrides_the_first_row() -> None:
    """An item created ten days ago whose first events came two hours ago has a (silent) baseline."""
    rows = series(40, [50, 50])
    born = pl.DataFrame(
        {"content_type": ["video"], "content_id": ["40"], "created_at": [NOW - timedelta(days=10)]},
        schema={"content_type": pl.String, "content_id": pl.String, "created_at": pl.Datetime("us", "UTC")},
    )
    without = row(compute_trending(frame(rows), NOW, WEIGHTS), 40, "24h")
    with_born = row(compute_trending(frame(rows), NOW, WEIGHTS, born=born), 40, "24h")
    assert without["baseline"] == "trajectory"
    assert (with_born["baseline"], with_born["baseline_velocity"], with_born["trend"]) == (
        "own",
        0.0,
        "rising",
    )


def test_results_are_deterministic_and_independent_of_row_order() -> None:
    """Off the hour (window edges cut buckets pro rata), with tied twins: same frame every time."""
    hourly, _ = young_world()
    twins = [series(1000 + i, [7] * 30) for i in range(6)]  # identical items: tied scores
    hourly = pl.concat([hourly, frame(*twins)])
    now = NOW + timedelta(minutes=17)
    reference = compute_trending(hourly, now, WEIGHTS)
    assert_frame_equal(compute_trending(hourly, now, WEIGHTS), reference)
    for seed in range(3):
        shuffled = hourly.sample(fraction=1.0, shuffle=True, seed=seed)
        assert_frame_equal(compute_trending(shuffled, now, WEIGHTS), reference)
    for window in WINDOW_HOURS:
        twin_ids = [str(1000 + i) for i in range(6)]
        ranks = reference.filter(pl.col("content_id").is_in(twin_ids), pl.col("time_window") == window).sort(
            "rank"
        )
        assert ranks["content_id"].to_list() == twin_ids  # ties go by content id
