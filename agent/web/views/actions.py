"""What the decision pages show: quorum progress, the exact payload, deliveries, outcomes."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from agent.context import RunContext
from store.findings import Breakdown
from store.gate.actions import decisions_for, get_action, governing_council, list_actions
from store.gate.outbox import latest_outbox, outbox_for
from store.models import ActionRow, BreakdownRow, DecisionRow, OutboxRow, OutcomeRow
from store.states import ActionStatus


@dataclass
class Quorum:
    approvals: int
    quorum: int
    approvers: list[str]
    deciders: list[str]

    @property
    def percent(self) -> int:
        return min(100, round(100 * self.approvals / self.quorum)) if self.quorum else 0


@dataclass
class ActionSummary:
    row: ActionRow
    quorum: Quorum
    delivery: str
    outcome: str


@dataclass
class ActionDetail:
    row: ActionRow
    quorum: Quorum
    payload_json: str
    breakdown: Breakdown | None
    decisions: list[DecisionRow]
    deliveries: list[OutboxRow]
    outcome: OutcomeRow | None
    notes: list[str] = field(default_factory=list)


def quorum_for(session: Session, action: ActionRow) -> Quorum:
    """Return how many counted approvals the current payload has, and how many it needs."""
    council = governing_council(session, action=action)
    deciders = council.deciders()
    approvers = sorted(
        {
            d.user_name
            for d in decisions_for(session, action_id=action.id)
            if d.decision == "approve"
            and d.action_version == action.version
            and d.payload_sha256 == action.payload_sha256
            and d.user_name in deciders
            and d.user_name != action.proposed_by
        }
    )
    return Quorum(len(approvers), council.quorum_for(action.playbook), approvers, sorted(deciders))


def payload_json(action: ActionRow) -> str:
    """Return the stored payload exactly as approvals bind to it, pretty-printed."""
    return json.dumps(action.payload, indent=2, sort_keys=True, ensure_ascii=False)


def summaries(ctx: RunContext, *, status: ActionStatus | None = None) -> list[ActionSummary]:
    """Return actions (optionally of one status) with quorum, delivery and outcome."""
    with ctx.sessions() as session:
        outcomes = {o.action_id: o.verdict for o in session.execute(select(OutcomeRow)).scalars()}
        rows = []
        for a in list_actions(session, status=status):
            box = latest_outbox(session, action_id=a.id)
            delivery = f"{box.status} ({box.runs} run(s))" if box is not None else "—"
            rows.append(
                ActionSummary(
                    a,
                    quorum_for(session, a),
                    delivery,
                    outcomes.get(a.id, "—"),
                )
            )
    return rows


def action_detail(ctx: RunContext, *, action_id: str) -> ActionDetail | None:
    """Return one action with everything a council member needs to decide on it."""
    with ctx.sessions() as session:
        a = get_action(session, action_id=action_id)
        if a is None:
            return None
        bd_row = session.get(BreakdownRow, a.breakdown_id) if a.breakdown_id else None
        detail = ActionDetail(
            row=a,
            quorum=quorum_for(session, a),
            payload_json=payload_json(a),
            breakdown=Breakdown.model_validate(bd_row.payload) if bd_row else None,
            decisions=decisions_for(session, action_id=action_id),
            deliveries=outbox_for(session, action_id=action_id),
            outcome=session.get(OutcomeRow, action_id),
        )
    if (
        a.status == ActionStatus.PROPOSED
        and detail.quorum.quorum > 0
        and not detail.quorum.deciders
    ):
        detail.notes.append("This journey has no council with decision rights: nobody can decide.")
    return detail
