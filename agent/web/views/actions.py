"""What the decision pages show: quorum progress, the exact payload, deliveries, outcomes.

Everything is read by `store.gate.records` (quorum progress is the gate's own
`QuorumProgress`); this module only words it for the pages and the JSON API.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from agent.context import RunContext
from store.findings import Breakdown
from store.gate.quorum import QuorumProgress
from store.gate.records import action_record, action_summaries
from store.models import ActionRow, DecisionRow, OutboxRow, OutcomeRow
from store.states import ActionStatus


@dataclass
class ListedAction:
    """One row of the inbox or the history, worded for the page."""

    row: ActionRow
    quorum: QuorumProgress
    delivery: str
    outcome: str


@dataclass
class ActionDetail:
    """The action page: the gate's record of one action, with the payload pretty-printed."""

    row: ActionRow
    quorum: QuorumProgress
    payload_json: str
    breakdown: Breakdown | None
    decisions: list[DecisionRow]
    deliveries: list[OutboxRow]
    outcome: OutcomeRow | None
    notes: list[str] = field(default_factory=list)


def payload_json(action: ActionRow) -> str:
    """Return the stored payload exactly as approvals bind to it, pretty-printed."""
    return json.dumps(action.payload, indent=2, sort_keys=True, ensure_ascii=False)


def summaries(ctx: RunContext, *, status: ActionStatus | None = None) -> list[ListedAction]:
    """Return actions (optionally of one status) with quorum, delivery and outcome."""
    with ctx.sessions() as session:
        listed = action_summaries(session, status=status)
    return [
        ListedAction(
            s.action,
            s.progress,
            f"{s.delivery.status} ({s.delivery.runs} run(s))" if s.delivery is not None else "—",
            s.outcome.verdict if s.outcome is not None else "—",
        )
        for s in listed
    ]


def action_detail(ctx: RunContext, *, action_id: str) -> ActionDetail | None:
    """Return one action with everything a council member needs to decide on it."""
    with ctx.sessions() as session:
        record = action_record(session, action_id=action_id)
    if record is None:
        return None
    detail = ActionDetail(
        row=record.action,
        quorum=record.progress,
        payload_json=payload_json(record.action),
        breakdown=record.breakdown,
        decisions=record.decisions,
        deliveries=record.deliveries,
        outcome=record.outcome,
    )
    if record.progress.nobody_can_decide:
        detail.notes.append("This journey has no council with decision rights: nobody can decide.")
    return detail
