"""What the inbox, the action history, the action page and the CLI read about actions.

Lists are batched: the actions, their latest outbox rows, their outcomes and their quorum
progress come in a fixed number of queries, however many actions are listed.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from store.breakdowns import get_breakdown
from store.findings import Breakdown
from store.gate.actions import decisions_for, get_action, list_actions
from store.gate.outbox import outbox_for
from store.gate.quorum import QuorumProgress, progress_for, quorum_progress
from store.models import ActionRow, DecisionRow, OutboxRow, OutcomeRow
from store.states import ActionStatus

__all__ = ["ActionRecord", "ActionSummary", "action_record", "action_summaries", "count_decisions"]


@dataclass(frozen=True)
class ActionSummary:
    """One listed action with its quorum progress, latest delivery and outcome (if any)."""

    action: ActionRow
    progress: QuorumProgress
    delivery: OutboxRow | None
    outcome: OutcomeRow | None


@dataclass(frozen=True)
class ActionRecord:
    """One action with everything a council member needs to decide on it."""

    action: ActionRow
    progress: QuorumProgress
    breakdown: Breakdown | None
    decisions: list[DecisionRow]
    deliveries: list[OutboxRow]
    outcome: OutcomeRow | None


def action_summaries(
    session: Session, *, status: ActionStatus | None = None, journey_id: str | None = None
) -> list[ActionSummary]:
    """Return actions (most valuable first) with progress, latest delivery and outcome."""
    actions = list_actions(session, status=status, journey_id=journey_id)
    if not actions:
        return []
    ids = [a.id for a in actions]
    newest = (
        select(func.max(OutboxRow.id))
        .where(OutboxRow.action_id.in_(ids))
        .group_by(OutboxRow.action_id)
    )
    deliveries = {
        row.action_id: row
        for row in session.execute(select(OutboxRow).where(OutboxRow.id.in_(newest))).scalars()
    }
    outcomes = {
        row.action_id: row
        for row in session.execute(
            select(OutcomeRow).where(OutcomeRow.action_id.in_(ids))
        ).scalars()
    }
    progress = quorum_progress(session, actions=actions)
    return [
        ActionSummary(a, progress[a.id], deliveries.get(a.id), outcomes.get(a.id)) for a in actions
    ]


def action_record(session: Session, *, action_id: str) -> ActionRecord | None:
    """Return one action with its evidence, progress, decisions, deliveries and outcome."""
    action = get_action(session, action_id=action_id)
    if action is None:
        return None
    cited_by = action.breakdown_id
    found = get_breakdown(session, breakdown_id=cited_by) if cited_by else None
    return ActionRecord(
        action=action,
        progress=progress_for(session, action=action),
        breakdown=Breakdown.model_validate(found.payload) if found is not None else None,
        decisions=decisions_for(session, action_id=action_id),
        deliveries=outbox_for(session, action_id=action_id),
        outcome=session.get(OutcomeRow, action_id),
    )


def count_decisions(session: Session) -> int:
    """Return how many decisions the store holds (every action, every version)."""
    return int(session.scalar(select(func.count()).select_from(DecisionRow)) or 0)
