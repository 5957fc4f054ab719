"""Action tools: list what waits for the council, and file a fix for it.

Deciding and dispatching are deliberately not here: a model can propose, never approve.
`propose_action` is the one tool with a side effect, a `proposed` row filed through the
same path a scan uses.
"""

from __future__ import annotations

from agent.actions.proposals import file_proposals
from agent.chat.tools.errors import ToolError
from agent.chat.tools.session import ToolSession
from agent.chat.tools.tool import ResultPart, ToolResult
from store.gate import actions as gate
from store.states import ActionStatus
from tools.units import format_money

_LISTED = 20


class ActionItem(ResultPart):
    action_id: str
    title: str
    journey: str
    playbook: str
    status: ActionStatus
    value_per_week: str


class ActionList(ToolResult):
    """Actions filed for the council, most valuable first (the first 20 of `total`)."""

    actions: list[ActionItem]
    total: int


class Proposal(ToolResult):
    """A fix filed for the council's decision."""

    action_id: str
    status: ActionStatus
    newly_filed: bool
    next: str = "waits for the journey council's decision; nothing runs before it approves"


def list_actions(
    status: ActionStatus | None = None, journey: str | None = None, *, session: ToolSession
) -> ActionList:
    """List the actions filed for council approval and their status.

    Args:
        status: Only actions in this state.
        journey: Only actions of this journey.
    """
    currency = session.ctx.settings.money.currency
    with session.ctx.sessions() as db:
        rows = gate.list_actions(db, status=status, journey_id=journey)
        items = [
            ActionItem(
                action_id=r.id,
                title=r.title,
                journey=r.journey_id,
                playbook=r.playbook,
                status=r.status,
                value_per_week=format_money(r.expected_value_per_week, currency),
            )
            for r in rows[:_LISTED]
        ]
    return ActionList(actions=items, total=len(rows))


def propose_action(breakdown_id: str, playbook: str, *, session: ToolSession) -> Proposal:
    """File a recommended fix for council approval (it cannot approve or run it).

    Args:
        breakdown_id: The breakdown the fix addresses.
        playbook: A playbook recommended for it by recommend_fixes.
    """
    bd, as_of = session.breakdown(breakdown_id)
    if playbook not in {r.playbook for r in bd.recommendations}:
        offered = ", ".join(r.playbook for r in bd.recommendations) or "none"
        raise ToolError(f"playbook {playbook!r} is not recommended for this breakdown ({offered})")
    if not bd.causes and not bd.quotes:
        raise ToolError("no localized cause and no customer evidence: nothing to propose on")
    filed = file_proposals(session.ctx, [bd], as_of=as_of, playbooks={playbook})
    aid = (filed.proposed or filed.existing)[0]
    with session.ctx.sessions() as db:
        row = gate.get_action(db, action_id=aid)
        status = row.status if row else ActionStatus.PROPOSED
    return Proposal(action_id=aid, status=status, newly_filed=bool(filed.proposed))
