"""Node: file every recommended fix as a `proposed` action awaiting the council.

This is the only side effect an investigation has, and it is idempotent: ids derive from
the breakdown and the playbook, so scanning the same window twice files nothing new.
"""

from __future__ import annotations

import datetime as dt

from langgraph.runtime import Runtime
from store.actions import propose_action, save_breakdown

from agent.context import RunContext
from agent.state import InvestigationState
from tools.findings import Breakdown, Recommendation, action_id


def propose_actions(state: InvestigationState, runtime: Runtime[RunContext]) -> dict[str, object]:
    """Record breakdowns and proposals in SQL; return which actions are new."""
    ctx = runtime.context
    now = ctx.clock()
    expires = now + dt.timedelta(days=ctx.settings.approval.expiry_days)
    assert state.as_of is not None
    proposed: list[str] = []
    existing: list[str] = []
    updated: list[Breakdown] = []
    with ctx.sessions.begin() as session:
        for bd in state.breakdowns:
            recs: list[Recommendation] = []
            for rec in bd.recommendations:
                aid = action_id(bd.id, rec.playbook)
                recs.append(rec.model_copy(update={"action_id": aid}))
            filed = bd.model_copy(update={"recommendations": recs})
            save_breakdown(session, breakdown=filed, as_of=state.as_of)
            for rec in recs:
                assert rec.action_id is not None
                playbook = ctx.settings.playbooks[rec.playbook]
                _, created = propose_action(
                    session,
                    action_id=rec.action_id,
                    breakdown_id=bd.id,
                    journey_id=bd.journey,
                    playbook=rec.playbook,
                    title=rec.title,
                    workflow=playbook.workflow,
                    payload=action_payload(filed, rec),
                    expected_value_per_week=rec.expected_value_per_week,
                    proposed_by=ctx.settings.approval.proposer,
                    expires_at=expires,
                    now=now,
                )
                (proposed if created else existing).append(rec.action_id)
            updated.append(filed)
    return {"breakdowns": updated, "proposed": proposed, "existing": existing}


def action_payload(bd: Breakdown, rec: Recommendation) -> dict[str, object]:
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
        "evidence_insight_ids": bd.hypotheses[0].evidence.insight_ids if bd.hypotheses else [],
    }
