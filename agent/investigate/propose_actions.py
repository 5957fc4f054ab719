"""Node: file each incident's top fix as a `proposed` action awaiting the council.

This is the only side effect an investigation has, and it is idempotent: ids derive from
the incident and the playbook, so scanning the same window twice files nothing new.
"""

from __future__ import annotations

from langgraph.runtime import Runtime

from agent.actions.proposals import file_proposals
from agent.context import RunContext
from agent.investigate.state import InvestigationState, InvestigationUpdate


def propose_actions(state: InvestigationState, runtime: Runtime[RunContext]) -> InvestigationUpdate:
    """Record breakdowns and proposals in SQL; return which actions are new."""
    assert state.as_of is not None
    filed = file_proposals(
        runtime.context, state.breakdowns, as_of=state.as_of, incidents=state.incidents
    )
    return {
        "breakdowns": filed.breakdowns,
        "incidents": filed.incidents,
        "proposed": filed.proposed,
        "existing": filed.existing,
    }
