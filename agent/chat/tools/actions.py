"""Chat tools over the approval flow: list actions, and file a fix for the council.

Deciding and dispatching are deliberately not here: a model can propose, never approve.
"""

from __future__ import annotations

from agent.actions.proposals import file_proposals
from agent.chat.tools.args import ListActionsArgs, ProposeArgs
from agent.chat.tools.registry import ToolError
from agent.chat.tools.session import ToolSession
from store.gate.actions import get_action, list_actions
from store.states import ActionStatus
from tools.units import format_money


def actions(s: ToolSession, a: ListActionsArgs) -> dict[str, object]:
    """Actions filed for the council, most valuable first."""
    with s.ctx.sessions() as session:
        rows = list_actions(session, status=a.status, journey_id=a.journey)
        items = [
            {
                "action_id": r.id,
                "title": r.title,
                "journey": r.journey_id,
                "playbook": r.playbook,
                "status": r.status,
                "value_per_week": format_money(
                    r.expected_value_per_week, s.ctx.settings.money.currency
                ),
            }
            for r in rows[:20]
        ]
    return {"actions": items, "total": len(rows)}


def propose(s: ToolSession, a: ProposeArgs) -> dict[str, object]:
    """File one recommended fix as a proposal; only the council can approve it."""

    bd, as_of = s.breakdown(a.breakdown_id)
    if a.playbook not in {r.playbook for r in bd.recommendations}:
        offered = ", ".join(r.playbook for r in bd.recommendations) or "none"
        raise ToolError(
            f"playbook {a.playbook!r} is not recommended for this breakdown ({offered})"
        )
    if not bd.causes and not bd.quotes:
        raise ToolError("no localized cause and no customer evidence: nothing to propose on")
    filed = file_proposals(s.ctx, [bd], as_of=as_of, playbooks={a.playbook})
    aid = (filed.proposed or filed.existing)[0]
    with s.ctx.sessions() as session:
        row = get_action(session, action_id=aid)
        status = row.status if row else ActionStatus.PROPOSED
    return {
        "action_id": aid,
        "status": status,
        "newly_filed": bool(filed.proposed),
        "next": "waits for the journey council's decision; nothing runs before it approves",
    }
