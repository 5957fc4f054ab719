"""The approval gate in SQL: who may decide, quorum, expiry, append-only decisions."""

from __future__ import annotations

import datetime as dt
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Literal

import pytest
from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from store.audit import events_for, verify_chain
from store.gate.actions import decisions_for, get_action, list_actions, propose_action
from store.gate.outbox import outbox_for
from store.gate.rules import (
    DecisionOutcome,
    DecisionRefused,
    approval_problem,
    decide,
    expire_overdue,
    payload_hash,
)
from store.journeys import revoke_member, save_journeys
from store.journeys.file import CouncilSpec, JourneySpec, MemberSpec
from store.models import ActionRow, AuditEvent, DecisionRow
from tests.support.store_fixtures import BACKENDS, store_sessions

NOW = dt.datetime(2026, 4, 1, 9, 0, tzinfo=dt.UTC)
PAYLOAD = {"action_id": "act-1", "segment": {"channel": "app"}, "value": 1.5}


@pytest.fixture(params=BACKENDS)
def sessions(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[sessionmaker[Session]]:
    yield from store_sessions(request.param, tmp_path, os.environ.get("JOURNEYOPS_TEST_PG_URL"))


def _council(quorum: int = 1, high_risk_quorum: int | None = None) -> CouncilSpec:
    return CouncilSpec(
        quorum=quorum,
        high_risk_playbooks=["reprice"],
        high_risk_quorum=high_risk_quorum,
        members=[
            MemberSpec(user="maria", role="journey_owner"),
            MemberSpec(user="li", role="council_member"),
            MemberSpec(user="sam", role="council_member"),
            MemberSpec(user="root", role="admin"),
            MemberSpec(user="vic", role="viewer"),
        ],
    )


def _setup(
    sessions: sessionmaker[Session],
    *,
    quorum: int = 1,
    high_risk_quorum: int | None = None,
    action: str = "act-1",
    playbook: str = "fix_payment_path",
    council: bool = True,
) -> None:
    with sessions.begin() as s:
        save_journeys(
            s,
            specs=[
                JourneySpec(
                    id="commerce",
                    name="Commerce",
                    council=_council(quorum, high_risk_quorum) if council else None,
                ),
                JourneySpec(id="checkout", parent="commerce", stages=["cart", "payment"]),
            ],
        )
        propose_action(
            s,
            action_id=action,
            breakdown_id=None,
            journey_id="checkout",
            playbook=playbook,
            title="Fix",
            workflow="engineering",
            payload=PAYLOAD,
            expected_value_per_week=1000.0,
            proposed_by="maria",
            expires_at=NOW + dt.timedelta(days=14),
            now=NOW,
        )


def _decide(
    sessions: sessionmaker[Session],
    user: str,
    decision: Literal["approve", "reject"] = "approve",
    *,
    when: dt.datetime = NOW,
    reason: str = "evidence is clear",
) -> DecisionOutcome:
    with sessions.begin() as s:
        return decide(s, action_id="act-1", user=user, decision=decision, reason=reason, now=when)


def _status(sessions: sessionmaker[Session]) -> str:
    with sessions() as s:
        action = get_action(s, action_id="act-1")
        assert action is not None
        return action.status


def _count(sessions: sessionmaker[Session], model: type[DecisionRow] | type[AuditEvent]) -> int:
    with sessions() as s:
        return int(s.execute(select(func.count()).select_from(model)).scalar_one())


@pytest.mark.parametrize(
    ("user", "why"),
    [
        ("mallory", "not a member"),
        ("vic", "viewer and has no decision right"),
        ("root", "admin and has no decision right"),
        ("maria", "proposed act-1 and cannot approve"),
    ],
)
def test_approval_by_outsider_viewer_admin_or_proposer_is_refused_and_writes_nothing(
    sessions: sessionmaker[Session], user: str, why: str
) -> None:
    _setup(sessions)
    audit_before = _count(sessions, AuditEvent)
    with pytest.raises(DecisionRefused, match=why):
        _decide(sessions, user)
    assert _count(sessions, DecisionRow) == 0
    assert _count(sessions, AuditEvent) == audit_before
    assert _status(sessions) == "proposed"


def test_member_approval_is_recorded_with_who_when_why_and_the_payload_hash(
    sessions: sessionmaker[Session],
) -> None:
    _setup(sessions)
    outcome = _decide(sessions, "li")
    assert (outcome.status, outcome.approvals, outcome.quorum) == ("approved", 1, 1)
    with sessions() as s:
        [d] = decisions_for(s, action_id="act-1")
        assert (d.user_name, d.decision, d.reason, d.decided_at) == (
            "li",
            "approve",
            "evidence is clear",
            NOW,
        )
        assert d.decided_at.tzinfo is not None
        assert d.payload_sha256 == payload_hash(PAYLOAD)
        kinds = [e.kind for e in events_for(s, subject="act-1")]
        assert kinds == ["action.proposed", "decision.approve", "outbox.queued"]


def test_quorum_of_two_needs_two_distinct_members(sessions: sessionmaker[Session]) -> None:
    _setup(sessions, quorum=2)
    assert _decide(sessions, "li").status == "proposed"
    with pytest.raises(DecisionRefused, match="li already decided"):
        _decide(sessions, "li")
    outcome = _decide(sessions, "sam")
    assert (outcome.status, outcome.approvals) == ("approved", 2)
    with pytest.raises(DecisionRefused, match="is approved, not awaiting"):
        _decide(sessions, "maria", "reject")


def test_a_second_decision_by_the_same_user_is_refused_even_a_reject(
    sessions: sessionmaker[Session],
) -> None:
    _setup(sessions, quorum=2)
    _decide(sessions, "li")
    with pytest.raises(DecisionRefused, match="already decided"):
        _decide(sessions, "li", "reject")
    assert _count(sessions, DecisionRow) == 1 and _status(sessions) == "proposed"


def test_high_risk_playbook_uses_the_high_risk_quorum(sessions: sessionmaker[Session]) -> None:
    _setup(sessions, quorum=1, high_risk_quorum=2, playbook="reprice")
    outcome = _decide(sessions, "li")
    assert (outcome.status, outcome.quorum) == ("proposed", 2)
    assert _decide(sessions, "sam").status == "approved"


def test_concurrent_approvals_both_count(sessions: sessionmaker[Session]) -> None:
    _setup(sessions, quorum=2)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []
    errors: list[BaseException] = []

    def approve(user: str) -> None:
        try:
            barrier.wait(timeout=10)
            outcomes.append(_decide(sessions, user).status)
        except BaseException as exc:  # reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=approve, args=(u,)) for u in ("li", "sam")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert errors == []
    assert sorted(outcomes) == ["approved", "proposed"]
    assert _status(sessions) == "approved"
    with sessions() as s:
        assert verify_chain(s).ok


def test_revoked_member_cannot_decide(sessions: sessionmaker[Session]) -> None:
    _setup(sessions)
    with sessions.begin() as s:
        assert revoke_member(s, journey_id="commerce", user="li", now=NOW)
    with pytest.raises(DecisionRefused, match="revoked"):
        _decide(sessions, "li")


def test_journey_without_any_council_cannot_be_decided(sessions: sessionmaker[Session]) -> None:
    _setup(sessions, council=False)
    with pytest.raises(DecisionRefused, match="has no council"):
        _decide(sessions, "li")


def test_decision_without_a_reason_is_refused(sessions: sessionmaker[Session]) -> None:
    _setup(sessions)
    with pytest.raises(DecisionRefused, match="needs a reason"):
        _decide(sessions, "li", reason="  ")


def test_deciding_on_an_overdue_action_expires_it_and_is_refused(
    sessions: sessionmaker[Session],
) -> None:
    _setup(sessions)
    late = NOW + dt.timedelta(days=15)
    # The refusal is caught inside the transaction, so the expiry it wrote is committed.
    with sessions.begin() as s, pytest.raises(DecisionRefused, match="expired at"):
        decide(s, action_id="act-1", user="li", decision="approve", reason="ok", now=late)
    assert _status(sessions) == "expired"
    assert _count(sessions, DecisionRow) == 0
    with pytest.raises(DecisionRefused, match="is expired"):
        _decide(sessions, "li", when=late)


def test_expire_overdue_moves_only_overdue_proposals(sessions: sessionmaker[Session]) -> None:
    _setup(sessions)
    with sessions.begin() as s:
        assert expire_overdue(s, now=NOW + dt.timedelta(days=1)) == []
        assert expire_overdue(s, now=NOW + dt.timedelta(days=15)) == ["act-1"]
    with sessions() as s:
        assert [e.kind for e in events_for(s, subject="act-1")][-1] == "action.expired"
        assert [a.id for a in list_actions(s, status="expired")] == ["act-1"]


def test_reject_moves_the_action_to_rejected(sessions: sessionmaker[Session]) -> None:
    _setup(sessions, quorum=2)
    _decide(sessions, "li")
    assert _decide(sessions, "sam", "reject").status == "rejected"
    with sessions() as s:
        assert [(d.user_name, d.decision) for d in decisions_for(s, action_id="act-1")] == [
            ("li", "approve"),
            ("sam", "reject"),
        ]


def test_decisions_are_never_updated_or_deleted(sessions: sessionmaker[Session]) -> None:
    _setup(sessions, quorum=2)
    _decide(sessions, "li")
    _decide(sessions, "sam")
    for statement in (
        update(DecisionRow).values(decision="reject"),
        delete(DecisionRow),
    ):
        with pytest.raises(DBAPIError, match="append-only"), sessions.begin() as s:
            s.execute(statement)
    with sessions() as s:
        rows = [(d.id, d.user_name, d.decision) for d in decisions_for(s, action_id="act-1")]
    assert [r[1:] for r in rows] == [("li", "approve"), ("sam", "approve")]


def test_proposing_twice_files_one_action_and_one_audit_event(
    sessions: sessionmaker[Session],
) -> None:
    _setup(sessions)
    with sessions.begin() as s:
        row, created = propose_action(
            s,
            action_id="act-1",
            breakdown_id=None,
            journey_id="checkout",
            playbook="other",
            title="Other",
            workflow="engineering",
            payload={"changed": True},
            expected_value_per_week=1.0,
            proposed_by="someone",
            expires_at=NOW,
            now=NOW,
        )
        assert not created and row.payload_sha256 == payload_hash(PAYLOAD)
    assert _count(sessions, AuditEvent) == 1
    with sessions() as s:
        assert s.execute(select(func.count()).select_from(ActionRow)).scalar_one() == 1


def test_only_the_decision_that_meets_quorum_queues_the_delivery(
    sessions: sessionmaker[Session],
) -> None:
    _setup(sessions, quorum=2)
    _decide(sessions, "li")
    with sessions() as s:
        assert outbox_for(s, action_id="act-1") == []
    _decide(sessions, "sam")
    with sessions() as s:
        [row] = outbox_for(s, action_id="act-1")
        action = get_action(s, action_id="act-1")
        assert action is not None
        assert (row.status, row.action_version, row.payload_sha256, row.target) == (
            "pending",
            1,
            payload_hash(PAYLOAD),
            "engineering",
        )
        assert (
            approval_problem(s, action=action, version=1, payload_sha256=row.payload_sha256) is None
        )
        assert "is at v1; v0 was approved" in str(
            approval_problem(s, action=action, version=0, payload_sha256=row.payload_sha256)
        )
