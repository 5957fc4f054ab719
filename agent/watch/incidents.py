"""Developing incidents: open on the first alarm, update in place, confirm, file, resolve.

At most one incident is open per journey, stage and metric; the series that signalled
first (the stage, or one large segment) is the one it follows. The journey owner is
alerted once per incident (retried next cycle if the delivery failed; the receiver sees
one idempotency key). Nothing goes to the council until the CUSUM reaches
`confirm_factor` × its threshold; then the incident files one breakdown and its
proposals. An incident whose last `resolve_minutes` look healthy for `resolve_cycles`
cycles closes with its numbers, and the series' CUSUM restarts after it.
"""

from __future__ import annotations

import datetime as dt
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from agent.context import RunContext
from agent.watch.baselines import Series, series_plan
from agent.watch.confirm import file_incident, localize_incident
from store.journeys import get_journey
from store.live.incidents import developing_id, open_developing, save_developing
from store.live.models import DevelopingIncidentRow
from tools.watch import SeriesState
from tools.workflows import DeliveryError, deliver

# The last resolve_minutes are healthy when their deficit is under one standard deviation.
_HEALTHY_Z = 1.0


@dataclass(frozen=True)
class Signal:
    """One series and where its CUSUM stands this cycle."""

    series: Series
    state: SeriesState


@dataclass
class Tracked:
    """Incident ids by what happened to them this cycle."""

    opened: list[str] = field(default_factory=list)
    confirmed: list[str] = field(default_factory=list)
    resolved: list[str] = field(default_factory=list)
    alerted: list[str] = field(default_factory=list)
    proposed: list[str] = field(default_factory=list)


def _at(ctx: RunContext, bin_index: int) -> dt.datetime:
    seconds = bin_index * ctx.settings.live.bin_minutes * 60
    return dt.datetime.fromtimestamp(seconds, tz=dt.UTC)


def _numbers(ctx: RunContext, sig: Signal) -> dict[str, object]:
    st = sig.state
    sign = 1.0 if ctx.settings.metrics[sig.series.metric].direction == "higher" else -1.0
    numbers: dict[str, object] = {"statistic": st.statistic, "threshold": st.threshold}
    if st.onset_bin is not None and st.den > 0:
        numbers.update(
            baseline=st.num_expected / st.den,
            current=st.num / st.den,
            visits=st.den,
            lost=sign * (st.num_expected - st.num),
        )
    return numbers


def _z(sig: Signal) -> float:
    st = sig.state
    return (st.num_expected - st.num) / math.sqrt(st.variance) if st.variance > 0 else 0.0


def track_incidents(
    ctx: RunContext,
    signals: dict[tuple[str, str, str], list[Signal]],
    *,
    now: dt.datetime,
    environ: Mapping[str, str] = os.environ,
) -> Tracked:
    """Open, update, confirm and resolve incidents from this cycle's signals."""
    tracked = Tracked()
    to_file: list[tuple[DevelopingIncidentRow, float]] = []
    with ctx.sessions() as session:
        open_rows = open_developing(session)
    for key, sigs in signals.items():
        row = open_rows.get(key)
        alarmed = [s for s in sigs if s.state.alarmed]
        if row is None and not alarmed:
            continue
        if row is None:
            best = max(alarmed, key=lambda s: s.state.statistic / s.state.threshold)
            row = _open(ctx, best, now)
            tracked.opened.append(row.id)
        else:
            follow = _followed(row, sigs)
            if follow is None:
                continue
            row = _update(ctx, row, follow, now)
            if row.status == "resolved":
                tracked.resolved.append(row.id)
            elif row.status == "confirmed" and row.breakdown_id is None:
                tracked.confirmed.append(row.id)
                to_file.append((row, _z(follow)))
    for row, z in to_file:
        breakdown, actions = file_incident(ctx, row, now=now, z=z)
        with ctx.sessions.begin() as session:
            save_developing(
                session,
                incident_id=row.id,
                fields={"breakdown_id": breakdown, "action_ids": actions},
            )
        tracked.proposed.extend(actions)
    tracked.alerted = _alert_pending(ctx, now, environ)
    return tracked


def _followed(row: DevelopingIncidentRow, sigs: list[Signal]) -> Signal | None:
    for s in sigs:
        if (s.series.dim, s.series.value) == (row.signal_dim, row.signal_value):
            return s
    return None


def _localized(
    ctx: RunContext, sig: Signal, onset: dt.datetime, now: dt.datetime
) -> dict[str, object]:
    s = sig.series
    causes = localize_incident(
        ctx,
        journey=s.journey,
        stage=s.stage,
        metric=s.metric,
        onset=onset,
        now=now,
        dims=series_plan(ctx, now).dims,
    )
    signal = {s.dim: s.value} if s.dim else {}
    segment = causes[0].segment if causes else signal
    return {
        "segment": segment,
        "evidence": {
            "signal": signal,
            "causes": [c.model_dump(mode="json") for c in causes],
            "localized_at": now.isoformat(),
        },
    }


def _open(ctx: RunContext, sig: Signal, now: dt.datetime) -> DevelopingIncidentRow:
    s, st = sig.series, sig.state
    onset = _at(ctx, st.onset_bin if st.onset_bin is not None else 0)
    fields: dict[str, object] = {
        "journey": s.journey,
        "stage": s.stage,
        "metric": s.metric,
        "status": "developing",
        "verdict": "likely",
        "signal_dim": s.dim,
        "signal_value": s.value,
        "onset_at": onset,
        "opened_at": now,
        "updated_at": now,
        "peak_statistic": st.statistic,
        "baseline": 0.0,
        "current": 0.0,
        "visits": 0.0,
        "lost": 0.0,
        "cycles": 1,
        "healthy_cycles": 0,
        "action_ids": [],
        **_numbers(ctx, sig),
        **_localized(ctx, sig, onset, now),
    }
    with ctx.sessions.begin() as session:
        return save_developing(
            session, incident_id=developing_id(s.journey, s.stage, s.metric, onset), fields=fields
        )


def _update(
    ctx: RunContext, row: DevelopingIncidentRow, sig: Signal, now: dt.datetime
) -> DevelopingIncidentRow:
    live = ctx.settings.live
    st = sig.state
    healthy = st.recent_den > 0 and st.recent_z < _HEALTHY_Z
    healthy_cycles = row.healthy_cycles + 1 if healthy else 0
    fields: dict[str, object] = {
        "updated_at": now,
        "cycles": row.cycles + 1,
        "healthy_cycles": healthy_cycles,
        "peak_statistic": max(row.peak_statistic, st.statistic),
        **_numbers(ctx, sig),
    }
    if healthy_cycles >= live.resolve_cycles:
        fields.update(
            status="resolved",
            resolved_at=now,
            verdict="confirmed" if row.status == "confirmed" else "inconclusive",
        )
    elif row.status == "developing":
        if st.statistic >= live.confirm_factor * st.threshold:
            fields.update(status="confirmed", verdict="confirmed", confirmed_at=now)
        fields.update(_localized(ctx, sig, row.onset_at, now))
    with ctx.sessions.begin() as session:
        return save_developing(session, incident_id=row.id, fields=fields)


def _alert_pending(ctx: RunContext, now: dt.datetime, environ: Mapping[str, str]) -> list[str]:
    """Alert the owner of every open incident not alerted yet; return the ids alerted."""
    target = ctx.settings.live.alert_target
    if not target:
        return []
    with ctx.sessions() as session:
        pending = [r for r in open_developing(session).values() if r.alerted_at is None]
        owners = {
            r.journey: getattr(get_journey(session, journey_id=r.journey), "owner", None)
            for r in pending
        }
    sent = []
    for row in pending:
        try:
            deliver(
                target_name=target,
                targets=ctx.settings.workflows,
                action_id=row.id,
                payload=_alert_payload(row, owners.get(row.journey)),
                environ=environ,
            )
        except DeliveryError as exc:
            ctx.status(f"alert for {row.id} to {target} failed: {exc}")
            continue
        with ctx.sessions.begin() as session:
            save_developing(session, incident_id=row.id, fields={"alerted_at": now})
        sent.append(row.id)
    return sent


def _alert_payload(row: DevelopingIncidentRow, owner: str | None) -> dict[str, object]:
    return {
        "kind": "developing_incident",
        "incident_id": row.id,
        "journey": row.journey,
        "owner": owner or "",
        "stage": row.stage,
        "metric": row.metric,
        "status": row.status,
        "segment": row.segment,
        "onset_at": row.onset_at.isoformat(),
        "baseline": row.baseline,
        "current": row.current,
        "visits": row.visits,
        "lost": row.lost,
        "summary": "Developing incident: watched, not yet confirmed; no action proposed yet.",
    }
