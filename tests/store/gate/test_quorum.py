"""Quorum progress and decision rights: the one rule, on SQLite and PostgreSQL.

The council of `checkout` (quorum 2): maria (journey owner, who proposes), li and sam
(council members), ann (council member, revoked) and vic (viewer). Above it, the council
of `company` (quorum 1: cfo) takes escalations; `payments` is a child of `checkout`
without a council of its own; `orphan` has no council anywhere above it.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from store.gate.actions import escalate_overdue, get_action, revise_action
from store.gate.quorum import QuorumProgress, progress_for, quorum_progress
from store.gate.rules import decide
from store.journeys import revoke_member, save_journeys
from store.journeys.file import CouncilSpec, JourneySpec, MemberSpec
from store.models import DecisionRow
from store.states import Decision
from tests.support.store_fixtures import BACKENDS, propose_fix, store_sessions

NOW = dt.datetime(2026, 4, 1, 9, 0, tzinfo=dt.UTC)


@pytest.fixture(params=BACKENDS)
def sessions(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[sessionmaker[Session]]:
    for factory in store_sessions(
        request.param, tmp_path, os.environ.get("JOURNEYOPS_TEST_PG_URL")
    ):
        members = [
            MemberSpec(user="maria", role="journey_owner"),
            MemberSpec(user="li", role="council_member"),
            MemberSpec(user="sam", role="council_member"),
            MemberSpec(user="ann", role="council_member"),
            MemberSpec(user="vic", role="viewer"),
        ]
        cfo = MemberSpec(user="cfo", role="council_member")
        with factory.begin() as s:
            save_journeys(
                s,
                specs=[
                    JourneySpec(id="company", council=CouncilSpec(quorum=1, members=[cfo])),
                    JourneySpec(
                        id="checkout",
                        parent="company",
                        council=CouncilSpec(quorum=2, members=members),
                    ),
                    JourneySpec(id="payments", parent="checkout"),
                    JourneySpec(id="orphan"),
                ],
            )
            assert revoke_member(s, journey_id="checkout", user="ann", now=NOW)
            for journey in ("checkout", "payments", "orphan"):
                propose_fix(s, f"act-{journey}", now=NOW, journey=journey, proposed_by="maria")
        yield factory


def _progress(sessions: sessionmaker[Session], action_id: str = "act-checkout") -> QuorumProgress:
    with sessions() as s:
        action = get_action(s, action_id=action_id)
        assert action is not None
        return progress_for(s, action=action)


def _decide(
    sessions: sessionmaker[Session],
    user: str,
    decision: Decision = "approve",
    action_id: str = "act-checkout",
) -> None:
    with sessions.begin() as s:
        decide(s, action_id=action_id, user=user, decision=decision, reason="r", now=NOW)


# (user, decision, why they may not decide yet, or None) on a fresh proposal.
RIGHTS = [
    ("li", "approve", None),
    ("li", "reject", None),
    ("maria", "approve", "maria proposed act-checkout and cannot approve it"),
    ("maria", "reject", None),
    ("vic", "approve", "vic is a viewer and has no decision right on checkout"),
    ("ann", "approve", "ann's membership of the council of checkout was revoked"),
    ("mallory", "reject", "mallory is not a member of the council of journey checkout"),
]


@pytest.mark.parametrize(("user", "decision", "why"), RIGHTS)
def test_refusal_says_why_a_user_may_not_decide(
    sessions: sessionmaker[Session], user: str, decision: Decision, why: str | None
) -> None:
    assert _progress(sessions).refusal(user, decision) == why


def test_progress_counts_distinct_deciders_and_names_who_may_still_approve(
    sessions: sessionmaker[Session],
) -> None:
    before = _progress(sessions)
    assert (before.approvals, before.quorum, before.met) == (0, 2, False)
    assert before.deciders == ["li", "maria", "sam"] and before.may_approve == ["li", "sam"]
    _decide(sessions, "li")
    after = _progress(sessions)
    assert (after.approvers, after.decided, after.may_approve) == (["li"], ["li"], ["sam"])
    assert after.refusal("li", "reject") == "li already decided on act-checkout v1"
    _decide(sessions, "sam")
    done = _progress(sessions)
    assert (done.approvals, done.met, done.may_approve) == (2, True, [])
    assert (
        done.refusal("maria", "reject")
        == "action act-checkout is approved, not awaiting a decision"
    )


def test_neither_the_proposer_nor_the_reviser_counts_even_from_a_row_written_in_sql(
    sessions: sessionmaker[Session],
) -> None:
    _decide(sessions, "sam")
    with sessions.begin() as s:
        revised = revise_action(
            s, action_id="act-checkout", payload={"title": "Fix v2"}, by="sam", now=NOW
        )
        # Rows the gate would never write (an import, an older release): they must not count.
        for user in ("maria", "sam"):
            s.add(
                DecisionRow(
                    action_id=revised.id,
                    action_version=revised.version,
                    payload_sha256=revised.payload_sha256,
                    user_name=user,
                    decision="approve",
                    reason="r",
                    decided_at=NOW,
                )
            )
    progress = _progress(sessions)
    assert progress.authors == ["maria", "sam"] and progress.approvers == []
    assert progress.refusal("sam") == "sam proposed act-checkout and cannot approve it"
    assert progress.may_approve == ["li"]


def test_a_revoked_members_approval_stops_counting(sessions: sessionmaker[Session]) -> None:
    _decide(sessions, "li")
    with sessions.begin() as s:
        assert revoke_member(s, journey_id="checkout", user="li", now=NOW)
    progress = _progress(sessions)
    assert (progress.approvals, progress.decided, progress.deciders) == (
        0,
        ["li"],
        ["maria", "sam"],
    )


def test_child_journeys_inherit_and_escalated_actions_move_to_the_council_above(
    sessions: sessionmaker[Session],
) -> None:
    child = _progress(sessions, "act-payments")
    assert child.council.source_journey == "checkout" and child.may_approve == ["li", "sam"]
    orphan = _progress(sessions, "act-orphan")
    assert orphan.nobody_can_decide and orphan.may_approve == []
    assert orphan.refusal("li") == (
        "journey orphan has no council (nor has any parent journey): nobody can decide until "
        "a journeys file gives it one"
    )
    _decide(sessions, "li")
    with sessions.begin() as s:
        escalate_overdue(s, now=NOW + dt.timedelta(days=5), after=dt.timedelta(days=3))
    escalated = _progress(sessions)
    assert escalated.council.source_journey == "company" and escalated.quorum == 1
    # li does not sit on the council above, so li's approval no longer counts.
    assert (escalated.approvals, escalated.may_approve) == (0, ["cfo"])
    assert escalated.refusal("li") == "li is not a member of the council of journey company"


def test_a_batch_agrees_with_each_action_read_alone(sessions: sessionmaker[Session]) -> None:
    _decide(sessions, "li")
    _decide(sessions, "sam", "reject", action_id="act-payments")
    ids = ["act-checkout", "act-payments", "act-orphan"]
    with sessions() as s:
        actions = [a for a in (get_action(s, action_id=i) for i in ids) if a is not None]
        batch = quorum_progress(s, actions=actions)
    assert list(batch) == ids
    assert all(batch[i] == _progress(sessions, i) for i in ids)
    assert batch["act-payments"].decided == ["sam"] and batch["act-payments"].approvals == 0
