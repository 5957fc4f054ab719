"""What the council pages show about the incident behind an action, and who may decide.

Incident fields come from the action's stored payload (what the council approves), the
alternatives from regrouping the incident's recorded breakdowns, and decision rights from
the gate's own rule (`QuorumProgress.refusal`), never re-derived here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from agent.context import RunContext
from agent.reports.incidents import KIND_LABEL
from store.breakdowns import get_breakdown
from store.findings import Breakdown, Recommendation
from store.gate.quorum import QuorumProgress
from store.models import ActionRow
from tools.incidents import group_incidents
from tools.units import format_money, format_segment

PAST_TENSE = {"approve": "approved", "reject": "rejected"}


@dataclass
class IncidentCells:
    """The incident columns of an inbox row, worded for the page."""

    incident_id: str
    stages: str
    metrics: str
    segment: str
    kind: str
    verdict: str
    money: str
    breakdown_ids: list[str] = field(default_factory=list)


def _strings(value: object) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list) else []


def incident_cells(action: ActionRow) -> IncidentCells:
    """Return the incident columns of an action from its payload (older ones: its breakdown)."""
    p = action.payload
    inc = p.get("incident")
    inc = inc if isinstance(inc, dict) else {}
    segment = p.get("segment")
    kind = str(inc.get("kind") or p.get("cause_kind") or "")
    money = inc.get("money_at_stake_per_week", action.expected_value_per_week)
    currency = str(p.get("currency") or "")
    return IncidentCells(
        incident_id=str(inc.get("id") or ""),
        stages=", ".join(_strings(inc.get("stages"))) or str(p.get("stage") or ""),
        metrics=", ".join(_strings(inc.get("metrics"))) or str(p.get("metric") or ""),
        segment=format_segment(
            {str(k): str(v) for k, v in segment.items()} if isinstance(segment, dict) else {}
        ),
        kind=KIND_LABEL.get(kind, kind or "unlocalized"),
        verdict=str(inc.get("verdict") or p.get("verdict") or "inconclusive"),
        money=(
            format_money(float(money), currency)
            if isinstance(money, int | float)
            else f"none (data owner: {inc.get('route_to', '')})"
        ),
        breakdown_ids=_strings(inc.get("breakdown_ids")),
    )


def alternatives(ctx: RunContext, action: ActionRow) -> list[Recommendation]:
    """Return the incident's other ranked fixes, not filed unless `file_per_incident` says so."""
    cells = incident_cells(action)
    with ctx.sessions() as session:
        rows = [get_breakdown(session, breakdown_id=i) for i in cells.breakdown_ids]
    found = [Breakdown.model_validate(r.payload) for r in rows if r is not None]
    owner = ctx.settings.incidents.data_owner
    for inc in group_incidents(found, data_owner=owner):
        if inc.id == cells.incident_id:
            return [r for r in inc.recommendations if r.playbook != action.playbook]
    return []


def may_decide(quorum: QuorumProgress, user: str, *, role_can_decide: bool) -> bool:
    """Return whether `user` may still record a decision (at least a rejection) now."""
    return role_can_decide and quorum.refusal(user, "reject") is None


def may_approve(quorum: QuorumProgress, user: str, *, role_can_decide: bool) -> bool:
    """Return whether `user` may still approve now (the proposer may only reject)."""
    return role_can_decide and quorum.refusal(user, "approve") is None
