"""The first tables: workshop, organisation, respondent, answer, login, setting.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "workshop",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("code", sa.String(16), nullable=False, unique=True),
        sa.Column("title", sa.String(120), nullable=False),
        sa.Column("lang", sa.String(2), nullable=False),
        sa.Column("is_open", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("closed_at", sa.DateTime(), nullable=True))
    op.create_table(
        "organisation",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("workshop_id", sa.Integer(), sa.ForeignKey("workshop.id"), nullable=False),
        sa.Column("name", sa.String(80), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.UniqueConstraint("workshop_id", "name"))
    op.create_index("ix_organisation_workshop_id", "organisation", ["workshop_id"])
    op.create_table(
        "respondent",
        sa.Column("id", sa.String(43), primary_key=True),
        sa.Column("workshop_id", sa.Integer(), sa.ForeignKey("workshop.id"), nullable=False),
        sa.Column("organisation_id", sa.Integer(), sa.ForeignKey("organisation.id"),
                  nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False))
    op.create_index("ix_respondent_workshop_id", "respondent", ["workshop_id"])
    op.create_table(
        "answer",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("workshop_id", sa.Integer(), sa.ForeignKey("workshop.id"), nullable=False),
        sa.Column("respondent_id", sa.String(43), sa.ForeignKey("respondent.id"),
                  nullable=False),
        sa.Column("item_id", sa.String(40), nullable=False),
        sa.Column("level", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("respondent_id", "item_id", name="uq_answer_item"))
    op.create_index("ix_answer_workshop", "answer", ["workshop_id"])
    op.create_table(
        "login",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column("expires_at", sa.DateTime(), nullable=False))
    op.create_table(
        "setting",
        sa.Column("key", sa.String(40), primary_key=True),
        sa.Column("value", sa.String(400), nullable=False))


def downgrade() -> None:
    for table in ("setting", "login", "answer", "respondent", "organisation", "workshop"):
        op.drop_table(table)
