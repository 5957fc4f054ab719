"""initial schema

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_events",
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("ts", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("subject", sa.String(length=64), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("seq"),
    )
    op.create_index(op.f("ix_audit_events_subject"), "audit_events", ["subject"], unique=False)
    op.create_table(
        "breakdowns",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("journey", sa.String(length=64), nullable=False),
        sa.Column("stage", sa.String(length=64), nullable=False),
        sa.Column("metric", sa.String(length=64), nullable=False),
        sa.Column("window_start", sa.Date(), nullable=False),
        sa.Column("window_end", sa.Date(), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("baseline", sa.Float(), nullable=False),
        sa.Column("current", sa.Float(), nullable=False),
        sa.Column("p_value", sa.Float(), nullable=False),
        sa.Column("severity", sa.String(length=16), nullable=False),
        sa.Column("impact_per_week", sa.Float(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_breakdowns_journey"), "breakdowns", ["journey"], unique=False)
    op.create_table(
        "journeys",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("parent_id", sa.String(length=64), nullable=True),
        sa.Column("owner", sa.String(length=100), nullable=True),
        sa.Column("declared", sa.Boolean(), nullable=False),
        sa.Column("stages", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["parent_id"],
            ["journeys.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "actions",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("breakdown_id", sa.String(length=32), nullable=True),
        sa.Column("journey_id", sa.String(length=64), nullable=False),
        sa.Column("playbook", sa.String(length=64), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("workflow", sa.String(length=64), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("payload_sha256", sa.String(length=64), nullable=False),
        sa.Column("expected_value_per_week", sa.Float(), nullable=False),
        sa.Column("proposed_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["breakdown_id"],
            ["breakdowns.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_actions_journey_id"), "actions", ["journey_id"], unique=False)
    op.create_index(op.f("ix_actions_status"), "actions", ["status"], unique=False)
    op.create_table(
        "council_members",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("journey_id", sa.String(length=64), nullable=False),
        sa.Column("user_name", sa.String(length=100), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["journey_id"],
            ["journeys.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("journey_id", "user_name"),
    )
    op.create_table(
        "councils",
        sa.Column("journey_id", sa.String(length=64), nullable=False),
        sa.Column("quorum", sa.Integer(), nullable=False),
        sa.Column("high_risk_playbooks", sa.JSON(), nullable=False),
        sa.Column("high_risk_quorum", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["journey_id"],
            ["journeys.id"],
        ),
        sa.PrimaryKeyConstraint("journey_id"),
    )
    op.create_table(
        "decisions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("action_id", sa.String(length=32), nullable=False),
        sa.Column("action_version", sa.Integer(), nullable=False),
        sa.Column("payload_sha256", sa.String(length=64), nullable=False),
        sa.Column("user_name", sa.String(length=100), nullable=False),
        sa.Column("decision", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["action_id"],
            ["actions.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_decisions_action_id"), "decisions", ["action_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_decisions_action_id"), table_name="decisions")
    op.drop_table("decisions")
    op.drop_table("councils")
    op.drop_table("council_members")
    op.drop_index(op.f("ix_actions_status"), table_name="actions")
    op.drop_index(op.f("ix_actions_journey_id"), table_name="actions")
    op.drop_table("actions")
    op.drop_table("journeys")
    op.drop_index(op.f("ix_breakdowns_journey"), table_name="breakdowns")
    op.drop_table("breakdowns")
    op.drop_index(op.f("ix_audit_events_subject"), table_name="audit_events")
    op.drop_table("audit_events")
