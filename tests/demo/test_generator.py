"""The synthetic Social Flow: its tables fit the schema and it behaves like a social network."""

from __future__ import annotations

import json
import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import numpy as np
import polars as pl
import pytest
import scipy.sparse as sp
from scipy.sparse.linalg import svds

from socialflow_demo import SCHEMAS, LiveGenerator, WorldConfig, generate_world
from socialflow_demo import vocabulary as vocab
from socialflow_demo.ids import demo_id, demo_ordinal
from socialflow_demo.population import Population, streams
from socialflow_pipelines.platform.db import schema

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
# The natural rates, and the generator's ordinals as ids: the behaviour tests index by them.
CONFIG = WorldConfig(users=1500, days=7, seed=3, min_planted=0, id_type=None)
CONTENT_TABLES = {"video": "videos", "post": "posts", "comment": "comments"}


@pytest.fixture(scope="module")
def world() -> dict[str, pl.DataFrame]:
    return generate_world(CONFIG, now=NOW)


@pytest.fixture(scope="module")
def views(world: dict[str, pl.DataFrame]) -> pl.DataFrame:
    return world["engagement_events"].filter(pl.col("event_type") == "view")


def _with_truth(world: dict[str, pl.DataFrame]) -> pl.DataFrame:
    """Every video, post and comment with its text and its true labels."""
    texts = pl.concat(
        [
            world["videos"].select(
                pl.lit("video").alias("content_type"), pl.col("id"), pl.col("title").alias("text")
            ),
            world["posts"].select(pl.lit("post").alias("content_type"), "id", "text"),
            world["comments"].select(pl.lit("comment").alias("content_type"), "id", "text"),
        ]
    ).rename({"id": "content_id"})
    return texts.join(
        world["demo_ground_truth"], on=["content_type", "content_id"], how="full", coalesce=True
    )


def test_tables_have_exactly_the_schema_columns_and_utc_datetimes(world: dict[str, pl.DataFrame]) -> None:
    assert set(world) == set(SCHEMAS)
    for name, frame in world.items():
        expected = [
            c.name
            for c in schema.metadata.tables[name].columns
            if not (name == "engagement_events" and c.name == "id")
        ]
        assert frame.columns == expected, name
        assert frame.height > 0, name
        for column, dtype in frame.schema.items():
            if isinstance(dtype, pl.Datetime):
                assert dtype.time_zone == "UTC", (name, column)
        for column in frame.columns:
            if not schema.metadata.tables[name].columns[column].nullable:
                assert frame[column].null_count() == 0, (name, column)


def test_moderation_columns_are_left_for_the_pipeline(world: dict[str, pl.DataFrame]) -> None:
    for name, columns in {
        "videos": ("moderation_status", "moderation_flags", "moderated_at"),
        "posts": ("is_flagged", "flag_reason", "moderated_at"),
        "comments": ("is_flagged", "flag_reason", "moderated_at"),
    }.items():
        for column in columns:
            assert world[name][column].null_count() == world[name].height, (name, column)


def test_ids_start_at_one_and_every_reference_resolves(world: dict[str, pl.DataFrame]) -> None:
    for name in ("users", "videos", "posts", "comments", "moderation_reviews"):
        assert world[name]["id"].sort().to_list() == list(range(1, world[name].height + 1)), name
    users = world["users"]["id"]
    for name, column in [
        ("follows", "follower_id"),
        ("follows", "followee_id"),
        ("videos", "user_id"),
        ("posts", "user_id"),
        ("comments", "user_id"),
        ("engagement_events", "user_id"),
    ]:
        assert world[name][column].is_in(users).all(), (name, column)
    follows = world["follows"]
    assert (follows["follower_id"] != follows["followee_id"]).all()
    assert follows.select("follower_id", "followee_id").is_unique().all()
    for content_type, table in CONTENT_TABLES.items():
        ids = world[table]["id"]
        for name, type_column, id_column in [
            ("engagement_events", "content_type", "content_id"),
            ("comments", "parent_type", "parent_id"),
            ("moderation_reviews", "content_type", "content_id"),
            ("demo_ground_truth", "content_type", "content_id"),
        ]:
            refs = world[name].filter(pl.col(type_column) == content_type)[id_column]
            assert refs.is_in(ids).all(), (name, content_type)
    truth_keys = world["demo_ground_truth"].select("content_type", "content_id")
    assert truth_keys.is_unique().all()
    assert truth_keys.height == sum(world[t].height for t in CONTENT_TABLES.values())


def test_every_comment_is_also_a_comment_event(world: dict[str, pl.DataFrame]) -> None:
    keys = ["user_id", "content_type", "content_id", "created_at"]
    comments = world["comments"].select(
        "user_id",
        pl.col("parent_type").alias("content_type"),
        pl.col("parent_id").alias("content_id"),
        "created_at",
    )
    events = world["engagement_events"].filter(pl.col("event_type") == "comment").select(keys)
    assert comments.sort(keys).equals(events.sort(keys))


def test_progress_reports_every_stage() -> None:
    calls: list[tuple[str, int, int]] = []
    generate_world(WorldConfig(users=100, days=1), now=NOW, progress=lambda *call: calls.append(call))
    assert [step for _, step, _ in calls] == list(range(1, 7))
    assert all(total == 6 for _, _, total in calls)


def test_everything_happens_in_the_window_before_now(world: dict[str, pl.DataFrame]) -> None:
    start = NOW - timedelta(days=CONFIG.days)
    for name in ("videos", "posts", "comments", "engagement_events", "moderation_reviews"):
        created = world[name]["created_at"]
        assert created.min() >= start and created.max() <= NOW, name
    events = world["engagement_events"]
    assert set(events["event_type"].unique()) == set(schema.EVENT_TYPES)
    assert set(events["content_type"].unique()) == {"video", "post"}
    item_created = pl.concat(
        world[table].select(pl.lit(ct).alias("content_type"), pl.col("id").alias("content_id"), "created_at")
        for ct, table in (("video", "videos"), ("post", "posts"))
    )
    joined = events.join(item_created, on=["content_type", "content_id"], suffix="_item")
    assert (joined["created_at"] >= joined["created_at_item"]).all()


def test_same_seed_same_world_other_seed_other_world(world: dict[str, pl.DataFrame]) -> None:
    again = generate_world(CONFIG, now=NOW)
    for name in world:
        assert again[name].equals(world[name]), name
    other = generate_world(WorldConfig(users=CONFIG.users, days=CONFIG.days, seed=CONFIG.seed + 1), now=NOW)
    assert not other["posts"].equals(world["posts"])


def test_sizes_scale_with_users() -> None:
    small = generate_world(WorldConfig(users=300, days=2), now=NOW)
    large = generate_world(WorldConfig(users=1200, days=2), now=NOW)
    for name in ("follows", "posts", "engagement_events"):
        assert 2.5 < large[name].height / small[name].height < 6, name


def test_follower_counts_are_heavy_tailed(world: dict[str, pl.DataFrame]) -> None:
    followers = world["follows"].group_by("followee_id").len()["len"].to_numpy()
    counts = np.sort(np.concatenate([followers, np.zeros(CONFIG.users - len(followers))]))[::-1]
    top_share = counts[: CONFIG.users // 100].sum() / counts.sum()
    assert top_share > 0.2  # the top 1% hold over a fifth of all follows; an even graph gives ~2%
    assert counts.max() > 20 * np.median(counts)


def test_engagement_on_an_item_grows_with_its_creators_reach(
    world: dict[str, pl.DataFrame], views: pl.DataFrame
) -> None:
    followers = (
        world["follows"].group_by("followee_id").len().rename({"followee_id": "user_id", "len": "followers"})
    )
    per_post = (
        world["posts"]
        .join(
            views.filter(pl.col("content_type") == "post").group_by("content_id").len(),
            left_on="id",
            right_on="content_id",
            how="left",
        )
        .join(followers, on="user_id", how="left")
        .fill_null(0)
    )
    reach = per_post["followers"].to_numpy()
    count = per_post["len"].to_numpy()
    top = reach >= np.quantile(reach, 0.95)
    bottom = reach <= np.quantile(reach, 0.5)
    assert np.median(count[top]) > 3 * np.median(count[bottom])


def test_engagement_has_daily_seasonality(views: pl.DataFrame) -> None:
    per_hour = views.group_by(pl.col("created_at").dt.hour()).len()["len"].to_numpy()
    assert len(per_hour) == 24
    assert per_hour.max() > 3 * per_hour.min()
    by_hour = dict(views.group_by(pl.col("created_at").dt.hour().alias("hour")).len().iter_rows())
    assert by_hour[20] > 2 * by_hour[3]  # busy evening, quiet night (UTC)


def test_views_dominate_and_attention_decays(world: dict[str, pl.DataFrame], views: pl.DataFrame) -> None:
    counts = dict(world["engagement_events"]["event_type"].value_counts().iter_rows())
    assert counts["view"] > 5 * counts["like"] > 5 * counts["comment"] and counts["comment"] > counts["share"]
    posts = world["posts"].filter(pl.col("created_at") < NOW - timedelta(days=3))
    ages = (
        views.filter(pl.col("content_type") == "post")
        .join(posts, left_on="content_id", right_on="id", suffix="_post")
        .select((pl.col("created_at") - pl.col("created_at_post")).dt.total_hours().alias("age_h"))["age_h"]
    )
    assert (ages < 24).sum() > 2 * ((ages >= 24) & (ages < 72)).sum()


def test_users_engage_with_their_planted_interests(
    world: dict[str, pl.DataFrame], views: pl.DataFrame
) -> None:
    people = Population.build(CONFIG, streams(CONFIG.seed)[0])
    topic_index = {t: i for i, t in enumerate(vocab.TOPICS)}
    topics = world["demo_ground_truth"].select(
        "content_type",
        "content_id",
        pl.col("topic").replace_strict(topic_index, default=None, return_dtype=pl.Int64),
    )
    seen = views.join(topics, on=["content_type", "content_id"]).drop_nulls("topic")
    user = seen["user_id"].to_numpy() - 1
    in_top_topic = seen["topic"].to_numpy() == people.main_topic[user]
    chance = np.bincount(people.main_topic[user], minlength=12) @ np.bincount(
        seen["topic"].to_numpy(), minlength=12
    )
    chance /= len(seen) ** 2
    assert in_top_topic.mean() > 3 * chance


def test_a_collaborative_model_beats_popularity_on_held_out_engagement(
    world: dict[str, pl.DataFrame],
) -> None:
    pairs = (
        world["engagement_events"]
        .with_columns(item=pl.struct("content_type", "content_id").rank("dense").cast(pl.Int64) - 1)
        .select(pl.col("user_id") - 1, "item")
        .unique()
    )
    held_out = np.random.default_rng(0).random(pairs.height) < 0.2
    shape = (CONFIG.users, int(pairs["item"].max()) + 1)

    def matrix(rows: pl.DataFrame) -> sp.csr_matrix:
        return sp.csr_matrix((np.ones(rows.height), (rows["user_id"], rows["item"])), shape=shape)

    train, test = matrix(pairs.filter(~held_out)), matrix(pairs.filter(held_out))
    left, singular, right = svds(train, k=12, random_state=0)
    collaborative = (left * singular) @ right
    popularity = np.tile(np.asarray(train.sum(axis=0)).ravel(), (CONFIG.users, 1))

    def precision_at_10(scores: np.ndarray) -> float:
        scores = np.where(train.toarray() > 0, -np.inf, scores)
        top = np.argpartition(-scores, 10, axis=1)[:, :10]
        users = np.flatnonzero(test.getnnz(axis=1) > 0)
        return float(np.mean([test[u, top[u]].sum() / 10 for u in users]))

    assert precision_at_10(collaborative) > 1.4 * precision_at_10(popularity)


def test_a_small_world_still_plants_enough_of_every_label_to_train_on() -> None:
    small = WorldConfig(users=200, days=3)
    items = _with_truth(generate_world(small, now=NOW))
    for column in ("is_spam", "is_hate"):
        assert items[column].sum() >= small.min_planted, column
    assert (items["is_toxic"] & ~items["is_hate"]).sum() >= small.min_planted


def test_spam_and_toxicity_shares_and_their_texts(world: dict[str, pl.DataFrame]) -> None:
    items = _with_truth(world)
    assert 0.03 <= items["is_spam"].mean() <= 0.05
    assert 0.03 <= items["is_toxic"].mean() <= 0.07
    assert 0.003 <= items["is_hate"].mean() < items["is_toxic"].mean() / 2
    assert not (items["is_spam"] & items["is_toxic"]).any()
    assert (items["is_toxic"] | ~items["is_hate"]).all()
    spam = items.filter("is_spam")["text"]
    assert spam.str.contains(r"(?i)https?://|bitcoin|crypto|follow|gratis|free|\$").mean() > 0.8
    assert spam.n_unique() > 0.9 * len(spam)  # composed, not one template repeated
    toxic = items.filter(pl.col("is_toxic") & ~pl.col("is_hate"))["text"]
    assert toxic.n_unique() > 0.9 * len(toxic)
    clean = items.filter(~pl.col("is_spam") & ~pl.col("is_toxic"))
    assert clean["topic"].null_count() == 0 and set(clean["topic"]) == set(vocab.TOPICS)
    assert clean["text"].str.contains("#").mean() > 0.2  # hashtags for content analysis


def test_truth_lives_only_in_its_own_table(world: dict[str, pl.DataFrame]) -> None:
    label_columns = {"is_spam", "is_toxic", "is_hate", "topic"}
    for name, frame in world.items():
        if name != "demo_ground_truth":
            assert not label_columns & set(frame.columns), name


def test_several_languages_follow_their_authors(world: dict[str, pl.DataFrame]) -> None:
    assert set(world["users"]["language"]) == set(vocab.LANGUAGES)
    assert (world["users"]["language"] == "en").mean() > 0.4
    clean_posts = (
        world["posts"]
        .join(
            world["demo_ground_truth"].filter(pl.col("content_type") == "post"),
            left_on="id",
            right_on="content_id",
        )
        .filter(~pl.col("is_spam") & ~pl.col("is_toxic"))
        .join(world["users"].select(pl.col("id").alias("user_id"), "language"), on="user_id")
    )
    for language in vocab.LANGUAGES:
        phrases = [p for mood in vocab.OPINIONS[language].values() for p in mood]
        # Small talk carries no opinion: the phrases of the author's language are checked on the rest.
        chatter = [p for lang in vocab.LANGUAGES for p in vocab.EVERYDAY_CHATTER[lang]]
        own = clean_posts.filter(pl.col("language") == language)["text"]
        own = own.filter(~own.str.contains_any(chatter))
        assert own.str.contains_any(phrases).mean() > 0.95, language


def test_reviews_sample_items_enriched_for_suspicious_ones(world: dict[str, pl.DataFrame]) -> None:
    reviews = world["moderation_reviews"]
    assert set(reviews["decision"].unique()) <= set(schema.DECISIONS)
    labels = [json.loads(text) for text in reviews["labels"]]
    assert all(set(label) == {"spam", "toxicity", "hate_speech"} for label in labels)
    reviewed = reviews.with_columns(
        spam_label=pl.Series([label["spam"] for label in labels]),
        toxic_label=pl.Series([label["toxicity"] for label in labels]),
    ).join(world["demo_ground_truth"], on=["content_type", "content_id"])
    assert (reviewed["spam_label"] == reviewed["is_spam"]).mean() > 0.95
    assert (reviewed["toxic_label"] == reviewed["is_toxic"]).mean() > 0.95
    assert reviewed.filter("spam_label")["decision"].eq("rejected").all()
    admins = world["users"].filter("is_admin")["id"]
    assert reviews["reviewer_id"].is_in(admins).all()

    truth = world["demo_ground_truth"].filter(pl.col("content_type") != "video")
    is_reviewed = truth.join(reviews, on=["content_type", "content_id"], how="left")["id"].is_not_null()
    assert 0.18 <= is_reviewed.mean() <= 0.32
    suspicious = (truth["is_spam"] | truth["is_toxic"]).to_numpy()
    assert is_reviewed.to_numpy()[suspicious].mean() > 2 * is_reviewed.to_numpy()[~suspicious].mean()


def test_viral_items_burst_and_some_are_rising_at_now(views: pl.DataFrame) -> None:
    hourly = views.group_by("content_type", "content_id", pl.col("created_at").dt.truncate("1h")).len()
    peaks = hourly.group_by("content_type", "content_id").agg(pl.col("len").max())["len"]
    assert peaks.max() > 40 * peaks.median()

    def views_between(hours_ago_from: float, hours_ago_to: float) -> pl.DataFrame:
        window = pl.col("created_at").is_between(
            NOW - timedelta(hours=hours_ago_from), NOW - timedelta(hours=hours_ago_to), closed="right"
        )
        return views.filter(window).group_by("content_type", "content_id").len()

    last_hour = views_between(1, 0).rename({"len": "last"})
    before = views_between(4, 1).rename({"len": "before"})
    top_now = (
        last_hour.sort("last", descending=True)
        .head(5)
        .join(before, on=["content_type", "content_id"], how="left")
    )
    rising = top_now.fill_null(0).filter(pl.col("last") > 2 * pl.col("before") / 3)
    assert rising.height >= 1


def test_live_generator_continues_ids_and_references(world: dict[str, pl.DataFrame]) -> None:
    start_ids = {t: int(world[t]["id"].max()) + 1 for t in ("videos", "posts", "comments")}
    live = LiveGenerator(CONFIG, start_ids, rng_seed=11)
    batches = []
    now = NOW
    for _ in range(5):
        now += timedelta(seconds=60)
        batches.append(live.next_batch(now, 60.0, rate=1.5))
    merged = {name: pl.concat([b[name] for b in batches]) for name in batches[0]}
    assert set(merged) == {"videos", "posts", "comments", "engagement_events", "demo_ground_truth"}
    for name, frame in merged.items():
        assert dict(frame.schema) == SCHEMAS[name], name
    all_ids: dict[str, pl.Series] = {}
    for table, first in start_ids.items():
        ids = merged[table]["id"]
        assert ids.to_list() == list(range(first, first + len(ids))), table  # contiguous, no collision
        all_ids[table] = pl.concat([world[table]["id"], ids])
    assert 60 < sum(merged[t].height for t in start_ids) < 900  # ~1.5 items a second over 300 s
    for content_type, table in CONTENT_TABLES.items():
        events = merged["engagement_events"].filter(pl.col("content_type") == content_type)
        assert events["content_id"].is_in(all_ids[table]).all()
        parents = merged["comments"].filter(pl.col("parent_type") == content_type)["parent_id"]
        assert parents.is_in(all_ids[table]).all()
    events = merged["engagement_events"]
    assert events["created_at"].min() > NOW and events["created_at"].max() <= now
    assert events["user_id"].is_in(world["users"]["id"]).all()
    assert merged["demo_ground_truth"].height == sum(merged[t].height for t in start_ids)


def test_config_rejects_a_world_too_small_to_mean_anything() -> None:
    with pytest.raises(ValueError, match="users"):
        WorldConfig(users=10)


def test_the_tables_carry_uuids_like_the_seed_and_every_reference_still_resolves() -> None:
    config = WorldConfig(users=80, days=2, seed=5)
    world = generate_world(config, now=NOW)
    ordinals = generate_world(replace(config, id_type=None), now=NOW)
    posts = world["posts"]
    assert posts["id"].dtype == pl.String and posts["id"][0] == demo_id(
        "post", int(ordinals["posts"]["id"][0])
    )
    assert [str(uuid.UUID(i)) for i in posts["id"].head(3)] == posts["id"].head(3).to_list()
    assert demo_ordinal(posts["id"][0]) == ordinals["posts"]["id"][0]
    users = set(world["users"]["id"])
    assert set(world["engagement_events"]["user_id"]) <= users
    comments_on_posts = world["comments"].filter(pl.col("parent_type") == "post")["parent_id"]
    assert comments_on_posts.is_in(posts["id"]).all()
    assert demo_id("video", 1) != demo_id("post", 1) and demo_id("post", 7, "integer") == "7"
