"""The demo's backend ids: generators count items from 1 (ordinals, for numpy indexing) and the
tables they hand out carry ids of the database's kind, UUIDs by default like the seed's backend.

A demo UUID is `{kind prefix}-0000-4000-8000-{ordinal, 12 decimal digits}`: a valid version-4
UUID, distinct across kinds, readable (`demo_id("post", 42)` ends in `000000000042`), and in text
order (Postgres' uuid order too) the ordinal order, so a live generator can find where a kind's
ordinals end. In an integer deployment the id is the ordinal's digits.
"""

from __future__ import annotations

import re

import numpy as np
import polars as pl

from socialflow_pipelines.platform.ids import IdType

KIND_PREFIX = {"user": "00000001", "video": "00000002", "post": "00000003", "comment": "00000004"}
MAX_ORDINAL = 10**12 - 1  # 12 decimal digits
_MIDDLE = "-0000-4000-8000-"
_DEMO_UUID = re.compile(r"([0-9a-f]{8})-0000-4000-8000-([0-9]{12})")

# Per table, the columns holding backend ids: their kind, or "@column" for the column that names
# the content type of each row.
ID_COLUMNS: dict[str, dict[str, str]] = {
    "users": {"id": "user"},
    "follows": {"follower_id": "user", "followee_id": "user"},
    "videos": {"id": "video", "user_id": "user"},
    "posts": {"id": "post", "user_id": "user"},
    "comments": {"id": "comment", "user_id": "user", "parent_id": "@parent_type"},
    "engagement_events": {"user_id": "user", "content_id": "@content_type"},
    "moderation_reviews": {"content_id": "@content_type", "reviewer_id": "user"},
    "demo_ground_truth": {"content_id": "@content_type"},
}


def demo_id(kind: str, n: int, id_type: IdType = "uuid") -> str:
    """The id of the `n`-th user, video, post or comment (`kind`)."""
    if not 0 <= n <= MAX_ORDINAL:
        raise ValueError(f"demo ordinal {n} is outside 0..{MAX_ORDINAL}")
    if id_type == "integer":
        return str(n)
    return f"{KIND_PREFIX[kind]}{_MIDDLE}{n:012d}"


def demo_ids(kind: str, ordinals: np.ndarray, id_type: IdType = "uuid") -> pl.Series:
    """`demo_id` of every ordinal, as a String series (vectorised: no Python string per row)."""
    values = np.asarray(ordinals, dtype=np.int64)
    if len(values) and (values.min() < 0 or values.max() > MAX_ORDINAL):
        raise ValueError(f"demo ordinals must lie in 0..{MAX_ORDINAL}")
    frame = pl.DataFrame({"id": values})
    return frame.select(_id_expr(pl.col("id"), pl.lit(KIND_PREFIX[kind]), id_type).alias("id")).to_series()


def demo_ordinal(backend_id: str, id_type: IdType = "uuid") -> int:
    """The ordinal a demo id was made from (`demo_id`'s inverse); ValueError for an id the demo
    did not make (a random UUID the backend wrote)."""
    if id_type == "integer":
        return int(backend_id)
    match = _DEMO_UUID.fullmatch(backend_id)
    if match is None or match[1] not in KIND_PREFIX.values():
        raise ValueError(f"{backend_id!r} is not a demo id")
    return int(match[2])


def demo_id_range(kind: str, id_type: IdType = "uuid") -> tuple[str, str]:
    """The smallest and largest demo id of `kind`: every demo id of it lies between them."""
    return demo_id(kind, 0, id_type), demo_id(kind, MAX_ORDINAL, id_type)


def _id_expr(ordinal: pl.Expr, prefix: pl.Expr, id_type: IdType) -> pl.Expr:
    digits = ordinal.cast(pl.String)
    if id_type == "integer":
        return digits
    return pl.concat_str([prefix, pl.lit(_MIDDLE), digits.str.zfill(12)])


def _column_expr(column: str, kind: str, id_type: IdType) -> pl.Expr:
    prefix = (
        pl.col(kind[1:]).cast(pl.String).replace_strict(KIND_PREFIX, return_dtype=pl.String)
        if kind.startswith("@")
        else pl.lit(KIND_PREFIX[kind])
    )
    return _id_expr(pl.col(column), prefix, id_type).alias(column)


def with_backend_ids(table: str, frame: pl.DataFrame, id_type: IdType | None) -> pl.DataFrame:
    """`frame` of `table` with its ordinal id columns replaced by backend ids (String); None
    leaves the ordinals."""
    if id_type is None:
        return frame
    columns = {c: kind for c, kind in ID_COLUMNS.get(table, {}).items() if c in frame.columns}
    return frame.with_columns(_column_expr(c, kind, id_type) for c, kind in columns.items())


def world_with_backend_ids(world: dict[str, pl.DataFrame], id_type: IdType | None) -> dict[str, pl.DataFrame]:
    """Every table of `world` with backend ids (`with_backend_ids`)."""
    return {name: with_backend_ids(name, frame, id_type) for name, frame in world.items()}
