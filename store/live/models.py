"""Tables of the live watch: cached baselines and developing incidents (migration 0010)."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from sqlalchemy import JSON, Date, Float, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from store.models import Base, UTCDateTime

# developing: signalled, watched, owner alerted; confirmed: enough evidence, proposals
# filed; resolved: the metric came back (or never broke enough), closed with its numbers.
LiveStatus = Literal["developing", "confirmed", "resolved"]
OPEN_STATUSES: tuple[LiveStatus, ...] = ("developing", "confirmed")


class LiveBaselineRow(Base):
    """Sums of one series over one hour of the week across the prior weeks."""

    __tablename__ = "live_baselines"

    series: Mapped[str] = mapped_column(String(400), primary_key=True)
    how: Mapped[int] = mapped_column(Integer, primary_key=True)
    journey: Mapped[str] = mapped_column(String(64))
    stage: Mapped[str] = mapped_column(String(64))
    metric: Mapped[str] = mapped_column(String(64))
    dim: Mapped[str] = mapped_column(String(100))
    value: Mapped[str] = mapped_column(String(200))
    weeks: Mapped[int] = mapped_column(Integer)
    den: Mapped[float] = mapped_column(Float)
    num: Mapped[float] = mapped_column(Float)
    num2: Mapped[float] = mapped_column(Float)
    phi: Mapped[float] = mapped_column(Float)
    share: Mapped[float] = mapped_column(Float)
    computed_for: Mapped[dt.date] = mapped_column(Date)


class DevelopingIncidentRow(Base):
    """An incident the live watch is following, updated in place every cycle."""

    __tablename__ = "developing_incidents"
    __table_args__ = (
        Index("ix_developing_incidents_series", "journey", "stage", "metric", "status"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    journey: Mapped[str] = mapped_column(String(64))
    stage: Mapped[str] = mapped_column(String(64))
    metric: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))
    verdict: Mapped[str] = mapped_column(String(16))
    # The series that signalled: "" = the whole stage, else one dimension value.
    signal_dim: Mapped[str] = mapped_column(String(100))
    signal_value: Mapped[str] = mapped_column(String(200))
    segment: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    onset_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    opened_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    alerted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    confirmed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    resolved_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    statistic: Mapped[float] = mapped_column(Float)
    threshold: Mapped[float] = mapped_column(Float)
    peak_statistic: Mapped[float] = mapped_column(Float)
    baseline: Mapped[float] = mapped_column(Float)
    current: Mapped[float] = mapped_column(Float)
    visits: Mapped[float] = mapped_column(Float)
    # Numerator units lost in the bad direction since the onset (e.g. conversions).
    lost: Mapped[float] = mapped_column(Float)
    cycles: Mapped[int] = mapped_column(Integer)
    healthy_cycles: Mapped[int] = mapped_column(Integer)
    evidence: Mapped[dict[str, object]] = mapped_column(JSON, default=dict)
    breakdown_id: Mapped[str | None] = mapped_column(String(32))
    action_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
