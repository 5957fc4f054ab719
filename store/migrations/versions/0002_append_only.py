"""append-only decisions and audit events

Revision ID: 0002
Revises: 0001

One decision per user and action version, enforced by a unique index so that two
concurrent clicks cannot both count; triggers refuse UPDATE and DELETE on decisions and
audit events, so only someone who drops them can rewrite history (the hash chain then
shows it).
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_TABLES = ("decisions", "audit_events")


def upgrade() -> None:
    op.create_index(
        "uq_decisions_user_per_version",
        "decisions",
        ["action_id", "action_version", "user_name"],
        unique=True,
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION journeyops_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
            "BEGIN RAISE EXCEPTION '% is append-only', TG_TABLE_NAME; END $$"
        )
        for table in _TABLES:
            op.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION journeyops_append_only()"
            )
    elif op.get_bind().dialect.name == "sqlite":
        for table in _TABLES:
            for verb in ("UPDATE", "DELETE"):
                op.execute(
                    f"CREATE TRIGGER {table}_no_{verb.lower()} BEFORE {verb} ON {table} "
                    f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END"
                )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in _TABLES:
            op.execute(f"DROP TRIGGER {table}_append_only ON {table}")
        op.execute("DROP FUNCTION journeyops_append_only()")
    elif op.get_bind().dialect.name == "sqlite":
        for table in _TABLES:
            for verb in ("update", "delete"):
                op.execute(f"DROP TRIGGER {table}_no_{verb}")
    op.drop_index("uq_decisions_user_per_version", table_name="decisions")
