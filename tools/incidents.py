"""Incidents: breakdowns that share a cause, grouped, priced honestly and given one fix list.

Grouping rule: breakdowns of the same journey and window whose top cause has the same kind
and the same segment are one incident (a mix shift shows at every stage it passes; one
broken segment moves several metrics). A breakdown with no localized cause is an incident
of its own stage. Money by kind (`price_breakdown`, `incident_money`): a rate change loses
what its metrics moved; a mix shift is priced on the traffic that moved; a tracking gap is a
data problem and has no lost-revenue figure.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from store.findings import (
    Breakdown,
    CauseKind,
    Impact,
    Incident,
    Recommendation,
    incident_id,
)
from tools.verdict import evidence_verdict, strongest

_EFFORT_ORDER = {"S": 0, "M": 1, "L": 2}


def cause_kind(bd: Breakdown) -> CauseKind:
    """Return the kind of a breakdown's top cause (`rate_change` when none is localized)."""
    return bd.causes[0].kind if bd.causes else "rate_change"


def price_breakdown(bd: Breakdown) -> Breakdown:
    """Return the breakdown with its weekly money restated for its cause's kind.

    A tracking gap is events that were not recorded, not customers lost: no money. A mix
    shift is priced on the traffic that moved: the share of the change carried by visits
    moving toward the segment that always did worse. A rate change keeps the measured loss.
    """
    top = bd.causes[0] if bd.causes else None
    if top is None or top.kind == "rate_change":
        return bd
    if top.kind == "tracking_gap":
        per_week = 0.0
    else:
        per_week = round(bd.impact.per_week * (top.moved_share or 0.0), 2)
    impact = Impact(currency=bd.impact.currency, per_week=per_week)
    return bd.model_copy(update={"impact": impact})


def incident_money(kind: CauseKind, members: Sequence[Breakdown]) -> float | None:
    """Return the weekly money at stake in an incident made of `members`.

    Metrics of one stage describe the same visits (a slow claim and its cost to serve are
    one loss), so a stage counts once, at its largest metric; stages add up. A mix shift is
    the same customers moving through every stage, so it counts once, at its largest.
    """
    if kind == "tracking_gap":
        return None
    if kind == "mix_shift":
        return round(max((b.impact.per_week for b in members), default=0.0), 2)
    per_stage: dict[str, float] = defaultdict(float)
    for b in members:
        per_stage[b.stage] = max(per_stage[b.stage], b.impact.per_week)
    return round(sum(per_stage.values()), 2)


def group_incidents(breakdowns: Sequence[Breakdown], *, data_owner: str) -> list[Incident]:
    """Group breakdowns into incidents, most money at stake first (data problems last)."""
    groups: dict[str, list[Breakdown]] = {}
    for bd in breakdowns:
        groups.setdefault(incident_key(bd), []).append(bd)
    incidents = [_incident(members, data_owner=data_owner) for members in groups.values()]
    incidents.sort(key=lambda i: (-(i.money_at_stake_per_week or -1.0), i.id))
    return incidents


def incident_key(bd: Breakdown) -> str:
    """Return the id of the incident a breakdown belongs to (see the grouping rule above)."""
    top = bd.causes[0] if bd.causes else None
    segment = top.segment if top else {}
    return incident_id(
        bd.journey, cause_kind(bd), segment, bd.window, scope="" if top else f"stage={bd.stage}"
    )


def _incident(members: list[Breakdown], *, data_owner: str) -> Incident:
    lead = max(members, key=lambda b: b.impact.per_week)
    kind = cause_kind(lead)
    segment = lead.causes[0].segment if lead.causes else {}
    stages = list(dict.fromkeys(b.stage for b in members))
    metrics = list(dict.fromkeys(b.metric for b in members))
    return Incident(
        id=incident_key(lead),
        kind=kind,
        journey=lead.journey,
        stages=stages,
        metrics=metrics,
        segment=segment,
        window=lead.window,
        money_at_stake_per_week=incident_money(kind, members),
        currency=lead.impact.currency,
        verdict=strongest(
            [evidence_verdict(b, b.causes[0] if b.causes else None) for b in members]
        ),
        breakdown_ids=[b.id for b in members],
        summary=_summary(kind, segment, stages, metrics),
        route_to=data_owner if kind == "tracking_gap" else f"{lead.journey} council",
        recommendations=_merged_fixes(kind, members),
    )


def _summary(
    kind: CauseKind, segment: dict[str, str], stages: list[str], metrics: list[str]
) -> str:
    who = ", ".join(f"{k}={v}" for k, v in sorted(segment.items())) or "the whole stage"
    what = {
        "rate_change": f"{who} got worse",
        "mix_shift": f"traffic shifted toward {who}",
        "tracking_gap": f"events of {who} are missing",
    }[kind]
    return f"{what}: {', '.join(metrics)} at {', '.join(stages)}"


def _merged_fixes(kind: CauseKind, members: Sequence[Breakdown]) -> list[Recommendation]:
    """Return the incident's fixes: each playbook once, valued like the incident's money."""
    by_playbook: dict[str, list[tuple[Breakdown, Recommendation]]] = defaultdict(list)
    for b in members:
        for rec in b.recommendations:
            by_playbook[rec.playbook].append((b, rec))
    merged: list[Recommendation] = []
    for recs in by_playbook.values():
        valued = [b.model_copy(update={"impact": _as_impact(b, r)}) for b, r in recs]
        value = incident_money(kind, valued) or 0.0
        best = max((r for _, r in recs), key=lambda r: r.confidence)
        merged.append(best.model_copy(update={"expected_value_per_week": value}))
    merged.sort(key=lambda r: (-r.expected_value_per_week, _EFFORT_ORDER[r.effort], r.playbook))
    return [r.model_copy(update={"rank": i, "action_id": None}) for i, r in enumerate(merged, 1)]


def _as_impact(bd: Breakdown, rec: Recommendation) -> Impact:
    return Impact(currency=bd.impact.currency, per_week=rec.expected_value_per_week)
