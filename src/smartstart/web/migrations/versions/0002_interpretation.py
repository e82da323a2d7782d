"""The project team's interpretation beside a bundle's findings (the dashboard's duiding).

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "interpretation",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("bundle", sa.String(64), nullable=False),
        sa.Column("finding", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("text", sa.String(2000), nullable=False),
        sa.Column("author", sa.String(80), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False))
    op.create_index("ix_interpretation_bundle", "interpretation", ["bundle"])


def downgrade() -> None:
    op.drop_index("ix_interpretation_bundle", table_name="interpretation")
    op.drop_table("interpretation")
