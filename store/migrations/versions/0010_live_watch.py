"""live watch: cached hour-of-week baselines and developing incidents

Revision ID: 0010
Revises: 0006

The watch replaces the baseline rows once a day and reads them every cycle; a developing
incident is one row per signalled series, updated in place until it resolves.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "live_baselines",
        sa.Column("series", sa.String(length=400), nullable=False),
        sa.Column("how", sa.Integer(), nullable=False),
        sa.Column("journey", sa.String(length=64), nullable=False),
        sa.Column("stage", sa.String(length=64), nullable=False),
        sa.Column("metric", sa.String(length=64), nullable=False),
        sa.Column("dim", sa.String(length=100), nullable=False),
        sa.Column("value", sa.String(length=200), nullable=False),
        sa.Column("weeks", sa.Integer(), nullable=False),
        sa.Column("den", sa.Float(), nullable=False),
        sa.Column("num", sa.Float(), nullable=False),
        sa.Column("num2", sa.Float(), nullable=False),
        sa.Column("phi", sa.Float(), nullable=False),
        sa.Column("share", sa.Float(), nullable=False),
        sa.Column("computed_for", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("series", "how"),
    )
    op.create_table(
        "developing_incidents",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("journey", sa.String(length=64), nullable=False),
        sa.Column("stage", sa.String(length=64), nullable=False),
        sa.Column("metric", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("verdict", sa.String(length=16), nullable=False),
        sa.Column("signal_dim", sa.String(length=100), nullable=False),
        sa.Column("signal_value", sa.String(length=200), nullable=False),
        sa.Column("segment", sa.JSON(), nullable=False),
        sa.Column("onset_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("alerted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("statistic", sa.Float(), nullable=False),
        sa.Column("threshold", sa.Float(), nullable=False),
        sa.Column("peak_statistic", sa.Float(), nullable=False),
        sa.Column("baseline", sa.Float(), nullable=False),
        sa.Column("current", sa.Float(), nullable=False),
        sa.Column("visits", sa.Float(), nullable=False),
        sa.Column("lost", sa.Float(), nullable=False),
        sa.Column("cycles", sa.Integer(), nullable=False),
        sa.Column("healthy_cycles", sa.Integer(), nullable=False),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.Column("breakdown_id", sa.String(length=32), nullable=True),
        sa.Column("action_ids", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_developing_incidents_series",
        "developing_incidents",
        ["journey", "stage", "metric", "status"],
    )


def downgrade() -> None:
    op.drop_index("ix_developing_incidents_series", table_name="developing_incidents")
    op.drop_table("developing_incidents")
    op.drop_table("live_baselines")
