"""Node: group breakdowns that share a cause into incidents, the unit proposals are filed for.

Incidents whose pattern a council member dismissed (or snoozed, until its date) are set
aside as suppressed, with who said so and why, and are not filed.
"""

from __future__ import annotations

from langgraph.runtime import Runtime

from agent.context import RunContext
from agent.investigate.state import InvestigationState, InvestigationUpdate
from store.findings import Incident, Suppressed
from store.incidents import Feedback, active_feedback, pattern_id
from tools.incidents import group_incidents as group


def group_incidents(state: InvestigationState, runtime: Runtime[RunContext]) -> InvestigationUpdate:
    """Attach the incidents: same journey and window, same segment or the same mix shift."""
    ctx = runtime.context
    assert state.as_of is not None, "detect_breakdowns sets as_of first"
    # Localization restated the money of mix shifts and tracking gaps: re-rank by it.
    ranked = sorted(state.breakdowns, key=lambda b: -b.impact.per_week)
    incidents = group(ranked, data_owner=ctx.settings.incidents.data_owner)
    with ctx.sessions() as session:
        silenced = active_feedback(session, on=state.as_of)
    kept: list[Incident] = []
    suppressed: list[Suppressed] = []
    for inc in incidents:
        said = silenced.get(pattern_id(inc.journey, inc.kind, inc.segment))
        if said is None:
            kept.append(inc)
        else:
            suppressed.append(_suppressed(inc, said))
    return {"breakdowns": ranked, "incidents": kept, "suppressed": suppressed}


def _suppressed(inc: Incident, said: Feedback) -> Suppressed:
    why = said.feedback if said.until is None else f"snoozed until {said.until}"
    return Suppressed(
        incident_id=inc.id,
        journey=inc.journey,
        kind=inc.kind,
        segment=inc.segment,
        feedback=why,
        reason=said.reason,
        by=said.by,
    )
