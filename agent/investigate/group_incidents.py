"""Node: group breakdowns that share a cause into incidents, the unit proposals are filed for."""

from __future__ import annotations

from langgraph.runtime import Runtime

from agent.context import RunContext
from agent.investigate.state import InvestigationState, InvestigationUpdate
from tools.incidents import group_incidents as group


def group_incidents(state: InvestigationState, runtime: Runtime[RunContext]) -> InvestigationUpdate:
    """Attach the incidents: same journey and window, same segment or the same mix shift."""
    owner = runtime.context.settings.incidents.data_owner
    # Localization restated the money of mix shifts and tracking gaps: re-rank by it.
    ranked = sorted(state.breakdowns, key=lambda b: -b.impact.per_week)
    return {"breakdowns": ranked, "incidents": group(ranked, data_owner=owner)}
