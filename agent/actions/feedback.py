"""Council feedback on an incident: dismiss it (expected, false alarm) or snooze it.

The CLI (`journeyops incidents dismiss|snooze`) and the council app both come through here.
The incident is looked up among the newest scan's; the store checks the decision right and
writes the audit event (`store.incidents.record_feedback`).
"""

from __future__ import annotations

import datetime as dt

from agent.context import RunContext
from store.breakdowns import latest_findings
from store.findings import Incident
from store.incidents import Feedback, FeedbackKind, FeedbackRefused, record_feedback
from tools.incidents import group_incidents


def current_incidents(ctx: RunContext) -> list[Incident]:
    """Return the incidents of the newest scan."""
    with ctx.sessions() as session:
        found = latest_findings(session)
    return group_incidents(found, data_owner=ctx.settings.incidents.data_owner)


def give_feedback(
    ctx: RunContext,
    *,
    incident_id: str,
    feedback: FeedbackKind,
    reason: str,
    by: str,
    until: dt.date | None = None,
) -> Feedback:
    """Record `by`'s feedback on an incident of the newest scan; raise FeedbackRefused if not."""
    inc = next((i for i in current_incidents(ctx) if i.id == incident_id), None)
    if inc is None:
        raise FeedbackRefused(f"no incident {incident_id} in the newest scan")
    with ctx.sessions.begin() as session:
        return record_feedback(
            session,
            incident_id=inc.id,
            journey=inc.journey,
            kind=inc.kind,
            segment=inc.segment,
            feedback=feedback,
            reason=reason,
            by=by,
            until=until,
            now=ctx.clock(),
        )
