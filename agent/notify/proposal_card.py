"""What a council member sees before deciding on a proposal, read from the store.

The card carries facts only: the numbers come from the stored breakdown and the action's
payload, the quorum progress from the gate (`store.gate.quorum`). The hypothesis and any
customer words stay untrusted text; renderers escape them.
"""

from __future__ import annotations

from pydantic import BaseModel

from agent.context import RunContext
from store.breakdowns import get_breakdown
from store.findings import Breakdown, EvidenceVerdict
from store.gate.actions import get_action
from store.gate.quorum import progress_for
from store.states import ActionStatus
from tools.units import format_money, format_segment, format_value


class ProposalCard(BaseModel):
    """One proposal with its evidence summary, verdict, money and quorum progress."""

    action_id: str
    journey: str
    title: str
    playbook: str
    status: ActionStatus
    payload_sha256: str
    proposed_by: str
    value_per_week: str
    change: str
    segment: str
    cause_kind: str
    hypothesis: str
    quotes: int
    verdict: EvidenceVerdict
    approvers: list[str]
    approvals: int
    quorum: int


def evidence_verdict(bd: Breakdown | None) -> EvidenceVerdict:
    """Return how well the evidence holds: a localized segment and customer words agreeing."""
    if bd is None:
        return "inconclusive"
    has_segment, has_words = bool(bd.causes), bool(bd.quotes)
    if has_segment and has_words:
        return "confirmed"
    return "likely" if has_segment or has_words else "inconclusive"


def proposal_card(ctx: RunContext, *, action_id: str) -> ProposalCard | None:
    """Return the card of an action, or None when there is no such action."""
    with ctx.sessions() as session:
        action = get_action(session, action_id=action_id)
        if action is None:
            return None
        progress = progress_for(session, action=action)
        row = get_breakdown(session, breakdown_id=action.breakdown_id or "")
        bd = Breakdown.model_validate(row.payload) if row is not None else None
        payload = action.payload
        metric = ctx.settings.metrics.get(bd.metric) if bd is not None else None
        if bd is not None and metric is not None:
            change = (
                f"{bd.journey}/{bd.stage} {metric.label}: {format_value(metric, bd.baseline)} → "
                f"{format_value(metric, bd.current)} ({bd.window.start} to {bd.window.end})"
            )
        else:
            change = f"{payload.get('journey', action.journey_id)}/{payload.get('stage', '')}"
        segment = payload.get("segment")
        return ProposalCard(
            action_id=action.id,
            journey=action.journey_id,
            title=action.title,
            playbook=action.playbook,
            status=action.status,
            payload_sha256=action.payload_sha256,
            proposed_by=action.proposed_by,
            value_per_week=format_money(
                action.expected_value_per_week, str(payload.get("currency", "USD"))
            ),
            change=change,
            segment=format_segment(segment) if isinstance(segment, dict) else "all traffic",
            cause_kind=str(payload.get("cause_kind", "unlocalized")),
            hypothesis=str(payload.get("hypothesis", "")),
            quotes=len(bd.quotes) if bd is not None else 0,
            verdict=evidence_verdict(bd),
            approvers=list(progress.approvers),
            approvals=progress.approvals,
            quorum=progress.quorum,
        )
