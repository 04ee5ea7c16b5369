"""A small hand-built world whose answers are known: posts from three themes over the last two
whole days, three posts with a known language and sentiment, comments, and two videos (one with
captions). User OWNER owns posts 1-3 and video 1. Shared by the content, moderation and trending
tests. Items and users are numbered here and stored as `iid(n)`."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import polars as pl
import sqlalchemy as sa

from socialflow_pipelines.platform.db import schema
from socialflow_pipelines.platform.db.engine import Database
from tests.domains.catalog.world import iid, number

NOW = datetime.now(UTC)
# Two whole days in the past, so every item is older than "now" whenever the test runs.
SECOND_DAY = NOW.replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=1)
FIRST_DAY = SECOND_DAY - timedelta(days=1)
DAY = "%Y-%m-%d"
OWNER, OTHER = 10, 11

THEMES = {
    "cooking": [
        "Baked sourdough bread this morning, the crust came out perfect",
        "My grandmother's lasagna recipe with fresh basil and ricotta",
        "Tried a new pasta carbonara recipe tonight, so creamy",
        "Slow cooked beef stew with carrots and potatoes for dinner",
        "Homemade pizza dough needs a long cold fermentation",
        "Best chocolate chip cookies: brown butter and sea salt",
        "Roasted vegetables with garlic and olive oil in the oven",
        "Simple chicken curry recipe with coconut milk and rice",
    ],
    "football": [
        "What a goal in the final minute, the stadium went wild",
        "The striker scored a hat trick in the league match tonight",
        "Our team lost the derby after a penalty in extra time",
        "The goalkeeper saved two penalties in the cup semifinal",
        "Transfer news: the club signed a new midfielder today",
        "The coach changed the formation at half time and we won",
        "Champions League draw is out, tough group for our club",
        "Football training in the rain with the youth team",
    ],
    "programming": [
        "Refactored the database layer and the tests are finally green",
        "Debugging a memory leak in our Python service all afternoon",
        "Rust compiler errors are strict but they catch real bugs",
        "Wrote a small script to parse JSON logs and plot latency",
        "Code review tip: keep pull requests small and focused",
        "Our API now returns proper error codes for bad requests",
        "Switched the build to a faster bundler, compile time halved",
        "Learning how to write unit tests for async functions",
    ],
}
# Items whose answer is known.
POSITIVE_POST = (1, "I absolutely love this new Python release, best update ever! #python #coding")
NEGATIVE_POST = (2, "This is the worst customer service I have ever had. Terrible and rude.")
SPANISH_POST = (3, "El partido de fútbol de anoche fue increíble, el Real Madrid jugó muy bien")
CAPTIONS = "WEBVTT\n\n00:00:01.000 --> 00:00:04.000\nToday Barack Obama gave a speech in Paris\n"


def hand_built_world() -> dict[str, pl.DataFrame]:
    """Posts from three themes over two days, three known posts, comments, and two videos (one
    with captions); user OWNER owns posts 1-3 and video 1."""
    posts = [
        (pid, OWNER, text, SECOND_DAY + timedelta(minutes=pid))
        for pid, text in (POSITIVE_POST, NEGATIVE_POST)
    ]
    posts.append((SPANISH_POST[0], OWNER, SPANISH_POST[1], FIRST_DAY + timedelta(hours=3)))
    texts = [text for theme in THEMES.values() for text in theme]
    for i, text in enumerate(texts):
        day = FIRST_DAY if i % 2 else SECOND_DAY
        posts.append((100 + i, OTHER, text, day + timedelta(minutes=10 + i)))
    comments = [
        (1, OTHER, "post", 1, "Totally agree, the new release is great", SECOND_DAY + timedelta(minutes=30)),
        (2, OWNER, "post", 100, "Thanks for sharing the recipe!", FIRST_DAY + timedelta(hours=5)),
        (3, OTHER, "post", 2, "ok", SECOND_DAY + timedelta(minutes=31)),
    ]
    videos = [
        (1, OWNER, "Weekend vlog", "A walk around the city", 61.0, None, FIRST_DAY + timedelta(hours=6)),
        (2, OTHER, "Football skills tutorial", "Learn three dribbling moves", 300.0, None, SECOND_DAY),
    ]
    utc = pl.Datetime("us", "UTC")
    return {
        "posts": pl.DataFrame(
            posts,
            schema={"id": pl.Int64, "user_id": pl.Int64, "text": pl.String, "created_at": utc},
            orient="row",
        ),
        "comments": pl.DataFrame(
            comments,
            schema={
                "id": pl.Int64,
                "user_id": pl.Int64,
                "parent_type": pl.String,
                "parent_id": pl.Int64,
                "text": pl.String,
                "created_at": utc,
            },
            orient="row",
        ),
        "videos": pl.DataFrame(
            videos,
            schema={
                "id": pl.Int64,
                "user_id": pl.Int64,
                "title": pl.String,
                "description": pl.String,
                "duration_s": pl.Float64,
                "media_path": pl.String,
                "created_at": utc,
            },
            orient="row",
        ),
        "captions": pl.DataFrame(
            [(1, "en", CAPTIONS, "whisper-test", NOW)],
            schema={"video_id": pl.Int64, "language": pl.String, "webvtt": pl.String, "model": pl.String,
                    "created_at": utc},
            orient="row",
        ),
    }  # fmt: skip


ID_COLUMNS = ("id", "user_id", "parent_id", "video_id")


def seed(db: Database) -> int:
    """Writes the world, item and user n as `iid(n)`; returns how many items it holds."""
    world = hand_built_world()
    with db.begin() as conn:
        for name, frame in world.items():
            stored = frame.with_columns(
                pl.col(c).map_elements(iid, return_dtype=pl.String) for c in ID_COLUMNS if c in frame.columns
            )
            db.insert(schema.metadata.tables[f"ml.{name}" if name == "captions" else name], stored, conn)
    return sum(world[name].height for name in ("posts", "comments", "videos"))


def rows(db: Database, table: sa.Table) -> dict[tuple[str, int], dict]:
    """A result table's rows by item key (content_type, n)."""
    with db.engine.connect() as conn:
        found = [dict(r._mapping) for r in conn.execute(sa.select(table))]
    return {(r["content_type"], number(r["content_id"])): r for r in found}


def decoded(value):
    """A JSON column's value (SQLite hands back text, Postgres decoded JSON)."""
    return json.loads(value) if isinstance(value, str) else value
