"""The app tables as the generators write them: column dtypes, and frames that fit them."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import polars as pl

from socialflow_demo import vocabulary as vocab
from socialflow_demo.texts import TextKind

UTC_DATETIME = pl.Datetime("us", "UTC")
# engagement_events.event_type values; generators code them as indices into this tuple.
EVENT_TYPES = ("view", "like", "comment", "share")

# Column dtypes of the app tables in db/schema.py (engagement_events without the database's id), as
# the generators build them: id columns hold ordinals until `ids.with_backend_ids` makes them the
# backend's ids (String).
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


def to_datetime(now_epoch: float, times_s: np.ndarray) -> pl.Series:
    micros = np.round((now_epoch + times_s) * 1e6).astype(np.int64)
    return pl.Series(micros).cast(pl.Datetime("us")).dt.replace_time_zone("UTC")


def string_column(names: tuple[str, ...], codes: np.ndarray) -> pl.Series:
    """A string column from small integer codes, without a per-row Python string."""
    return pl.Series(names, dtype=pl.String).gather(pl.Series(codes, dtype=pl.UInt32))


def utc_epoch(now: datetime) -> float:
    """Seconds since the epoch; a naive `now` is taken as UTC."""
    return (now if now.tzinfo else now.replace(tzinfo=UTC)).timestamp()


def app_frame(table: str, columns: dict[str, object]) -> pl.DataFrame:
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


def truth_frame(content_type: str, ids: np.ndarray, kind: np.ndarray, topic: np.ndarray) -> pl.DataFrame:
    """What the items really are (topic, spam, toxic, hateful): `demo_ground_truth` rows."""
    topic_names = np.asarray((*vocab.TOPICS, ""))[topic]  # -1 picks the trailing "" (no topic)
    return app_frame(
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
