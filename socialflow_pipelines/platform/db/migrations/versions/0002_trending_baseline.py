"""trending_scores.baseline: which baseline an item was judged against (own / trajectory)

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02 06:45:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def _ml_schema() -> str | None:
    """SQLite has no schemas: ALTER TABLE bypasses the engine's schema map, so name none there."""
    return None if op.get_bind().dialect.name == "sqlite" else "ml"


def upgrade() -> None:
    op.add_column(
        "trending_scores", sa.Column("baseline", sa.String(length=16), nullable=True), schema=_ml_schema()
    )


def downgrade() -> None:
    op.drop_column("trending_scores", "baseline", schema=_ml_schema())
