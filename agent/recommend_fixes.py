"""Node: rank the playbooks that fit each breakdown by money recovered per week."""

from __future__ import annotations

from langgraph.runtime import Runtime

from agent.context import RunContext
from agent.state import InvestigationState
from tools.recommend import rank_fixes


def recommend_fixes(state: InvestigationState, runtime: Runtime[RunContext]) -> dict[str, object]:
    """Attach the ranked recommendations to every breakdown."""
    playbooks = runtime.context.settings.playbooks
    updated = [
        bd.model_copy(update={"recommendations": rank_fixes(bd, playbooks)})
        for bd in state.breakdowns
    ]
    return {"breakdowns": updated}
