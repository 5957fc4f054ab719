"""The reads behind the inbox, the history, the action page and the CLI, batched.

Journey `fast` needs one approval, `slow` two; li and sam sit on both councils. Every third
action is approved (an outbox row waits), every third approved and checked (an outcome),
and every third waits on `slow` with one approval of two.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import event
from sqlalchemy.orm import Session, sessionmaker

from store.gate.outcomes import record_outcome
from store.gate.records import action_record, action_summaries, count_decisions
from store.gate.rules import decide
from store.journeys import save_journeys
from store.journeys.file import CouncilSpec, JourneySpec, MemberSpec
from store.states import ActionStatus
from tests.support.store_fixtures import BACKENDS, propose_fix, store_sessions

NOW = dt.datetime(2026, 4, 1, 9, 0, tzinfo=dt.UTC)


@pytest.fixture(params=BACKENDS)
def sessions(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[sessionmaker[Session]]:
    for factory in store_sessions(
        request.param, tmp_path, os.environ.get("JOURNEYOPS_TEST_PG_URL")
    ):
        members = [MemberSpec(user=u, role="council_member") for u in ("li", "sam")]
        with factory.begin() as s:
            save_journeys(
                s,
                specs=[
                    JourneySpec(id="fast", council=CouncilSpec(quorum=1, members=members)),
                    JourneySpec(id="slow", council=CouncilSpec(quorum=2, members=members)),
                ],
            )
        yield factory


def _file(sessions: sessionmaker[Session], first: int, last: int) -> None:
    """File actions act-<first>..act-<last - 1> in the three shapes the module names."""
    for i in range(first, last):
        action_id, shape = f"act-{i:03d}", i % 3
        with sessions.begin() as s:
            journey = "slow" if shape == 2 else "fast"
            propose_fix(s, action_id, now=NOW, journey=journey, value=float(i))
            decide(s, action_id=action_id, user="li", decision="approve", reason="r", now=NOW)
            if shape == 1:
                record_outcome(
                    s,
                    action_id=action_id,
                    verdict="recovered",
                    metric="conversion",
                    window_start=dt.date(2026, 4, 2),
                    window_end=dt.date(2026, 4, 15),
                    numbers={"recovered_share": 0.8},
                    now=NOW,
                )


def _statements(sessions: sessionmaker[Session], read: Callable[[Session], object]) -> list[str]:
    """Return the SQL statements `read` sends, counted at the cursor."""
    seen: list[str] = []

    def count(*args: object) -> None:
        seen.append(str(args[2]))

    engine = sessions.kw["bind"]
    event.listen(engine, "before_cursor_execute", count)
    try:
        with sessions() as s:
            read(s)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return seen


def test_listing_costs_the_same_queries_for_3_and_30_actions(
    sessions: sessionmaker[Session],
) -> None:
    _file(sessions, 0, 3)
    few = _statements(sessions, lambda s: action_summaries(s))
    _file(sessions, 3, 30)
    many = _statements(sessions, lambda s: action_summaries(s))
    assert len(few) == len(many), many
    with sessions() as s:
        rows = action_summaries(s)
    assert len(rows) == 30 and rows[0].action.id == "act-029"  # most valuable first
    by_shape = {int(r.action.id[-3:]) % 3: r for r in rows}
    approved, checked, waiting = by_shape[0], by_shape[1], by_shape[2]
    assert approved.delivery is not None and approved.delivery.status == "pending"
    assert approved.outcome is None and approved.progress.met
    assert checked.outcome is not None and checked.outcome.verdict == "recovered"
    assert waiting.delivery is None and waiting.progress.approvers == ["li"]
    assert (waiting.progress.approvals, waiting.progress.quorum) == (1, 2)
    assert waiting.progress.may_approve == ["sam"]


def test_filters_list_only_matching_actions(sessions: sessionmaker[Session]) -> None:
    _file(sessions, 0, 6)
    with sessions() as s:
        waiting = action_summaries(s, status=ActionStatus.PROPOSED)
        fast = action_summaries(s, journey_id="fast")
        none = action_summaries(s, journey_id="nowhere")
    assert [r.action.id for r in waiting] == ["act-005", "act-002"]
    assert {r.action.journey_id for r in fast} == {"fast"} and len(fast) == 4
    assert none == []


def test_one_record_holds_what_a_council_member_needs(sessions: sessionmaker[Session]) -> None:
    _file(sessions, 0, 3)
    with sessions() as s:
        record = action_record(s, action_id="act-001")
        missing = action_record(s, action_id="act-404")
        decisions = count_decisions(s)
    assert missing is None and record is not None and decisions == 3
    assert record.action.status == ActionStatus.RECOVERED and record.breakdown is None
    assert [(d.user_name, d.decision) for d in record.decisions] == [("li", "approve")]
    assert [o.status for o in record.deliveries] == ["pending"]
    assert record.outcome is not None and record.progress.approvers == ["li"]
