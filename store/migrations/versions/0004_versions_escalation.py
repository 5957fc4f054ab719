"""proposal versions and escalation

Revision ID: 0004
Revises: 0003

`revised_by` and `version_at` say who filed the current version of an action and when
(NULL: the original proposal); `council_journey` names the council an overdue proposal
was escalated to (NULL: the journey's own, inherited council) and `escalated_at` when.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("actions") as batch:
        batch.add_column(sa.Column("revised_by", sa.String(length=100), nullable=True))
        batch.add_column(sa.Column("version_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("council_journey", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("escalated_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("actions") as batch:
        batch.drop_column("escalated_at")
        batch.drop_column("council_journey")
        batch.drop_column("version_at")
        batch.drop_column("revised_by")
