"""Backend ids as the deployment's kind: UUID (the seed's backend; Postgres uuid, SQLite text) or
integer (BIGINT, unchanged)

The kind comes from `SOCIALFLOW_ID_TYPE` (passed by `socialflow migrate`), default uuid. Existing
integer ids n become the UUID whose 128-bit value is n (00000000-0000-0000-0000-00000000002a for
42), so a database migrated with data keeps every relation, and the downgrade maps them back.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02 19:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context, op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

# Every column holding an id the backend owns; (schema, table) -> columns.
BACKEND_ID_COLUMNS: dict[tuple[str | None, str], tuple[str, ...]] = {
    (None, "users"): ("id",),
    (None, "follows"): ("follower_id", "followee_id"),
    (None, "videos"): ("id", "user_id"),
    (None, "posts"): ("id", "user_id"),
    (None, "comments"): ("id", "user_id", "parent_id"),
    (None, "engagement_events"): ("user_id", "content_id"),
    (None, "moderation_reviews"): ("content_id", "reviewer_id"),
    (None, "demo_ground_truth"): ("content_id",),
    ("ml", "moderation_results"): ("content_id",),
    ("ml", "content_features"): ("content_id",),
    ("ml", "content_embeddings"): ("content_id",),
    ("ml", "engagement_hourly"): ("content_id",),
    ("ml", "trending_scores"): ("content_id",),
    ("ml", "viral_predictions"): ("content_id",),
    ("ml", "recommendations"): ("user_id", "item_id"),
    ("ml", "captions"): ("video_id",),
    ("ml", "thumbnails"): ("video_id",),
}


def _wanted_kind() -> str:
    kind = context.config.attributes.get("id_type", "uuid")
    if kind not in ("uuid", "integer"):
        raise ValueError(f"SOCIALFLOW_ID_TYPE must be uuid or integer, not {kind!r}")
    return kind


def _convert(to_uuid: bool) -> None:
    bind = op.get_bind()
    for (schema, table), columns in BACKEND_ID_COLUMNS.items():
        if bind.dialect.name == "postgresql":
            name = f'"{schema}"."{table}"' if schema else f'"{table}"'
            for column in columns:
                using = (
                    f"lpad(to_hex({column}), 32, '0')::uuid"
                    if to_uuid
                    else f"('x' || right(replace({column}::text, '-', ''), 16))::bit(64)::bigint"
                )
                target = "uuid" if to_uuid else "bigint"
                op.execute(f'ALTER TABLE {name} ALTER COLUMN "{column}" TYPE {target} USING {using}')
            continue
        # SQLite: rebuild each table with text (or integer) columns, and rewrite the values.
        with op.batch_alter_table(table) as batch:
            for column in columns:
                batch.alter_column(
                    column,
                    type_=sa.String(36) if to_uuid else sa.Integer(),
                    existing_type=sa.Integer() if to_uuid else sa.String(36),
                )
        for column in columns:
            if to_uuid:
                hex_value = f"printf('%032x', {column})"
                formatted = (
                    f"substr({hex_value}, 1, 8) || '-' || substr({hex_value}, 9, 4) || '-' || "
                    f"substr({hex_value}, 13, 4) || '-' || substr({hex_value}, 17, 4) || '-' || "
                    f"substr({hex_value}, 21, 12)"
                )
                op.execute(
                    f'UPDATE "{table}" SET "{column}" = {formatted} WHERE instr("{column}", \'-\') = 0'
                )


def upgrade() -> None:
    if _wanted_kind() == "uuid":
        _convert(to_uuid=True)


def downgrade() -> None:
    bind = op.get_bind()
    found = sa.inspect(bind).get_columns("users")
    is_uuid = any(c["name"] == "id" and not isinstance(c["type"], sa.Integer) for c in found)
    if is_uuid and bind.dialect.name == "postgresql":
        _convert(to_uuid=False)
    elif is_uuid:
        raise NotImplementedError("downgrading UUID ids on SQLite is not supported: restore a backup")
