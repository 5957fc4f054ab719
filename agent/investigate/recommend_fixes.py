"""Node: rank the playbooks that fit each breakdown by money recovered per week."""

from __future__ import annotations

from langgraph.runtime import Runtime

from agent.context import RunContext
from agent.investigate.state import InvestigationState, InvestigationUpdate
from store.gate.outcomes import track_record
from tools.recommend import rank_fixes


def recommend_fixes(state: InvestigationState, runtime: Runtime[RunContext]) -> InvestigationUpdate:
    """Attach the ranked recommendations, weighed by each playbook's measured track record."""
    ctx = runtime.context
    with ctx.sessions() as session:
        record = track_record(session)
    updated = [
        bd.model_copy(
            update={"recommendations": rank_fixes(bd, ctx.settings.playbooks, track_record=record)}
        )
        for bd in state.breakdowns
    ]
    return {"breakdowns": updated}
