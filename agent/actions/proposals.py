"""File recommended fixes as `proposed` actions: the one way anything enters the gate.

Proposals are filed per incident (breakdowns that share a cause, `tools.incidents`): its
top-ranked fix, or the first `[incidents] file_per_incident` fixes; the rest stay on the
action page as alternatives. Scans and chat both come through here, and action ids derive
from the incident and the playbook, so a fix proposed from a conversation is the same row a
scheduled scan files, and scanning a window twice files nothing new.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from agent.actions.graph import resume_after_commit
from agent.context import RunContext
from store.breakdowns import save_breakdown
from store.findings import Breakdown, Incident, Recommendation, action_id
from store.gate.actions import propose_action
from tools.incidents import group_incidents


@dataclass
class Filed:
    """What one filing run did: new action ids, already-filed ones, findings with ids."""

    proposed: list[str] = field(default_factory=list)
    existing: list[str] = field(default_factory=list)
    breakdowns: list[Breakdown] = field(default_factory=list)
    incidents: list[Incident] = field(default_factory=list)


def file_proposals(
    ctx: RunContext,
    breakdowns: Sequence[Breakdown],
    *,
    as_of: dt.date,
    incidents: Sequence[Incident] | None = None,
    playbooks: set[str] | None = None,
) -> Filed:
    """Record breakdowns and file each incident's top fixes (or only `playbooks`) in SQL.

    `incidents` defaults to the breakdowns grouped by `tools.incidents.group_incidents`.
    """
    if incidents is None:
        incidents = group_incidents(breakdowns, data_owner=ctx.settings.incidents.data_owner)
    by_id = {bd.id: bd for bd in breakdowns}
    now = ctx.clock()
    expires = now + dt.timedelta(days=ctx.settings.approval.expiry_days)
    top_n = ctx.settings.incidents.file_per_incident
    filed = Filed()
    filed_ids: dict[tuple[str, str], str] = {}
    with ctx.sessions.begin() as session:
        for inc in incidents:
            members = [by_id[i] for i in inc.breakdown_ids if i in by_id]
            if not members:
                continue
            lead = max(members, key=lambda b: b.impact.per_week)
            recs = []
            for rec in inc.recommendations:
                chosen = rec.playbook in playbooks if playbooks is not None else rec.rank <= top_n
                aid = action_id(inc.id, rec.playbook) if chosen else None
                recs.append(rec.model_copy(update={"action_id": aid}))
            inc = inc.model_copy(update={"recommendations": recs})
            for bd in members:
                save_breakdown(session, breakdown=_with_ids(bd, inc), as_of=as_of)
            for rec in recs:
                if rec.action_id is None:
                    continue
                _, created = propose_action(
                    session,
                    action_id=rec.action_id,
                    breakdown_id=lead.id,
                    journey_id=inc.journey,
                    playbook=rec.playbook,
                    title=rec.title,
                    workflow=ctx.settings.playbooks[rec.playbook].workflow,
                    payload=action_payload(lead, rec, incident=inc),
                    expected_value_per_week=rec.expected_value_per_week,
                    proposed_by=ctx.settings.approval.proposer,
                    expires_at=expires,
                    now=now,
                )
                (filed.proposed if created else filed.existing).append(rec.action_id)
                for bd in members:
                    filed_ids[(bd.id, rec.playbook)] = rec.action_id
            filed.incidents.append(inc)
    filed.breakdowns = [_with_filed(bd, filed_ids) for bd in breakdowns]
    # Each new proposal's graph thread starts now and pauses at the council.
    resume_after_commit(ctx, filed.proposed)
    return filed


def _with_ids(bd: Breakdown, inc: Incident) -> Breakdown:
    ids = {r.playbook: r.action_id for r in inc.recommendations if r.action_id}
    return _with_filed(bd, {(bd.id, p): a for p, a in ids.items()})


def _with_filed(bd: Breakdown, ids: dict[tuple[str, str], str]) -> Breakdown:
    recs = [
        r.model_copy(update={"action_id": ids.get((bd.id, r.playbook))}) for r in bd.recommendations
    ]
    return bd.model_copy(update={"recommendations": recs})


def action_payload(bd: Breakdown, rec: Recommendation, *, incident: Incident) -> dict[str, object]:
    """Return the exact payload a workflow will receive if the council approves."""
    top = bd.causes[0] if bd.causes else None
    return {
        "action_id": rec.action_id,
        "breakdown_id": bd.id,
        "journey": bd.journey,
        "stage": bd.stage,
        "metric": bd.metric,
        "window": {"start": bd.window.start.isoformat(), "end": bd.window.end.isoformat()},
        "baseline": bd.baseline,
        "current": bd.current,
        "segment": top.segment if top else {},
        "cause_kind": top.kind if top else "unlocalized",
        "playbook": rec.playbook,
        "title": rec.title,
        "expected_value_per_week": rec.expected_value_per_week,
        "currency": bd.impact.currency,
        "effort": rec.effort,
        "hypothesis": bd.hypotheses[0].statement if bd.hypotheses else "",
        "verdict": bd.hypotheses[0].verdict if bd.hypotheses else "inconclusive",
        "evidence_insight_ids": bd.hypotheses[0].evidence.insight_ids if bd.hypotheses else [],
        "incident": {
            "id": incident.id,
            "kind": incident.kind,
            "stages": incident.stages,
            "metrics": incident.metrics,
            "verdict": incident.verdict,
            "money_at_stake_per_week": incident.money_at_stake_per_week,
            "route_to": incident.route_to,
            "breakdown_ids": incident.breakdown_ids,
        },
    }
