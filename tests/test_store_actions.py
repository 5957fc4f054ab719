"""The approval gate in SQL: who may decide, quorum, append-only decisions, audit chain."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select, text, update
from sqlalchemy.orm import Session, sessionmaker

from store.actions import DecisionRefused, decide, decisions_for, get_action, propose_action
from store.audit import append_event, verify_chain
from store.journeys import council_for, revoke_member, save_journeys
from store.journeys_file import CouncilSpec, JourneySpec, MemberSpec
from store.models import AuditEvent, DecisionRow
from tests.store_fixtures import BACKENDS, store_sessions

NOW = dt.datetime(2026, 4, 1, 9, 0, tzinfo=dt.UTC)


@pytest.fixture(params=BACKENDS)
def sessions(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[sessionmaker[Session]]:
    yield from store_sessions(request.param, tmp_path, os.environ.get("JOURNEYOPS_TEST_PG_URL"))


def _council(quorum: int = 1) -> CouncilSpec:
    return CouncilSpec(
        quorum=quorum,
        members=[
            MemberSpec(user="maria", role="journey_owner"),
            MemberSpec(user="li", role="council_member"),
            MemberSpec(user="sam", role="council_member"),
            MemberSpec(user="root", role="admin"),
            MemberSpec(user="vic", role="viewer"),
        ],
    )


def _setup(sessions: sessionmaker[Session], *, quorum: int = 1, action: str = "act-1") -> None:
    with sessions.begin() as s:
        save_journeys(
            s,
            specs=[
                JourneySpec(id="commerce", name="Commerce", council=_council(quorum)),
                JourneySpec(
                    id="checkout", name="Checkout", parent="commerce", stages=["cart", "payment"]
                ),
            ],
        )
        propose_action(
            s,
            action_id=action,
            breakdown_id=None,
            journey_id="checkout",
            playbook="fix_payment_path",
            title="Fix",
            workflow="engineering",
            payload={"action_id": action, "segment": {"channel": "app"}},
            expected_value_per_week=1000.0,
            proposed_by="maria",
            expires_at=NOW + dt.timedelta(days=14),
            now=NOW,
        )


def _decide(
    sessions: sessionmaker[Session],
    user: str,
    decision: str = "approve",
    *,
    when: dt.datetime = NOW,
    action: str = "act-1",
) -> str:
    with sessions.begin() as s:
        return decide(
            s,
            action_id=action,
            user=user,
            decision=decision,
            reason="evidence is clear",  # type: ignore[arg-type]
            now=when,
        ).status


@pytest.mark.parametrize(
    ("user", "why"),
    [("mallory", "not a member"), ("vic", "viewer"), ("root", "admin"), ("maria", "proposed")],
)
def test_refused_deciders_write_nothing(
    sessions: sessionmaker[Session], user: str, why: str
) -> None:
    _setup(sessions)
    with pytest.raises(DecisionRefused, match=why):
        _decide(sessions, user)
    with sessions() as s:
        assert decisions_for(s, action_id="act-1") == []
        assert get_action(s, action_id="act-1").status == "proposed"  # type: ignore[union-attr]


def test_member_approval_is_recorded_with_who_when_and_why(sessions: sessionmaker[Session]) -> None:
    _setup(sessions)
    assert _decide(sessions, "li") == "approved"
    with sessions() as s:
        [d] = decisions_for(s, action_id="act-1")
        assert (d.user_name, d.decision, d.reason, d.decided_at) == (
            "li",
            "approve",
            "evidence is clear",
            NOW,
        )
        assert d.payload_sha256 == get_action(s, action_id="act-1").payload_sha256  # type: ignore[union-attr]


def test_children_inherit_the_parent_council(sessions: sessionmaker[Session]) -> None:
    _setup(sessions)
    with sessions() as s:
        view = council_for(s, journey_id="checkout")
    assert view.source_journey == "commerce" and view.deciders() == {"maria", "li", "sam"}


def test_quorum_needs_distinct_members_and_a_second_vote_by_one_user_is_refused(
    sessions: sessionmaker[Session],
) -> None:
    _setup(sessions, quorum=2)
    assert _decide(sessions, "li") == "proposed"
    with pytest.raises(DecisionRefused, match="already decided"):
        _decide(sessions, "li")
    assert _decide(sessions, "sam") == "approved"
    with pytest.raises(DecisionRefused, match="approved"):
        _decide(sessions, "maria", "reject")


def test_revoked_member_cannot_decide(sessions: sessionmaker[Session]) -> None:
    _setup(sessions)
    with sessions.begin() as s:
        assert revoke_member(s, journey_id="commerce", user="li", now=NOW)
    with pytest.raises(DecisionRefused, match="revoked"):
        _decide(sessions, "li")


def test_expired_action_cannot_be_approved(sessions: sessionmaker[Session]) -> None:
    _setup(sessions)
    with pytest.raises(DecisionRefused, match="expired"):
        _decide(sessions, "li", when=NOW + dt.timedelta(days=15))


def test_reject_moves_the_action_and_decisions_are_never_updated(
    sessions: sessionmaker[Session],
) -> None:
    _setup(sessions)
    assert _decide(sessions, "sam", "reject") == "rejected"
    with sessions() as s:
        rows = s.execute(select(DecisionRow)).scalars().all()
        assert [(r.user_name, r.decision) for r in rows] == [("sam", "reject")]


def test_proposing_twice_files_one_action(sessions: sessionmaker[Session]) -> None:
    _setup(sessions)
    _setup(sessions)
    with sessions() as s:
        assert s.execute(text("SELECT count(*) FROM actions")).scalar_one() == 1


@pytest.mark.parametrize("mutation", ["edit", "delete", "reorder"])
def test_audit_tampering_is_detected(sessions: sessionmaker[Session], mutation: str) -> None:
    _setup(sessions)
    _decide(sessions, "li")
    with sessions.begin() as s:
        for i in range(3):
            append_event(s, actor="x", kind="note", subject=f"s{i}", data={"i": i}, now=NOW)
    with sessions() as s:
        assert verify_chain(s).ok and verify_chain(s).events == 5
    with sessions.begin() as s:
        if mutation == "edit":
            s.execute(update(AuditEvent).where(AuditEvent.seq == 2).values(actor="mallory"))
        elif mutation == "delete":
            s.execute(AuditEvent.__table__.delete().where(AuditEvent.seq == 3))
        else:
            s.execute(update(AuditEvent).where(AuditEvent.seq == 3).values(seq=100))
            s.execute(update(AuditEvent).where(AuditEvent.seq == 4).values(seq=3))
            s.execute(update(AuditEvent).where(AuditEvent.seq == 100).values(seq=4))
    with sessions() as s:
        result = verify_chain(s)
    assert not result.ok and result.first_bad_seq is not None
