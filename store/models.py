"""SQLAlchemy models of the governance store: the source of truth for actions.

Decisions and audit events are append-only; actions carry the hash of the exact payload a
workflow will receive, and approvals are bound to that hash.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from store.states import ActionStatus, DeliveryStatus, StatusColumn


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Store UTC; always return timezone-aware datetimes, on SQLite too."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: pass a timezone-aware value")
        return value.astimezone(dt.UTC)

    def process_result_value(
        self, value: dt.datetime | None, dialect: Dialect
    ) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


class Base(DeclarativeBase):
    """The governance store's metadata (the migrations must produce exactly this)."""


class Journey(Base):
    """A journey; `declared` is False when it was only inferred from events."""

    __tablename__ = "journeys"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    parent_id: Mapped[str | None] = mapped_column(String(64), ForeignKey("journeys.id"))
    owner: Mapped[str | None] = mapped_column(String(100))
    declared: Mapped[bool] = mapped_column(Boolean, default=True)
    stages: Mapped[list[str]] = mapped_column(JSON, default=list)


class Council(Base):
    __tablename__ = "councils"

    journey_id: Mapped[str] = mapped_column(ForeignKey("journeys.id"), primary_key=True)
    quorum: Mapped[int] = mapped_column(Integer)
    high_risk_playbooks: Mapped[list[str]] = mapped_column(JSON, default=list)
    high_risk_quorum: Mapped[int | None] = mapped_column(Integer)


class CouncilMember(Base):
    __tablename__ = "council_members"
    __table_args__ = (UniqueConstraint("journey_id", "user_name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    journey_id: Mapped[str] = mapped_column(ForeignKey("journeys.id"))
    user_name: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(32))
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class BreakdownRow(Base):
    __tablename__ = "breakdowns"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    journey: Mapped[str] = mapped_column(String(64), index=True)
    stage: Mapped[str] = mapped_column(String(64))
    metric: Mapped[str] = mapped_column(String(64))
    window_start: Mapped[dt.date] = mapped_column(Date)
    window_end: Mapped[dt.date] = mapped_column(Date)
    as_of: Mapped[dt.date] = mapped_column(Date)
    baseline: Mapped[float] = mapped_column(Float)
    current: Mapped[float] = mapped_column(Float)
    p_value: Mapped[float] = mapped_column(Float)
    severity: Mapped[str] = mapped_column(String(16))
    impact_per_week: Mapped[float] = mapped_column(Float)
    currency: Mapped[str] = mapped_column(String(3))
    payload: Mapped[dict[str, object]] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class ActionRow(Base):
    """A proposed fix: `payload` is exactly what the workflow receives once approved."""

    __tablename__ = "actions"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    breakdown_id: Mapped[str | None] = mapped_column(ForeignKey("breakdowns.id"))
    journey_id: Mapped[str] = mapped_column(String(64), index=True)
    playbook: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(Text)
    status: Mapped[ActionStatus] = mapped_column(StatusColumn(ActionStatus), index=True)
    workflow: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, object]] = mapped_column(JSON)
    payload_sha256: Mapped[str] = mapped_column(String(64))
    expected_value_per_week: Mapped[float] = mapped_column(Float)
    proposed_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    # Who filed the current version and when (None: the original proposal is current).
    revised_by: Mapped[str | None] = mapped_column(String(100))
    version_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # The council an overdue proposal was escalated to (None: the journey's own council).
    council_journey: Mapped[str | None] = mapped_column(String(64))
    escalated_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class DecisionRow(Base):
    """One council decision. Rows are only ever inserted (triggers refuse UPDATE/DELETE)."""

    __tablename__ = "decisions"
    __table_args__ = (
        # One decision per user and action version, even between concurrent writers.
        Index(
            "uq_decisions_user_per_version", "action_id", "action_version", "user_name", unique=True
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    action_id: Mapped[str] = mapped_column(ForeignKey("actions.id"), index=True)
    action_version: Mapped[int] = mapped_column(Integer)
    payload_sha256: Mapped[str] = mapped_column(String(64))
    user_name: Mapped[str] = mapped_column(String(100))
    decision: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text)
    decided_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class AuditEvent(Base):
    """One link of the hash chain; rows are only ever inserted (triggers refuse changes)."""

    __tablename__ = "audit_events"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    ts: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    actor: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(64))
    subject: Mapped[str] = mapped_column(String(64), index=True)
    data: Mapped[dict[str, object]] = mapped_column(JSON)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class OutboxRow(Base):
    """One approved action waiting for (or done with) delivery to its workflow target.

    Written in the transaction of the approving decision; only the dispatcher moves it:
    pending -> sending -> delivered | dead | refused (dead rows go back to pending on a
    person's redrive).
    """

    __tablename__ = "outbox"
    __table_args__ = (UniqueConstraint("action_id", "action_version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    action_id: Mapped[str] = mapped_column(ForeignKey("actions.id"), index=True)
    action_version: Mapped[int] = mapped_column(Integer)
    payload_sha256: Mapped[str] = mapped_column(String(64))
    target: Mapped[str] = mapped_column(String(64))
    status: Mapped[DeliveryStatus] = mapped_column(StatusColumn(DeliveryStatus), index=True)
    runs: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    lease_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    status_code: Mapped[int | None] = mapped_column(Integer)
    external_id: Mapped[str | None] = mapped_column(String(100))
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class OutcomeRow(Base):
    """The measured result of a dispatched action once its evaluation window has passed."""

    __tablename__ = "outcomes"

    action_id: Mapped[str] = mapped_column(ForeignKey("actions.id"), primary_key=True)
    playbook: Mapped[str] = mapped_column(String(64), index=True)
    verdict: Mapped[str] = mapped_column(String(16))
    metric: Mapped[str] = mapped_column(String(64))
    window_start: Mapped[dt.date] = mapped_column(Date)
    window_end: Mapped[dt.date] = mapped_column(Date)
    numbers: Mapped[dict[str, object]] = mapped_column(JSON)
    checked_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


# -- council web app and scheduler (migration 0005) -----------------------------------------


class WebUser(Base):
    """A person who may sign in to the council app, with one app-wide role."""

    __tablename__ = "web_users"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    role: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    disabled_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class WebToken(Base):
    """A sign-in token; only its sha256 is stored, the token itself is shown once."""

    __tablename__ = "web_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_name: Mapped[str] = mapped_column(ForeignKey("web_users.name"), index=True)
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    last_used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class WebConfirmation(Base):
    """A single-use confirmation for one decision of one user on one exact payload."""

    __tablename__ = "web_confirmations"

    nonce_sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_name: Mapped[str] = mapped_column(String(100))
    action_id: Mapped[str] = mapped_column(String(32))
    payload_sha256: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class ScheduleRun(Base):
    """One scheduled job's cron slot; its primary key lets only one scheduler run it."""

    __tablename__ = "schedule_runs"

    job: Mapped[str] = mapped_column(String(32), primary_key=True)
    slot: Mapped[str] = mapped_column(String(40), primary_key=True)
    holder: Mapped[str] = mapped_column(String(64))
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    summary: Mapped[dict[str, object]] = mapped_column(JSON, default=dict)


# -- server-side sessions and sign-in throttling (migration 0006) ---------------------------


class WebSession(Base):
    """A signed-in browser session; the cookie holds its id, SQL only the id's sha256."""

    __tablename__ = "web_sessions"

    id_sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_name: Mapped[str] = mapped_column(String(100), index=True)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    ended_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class SignInFailure(Base):
    """A failed sign-in, counted per client address and per named user to slow guessing."""

    __tablename__ = "web_signin_failures"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_name: Mapped[str] = mapped_column(String(100), index=True)
    client: Mapped[str] = mapped_column(String(64), index=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
