"""File recommended fixes as `proposed` actions: the one way anything enters the gate.

Scans and chat both come through here, so an action proposed from a conversation is the
same row (same id, same payload) a scheduled scan would have filed for that breakdown.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from agent.actions.graph import resume_after_commit
from agent.context import RunContext
from store.breakdowns import save_breakdown
from store.findings import Breakdown, Recommendation, action_id
from store.gate.actions import propose_action


@dataclass
class Filed:
    """What one filing run did: new action ids, already-filed ones, breakdowns with ids."""

    proposed: list[str] = field(default_factory=list)
    existing: list[str] = field(default_factory=list)
    breakdowns: list[Breakdown] = field(default_factory=list)


def file_proposals(
    ctx: RunContext,
    breakdowns: Sequence[Breakdown],
    *,
    as_of: dt.date,
    playbooks: set[str] | None = None,
) -> Filed:
    """Record breakdowns and their recommendations (all, or only `playbooks`) in SQL."""
    now = ctx.clock()
    expires = now + dt.timedelta(days=ctx.settings.approval.expiry_days)
    filed = Filed()
    with ctx.sessions.begin() as session:
        for bd in breakdowns:
            recs = [
                rec.model_copy(update={"action_id": action_id(bd.id, rec.playbook)})
                for rec in bd.recommendations
            ]
            with_ids = bd.model_copy(update={"recommendations": recs})
            save_breakdown(session, breakdown=with_ids, as_of=as_of)
            for rec in recs:
                if playbooks is not None and rec.playbook not in playbooks:
                    continue
                assert rec.action_id is not None
                _, created = propose_action(
                    session,
                    action_id=rec.action_id,
                    breakdown_id=bd.id,
                    journey_id=bd.journey,
                    playbook=rec.playbook,
                    title=rec.title,
                    workflow=ctx.settings.playbooks[rec.playbook].workflow,
                    payload=action_payload(with_ids, rec),
                    expected_value_per_week=rec.expected_value_per_week,
                    proposed_by=ctx.settings.approval.proposer,
                    expires_at=expires,
                    now=now,
                )
                (filed.proposed if created else filed.existing).append(rec.action_id)
            filed.breakdowns.append(with_ids)
    # Each new proposal's graph thread starts now and pauses at the council.
    resume_after_commit(ctx, filed.proposed)
    return filed


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
