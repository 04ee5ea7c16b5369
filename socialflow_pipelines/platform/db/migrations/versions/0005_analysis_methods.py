"""content_features: which model produced each row's sentiment and entities

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04 14:40:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

COLUMNS = ("sentiment_method", "entity_method")


def _ml_schema() -> str | None:
    """SQLite has no schemas: ALTER TABLE bypasses the engine's schema map, so name none there."""
    return None if op.get_bind().dialect.name == "sqlite" else "ml"


def upgrade() -> None:
    for name in COLUMNS:
        op.add_column("content_features", sa.Column(name, sa.String(96), nullable=True), schema=_ml_schema())


def downgrade() -> None:
    for name in COLUMNS:
        op.drop_column("content_features", name, schema=_ml_schema())
