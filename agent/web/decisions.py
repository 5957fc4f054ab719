"""Record a council decision from the app: a single-use confirmation first, then the gate.

The app mints a fresh confirmation bound to the user, the action and the payload hash they
reviewed, and consumes it before anything else; the decision itself goes through the same
gate caller as the CLI (`agent.actions.decisions.decide_then_resume`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from agent.actions.decisions import decide_then_resume
from agent.context import RunContext
from store.gate.actions import get_action
from store.gate.rules import DecisionOutcome, DecisionRefused
from store.signin.tokens import consume_confirmation, issue_confirmation
from store.states import ActionStatus


@dataclass
class DecisionResult:
    """What a decision attempt did: the outcome, or why nothing was recorded."""

    outcome: DecisionOutcome | None
    problem: str = ""
    status_code: int = 200


def new_confirmation(ctx: RunContext, *, user: str, action_id: str) -> str | None:
    """Return a fresh confirmation for deciding on the action's current payload."""
    ttl = dt.timedelta(minutes=ctx.settings.web.confirm_minutes)
    with ctx.sessions.begin() as session:
        action = get_action(session, action_id=action_id)
        if action is None or action.status != ActionStatus.PROPOSED:
            return None
        return issue_confirmation(
            session,
            user=user,
            action_id=action_id,
            payload_sha256=action.payload_sha256,
            now=ctx.clock(),
            ttl=ttl,
        )


def record_decision(
    ctx: RunContext, *, user: str, action_id: str, decision: str, reason: str, confirmation: str
) -> DecisionResult:
    """Consume the confirmation, then let the gate decide; refusals record nothing else."""
    if decision not in ("approve", "reject"):
        return DecisionResult(None, "a decision is approve or reject", 400)
    with ctx.sessions.begin() as session:
        action = get_action(session, action_id=action_id)
        if action is None:
            return DecisionResult(None, f"no action {action_id}", 404)
        problem = consume_confirmation(
            session,
            nonce=confirmation,
            user=user,
            action_id=action_id,
            payload_sha256=action.payload_sha256,
            now=ctx.clock(),
        )
    if problem is not None:
        return DecisionResult(None, problem, 409)
    try:
        outcome = decide_then_resume(
            ctx,
            action_id=action_id,
            user=user,
            decision="approve" if decision == "approve" else "reject",
            reason=reason,
        )
    except DecisionRefused as exc:
        return DecisionResult(None, str(exc), 409)
    return DecisionResult(outcome)
