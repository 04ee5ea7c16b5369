"""viral_predictions: the predicted count at the horizon, the item's age and observations

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03 14:40:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

COLUMNS = (
    ("predicted_count", sa.Float()),
    ("age_minutes", sa.Float()),
    ("observations", sa.Integer()),
)


def _ml_schema() -> str | None:
    """SQLite has no schemas: ALTER TABLE bypasses the engine's schema map, so name none there."""
    return None if op.get_bind().dialect.name == "sqlite" else "ml"


def upgrade() -> None:
    for name, kind in COLUMNS:
        op.add_column("viral_predictions", sa.Column(name, kind, nullable=True), schema=_ml_schema())


def downgrade() -> None:
    for name, _kind in COLUMNS:
        op.drop_column("viral_predictions", name, schema=_ml_schema())
