"""Only `propose_action` declares a side effect, and that is the only row any tool writes.

Every table of the SQL store is read before and after each call, so a tool that decided,
queued a workflow (the outbox is the only way anything is sent) or touched an action's
status would show up here whatever its name says.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from agent.chat.tools.actions import Proposal
from agent.chat.tools.registry import REGISTRY
from agent.chat.tools.session import ToolSession
from store.models import ActionRow, Base
from store.states import ActionStatus

Snapshot = dict[str, list[tuple[object, ...]]]


def _snapshot(session: ToolSession) -> Snapshot:
    with session.ctx.sessions() as db:
        return {
            table.name: [
                tuple(row) for row in db.execute(select(table).order_by(*table.primary_key))
            ]
            for table in Base.metadata.sorted_tables
        }


def test_only_propose_action_declares_a_side_effect() -> None:
    assert [t.name for t in REGISTRY.tools if t.side_effect] == ["propose_action"]


@pytest.mark.parametrize("name", [t.name for t in REGISTRY.tools if not t.side_effect])
def test_a_read_only_tool_writes_no_row(
    session: ToolSession, arguments: dict[str, dict[str, object]], name: str
) -> None:
    before = _snapshot(session)
    outcome = REGISTRY.execute(session, name, arguments[name])
    assert outcome.ok, outcome.error
    assert _snapshot(session) == before


def test_propose_action_files_a_proposed_row_and_decides_or_sends_nothing(
    session: ToolSession, arguments: dict[str, dict[str, object]]
) -> None:
    before = _snapshot(session)
    first = REGISTRY.execute(session, "propose_action", arguments["propose_action"])
    after = _snapshot(session)
    again = REGISTRY.execute(session, "propose_action", arguments["propose_action"])

    assert isinstance(first.result, Proposal) and isinstance(again.result, Proposal)
    assert first.result.newly_filed and not again.result.newly_filed
    assert first.result.action_id == again.result.action_id
    assert _snapshot(session) == after
    changed = {name for name in before if before[name] != after[name]}
    assert changed <= {"breakdowns", "actions", "audit_events"}
    assert "actions" in changed
    for untouched in ("decisions", "outbox", "outcomes"):
        assert after[untouched] == before[untouched] == []
    with session.ctx.sessions() as db:
        rows = db.scalars(select(ActionRow)).all()
    assert [(r.id, r.status) for r in rows] == [(first.result.action_id, ActionStatus.PROPOSED)]
