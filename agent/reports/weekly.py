"""`journeyops report weekly`: per journey, what broke, was decided, dispatched, recovered.

The week is the seven days ending on `as_of` (default: the newest day of data), by when
things happened in the store: breakdowns recorded by scans (or whose window ended that
week), decisions, deliveries and outcome checks (`store.gate.history` reads them). For the
most valuable open proposal of a journey the report adds a one-page funding case; every
number in it comes from the store or the playbook catalog, none is estimated here. It leads
with the journey's incidents of the newest scan. A tracking gap is a data problem with no money at
stake, so its fix never gets a funding case.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from pydantic import BaseModel
from sqlalchemy.orm import Session

from agent.context import RunContext
from agent.reports.incidents import incident_rows, latest_incidents
from store.breakdowns import get_breakdown
from store.catalog import MetricDef
from store.findings import Breakdown, Incident
from store.gate.actions import list_actions
from store.gate.history import JourneyActivity, activity_between
from store.gate.outcomes import track_record
from store.journeys import list_journeys
from store.models import ActionRow
from store.states import ActionStatus
from tools.units import format_money, format_percent, format_segment, format_share, format_value

# A quarter: the horizon over which a fix's weekly value is counted against its cost.
HORIZON_WEEKS = 13


class FundingCase(BaseModel):
    """The case for funding one fix: money at stake, cost, expected return, evidence."""

    action_id: str
    title: str
    playbook: str
    currency: str
    at_stake_per_week: float
    cost: float
    expected_value_per_week: float
    horizon_weeks: int = HORIZON_WEEKS
    expected_return: float
    net_return: float
    roi: float | None
    payback_weeks: float | None
    effort: str
    track_record: tuple[int, int]
    hypothesis: str
    causes: list[str]
    quotes: list[tuple[str, str]]


class JourneyWeek(BaseModel):
    """One journey's week."""

    journey: str
    name: str
    week_start: dt.date
    as_of: dt.date
    incidents: list[str] = []
    broke: list[str] = []
    decided: list[str] = []
    dispatched: list[str] = []
    recovered: list[str] = []
    next: list[str] = []
    funding: FundingCase | None = None


def build_weekly(ctx: RunContext, *, as_of: dt.date | None = None) -> list[JourneyWeek]:
    """Return every journey's week ending on `as_of` (default: the newest day of data)."""
    span = ctx.warehouse.date_range() if as_of is None else None
    end = as_of or (span[1] if span else ctx.clock().date())
    start = end - dt.timedelta(days=6)
    currency = ctx.settings.money.currency
    weeks = []
    with ctx.sessions() as session:
        record = track_record(session)
        incidents = latest_incidents(session, data_owner=ctx.settings.incidents.data_owner)
        activity = activity_between(session, start=start, end=end)
        waiting: dict[str, list[ActionRow]] = {}
        for a in list_actions(session, status=ActionStatus.PROPOSED):
            waiting.setdefault(a.journey_id, []).append(a)
        for j in list_journeys(session):
            week = JourneyWeek(journey=j.id, name=j.name, week_start=start, as_of=end)
            week.incidents = [_incident_line(i) for i in incidents if i.journey == j.id]
            _fill(week, activity.get(j.id, JourneyActivity()), ctx.settings.metrics)
            open_actions = waiting.get(j.id, [])
            week.next = [
                f"{a.id}: {a.title} ({format_money(a.expected_value_per_week, currency)} / week)"
                for a in open_actions[:5]
            ]
            fundable = [a for a in open_actions if _fundable(a)]
            if fundable:
                week.funding = funding_case(session, ctx, fundable[0], record)
            weeks.append(week)
    return weeks


def _incident_line(inc: Incident) -> str:
    stages, metrics, segment, kind, verdict, money = incident_rows([inc])[0][1:]
    return f"{stages} · {metrics} · {segment}: {kind}, {verdict}, {money} / week at stake"


def _fundable(action: ActionRow) -> bool:
    """Return whether an action may get a funding case: it recovers money, not data."""
    incident = action.payload.get("incident")
    kind = incident.get("kind") if isinstance(incident, dict) else action.payload.get("cause_kind")
    return kind != "tracking_gap" and action.expected_value_per_week > 0


_PAST = {"approve": "approved", "reject": "rejected"}


def _fill(week: JourneyWeek, activity: JourneyActivity, metrics: Mapping[str, MetricDef]) -> None:
    for b in activity.broke:
        metric = metrics.get(b.metric)
        before, now = (
            (format_value(metric, b.baseline), format_value(metric, b.current))
            if metric is not None
            else (f"{b.baseline:,.2f}", f"{b.current:,.2f}")
        )
        week.broke.append(
            f"{b.stage} · {b.metric}: {before} → {now} "
            f"({b.severity}, {format_money(b.impact_per_week, b.currency)} / week at stake)"
        )
    for d, a in activity.decided:
        done = _PAST.get(d.decision, d.decision)
        week.decided.append(f"{d.user_name} {done} {a.id} ({a.title}): {d.reason}")
    for o, a in activity.dispatched:
        week.dispatched.append(f"{a.id} ({a.title}) to {o.target}: {o.status}")
    for out, a in activity.checked:
        share = out.numbers.get("recovered_share")
        shown = format_percent(share) if isinstance(share, int | float) else "n/a"
        week.recovered.append(f"{a.id} ({a.title}): {out.verdict}, recovered share {shown}")


def funding_case(
    session: Session, ctx: RunContext, action: ActionRow, record: dict[str, tuple[int, int]]
) -> FundingCase:
    """Return the funding case for one proposed action."""
    playbook = ctx.settings.playbooks.get(action.playbook)
    cost = playbook.cost if playbook else 0.0
    cited_by = action.breakdown_id
    found = get_breakdown(session, breakdown_id=cited_by) if cited_by else None
    bd = Breakdown.model_validate(found.payload) if found is not None else None
    value = action.expected_value_per_week
    expected = value * HORIZON_WEEKS
    by_id = {q.id: q for q in bd.quotes} if bd else {}
    cited = bd.hypotheses[0].evidence.insight_ids if bd and bd.hypotheses else []
    return FundingCase(
        action_id=action.id,
        title=action.title,
        playbook=action.playbook,
        currency=bd.impact.currency if bd else ctx.settings.money.currency,
        at_stake_per_week=bd.impact.per_week if bd else 0.0,
        cost=cost,
        expected_value_per_week=value,
        expected_return=expected,
        net_return=expected - cost,
        roi=(expected - cost) / cost if cost > 0 else None,
        payback_weeks=cost / value if value > 0 else None,
        effort=playbook.effort if playbook else "?",
        track_record=record.get(action.playbook, (0, 0)),
        hypothesis=bd.hypotheses[0].statement if bd and bd.hypotheses else "",
        causes=[
            f"{format_segment(c.segment)} ({c.kind}, explains {format_share(c.explained_share)})"
            for c in (bd.causes if bd else [])
        ],
        quotes=[(i, by_id[i].text) for i in cited if i in by_id][:3],
    )


def payback_text(weeks: float | None) -> str:
    """Return how long a fix takes to pay for itself, in days under a week."""
    if weeks is None:
        return "n/a"
    return f"{weeks * 7:.1f} days" if weeks < 1 else f"{weeks:.1f} weeks"
