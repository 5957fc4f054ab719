"""The gate's caller: record a council decision in SQL, then resume the action's thread.

Every way a person decides goes through `decide_then_resume`: the CLI (for the user named
on the command line), the web app (after it has consumed its single-use confirmation), and
any later channel. Each caller authenticates the user and checks its own confirmation
first; the gate (`store.gate`) then checks the decision rights, and only a decision it has
committed resumes the action graph's thread. A thread that cannot be resumed is caught up
by the next resume of that action; the decision stands either way.
"""

from __future__ import annotations

from collections.abc import Callable

from agent.actions.crash import crash_point
from agent.actions.graph import resume_after_commit
from agent.context import RunContext
from store.gate.actions import decide_and_commit
from store.gate.rules import DecisionOutcome
from store.states import Decision

__all__ = ["decide_then_resume"]


def decide_then_resume(
    run: RunContext,
    *,
    action_id: str,
    user: str,
    decision: Decision,
    reason: str,
    warn: Callable[[str], None] | None = None,
) -> DecisionOutcome:
    """Let the gate record `user`'s decision, commit it, then resume the action's thread.

    Raises `store.gate.actions.DecisionRefused` (nothing recorded but an expiry the gate
    found on the way) when the gate does not accept the decision. `warn` hears about a
    thread that could not be resumed (default: the run's status line).
    """
    outcome = decide_and_commit(
        run.sessions,
        action_id=action_id,
        user=user,
        decision=decision,
        reason=reason,
        now=run.clock(),
    )
    crash_point("after_decision")
    resume_after_commit(run, [action_id], warn=warn)
    return outcome
