"""Chat offers to propose only fixes that are still open (not filed, or awaiting the council)."""

from __future__ import annotations

import pytest

from agent.chat.nodes import _offers
from agent.chat.tools.breakdowns import Fix, Recommendations, still_open
from store.states import ActionStatus

OPEN = {None, ActionStatus.PROPOSED, ActionStatus.BLOCKED}


@pytest.mark.parametrize("status", [None, *ActionStatus])
def test_only_unfiled_or_waiting_fixes_are_still_open(status: ActionStatus | None) -> None:
    assert still_open(status) == (status in OPEN)


def test_the_chat_offers_no_dispatched_or_rejected_fix() -> None:
    statuses = [None, ActionStatus.DISPATCHED, ActionStatus.REJECTED, ActionStatus.PROPOSED]
    recs = Recommendations(
        breakdown_id="bd-1",
        recommendations=[
            Fix(
                rank=i,
                playbook=f"p{i}",
                title=f"fix {i}",
                value_per_week="USD 1",
                effort="S",
                confidence=0.5,
                filed_status=s,
            )
            for i, s in enumerate(statuses, start=1)
        ],
    )
    assert [o["n"] for o in _offers(recs)] == [1, 4]
