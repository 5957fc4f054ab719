"""Quorum rules as a table: approvals that must never count, on SQLite and PostgreSQL.

Each row is a script of steps on its own journey (own council of quorum 2) in one shared
database per backend; a step either succeeds or is refused with the given reason. Then the
action's status, the approvals that count and the outbox are checked, and the dispatcher's
re-check (`approval_problem`) must agree.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from store.gate.actions import RevisionRefused, get_action, revise_action
from store.gate.outbox import claim_due, latest_outbox
from store.gate.quorum import progress_for
from store.gate.rules import DecisionRefused, approval_problem, decide
from store.journeys import revoke_member, save_journeys
from store.journeys.file import CouncilSpec, JourneySpec, MemberSpec
from store.models import ActionRow
from tests.support.store_fixtures import BACKENDS, propose_fix, store_sessions

NOW = dt.datetime(2026, 4, 1, 9, 0, tzinfo=dt.UTC)
EXPIRES = NOW + dt.timedelta(days=14)
PAYLOAD = {"title": "Roll back 5.2 payment SDK", "segment": {"app_version": "5.2"}}
LATE = NOW + dt.timedelta(days=15)

# (verb, user, expected refusal substring or None); verbs: approve, reject, approve_late,
# revoke, revise, tamper (edit the stored payload in SQL, as an attacker with DB access).
Step = tuple[str, str, str | None]
CASES: dict[str, tuple[list[Step], str, int]] = {
    "duplicate_approver": (
        [("approve", "li", None), ("approve", "li", "already decided")],
        "proposed",
        1,
    ),
    "proposer": ([("approve", "maria", "cannot approve"), ("approve", "li", None)], "proposed", 1),
    "non_member": (
        [("approve", "mallory", "not a member"), ("approve", "li", None)],
        "proposed",
        1,
    ),
    "viewer_and_admin": (
        [("approve", "vic", "no decision right"), ("approve", "root", "no decision right")],
        "proposed",
        0,
    ),
    "expired": ([("approve", "li", None), ("approve_late", "sam", "expired")], "expired", 1),
    "revoked_pending_approval": (
        [("approve", "li", None), ("revoke", "li", None), ("approve", "sam", None)],
        "proposed",
        1,
    ),
    "revoked_member_cannot_decide": (
        [("revoke", "sam", None), ("approve", "sam", "revoked")],
        "proposed",
        0,
    ),
    "approval_of_old_version": (
        [("approve", "li", None), ("revise", "sam", None), ("approve", "ann", None)],
        "proposed",
        1,
    ),
    "editor_of_version": (
        [("revise", "sam", None), ("approve", "sam", "cannot approve"), ("approve", "li", None)],
        "proposed",
        1,
    ),
    "two_distinct_members": ([("approve", "li", None), ("approve", "sam", None)], "approved", 2),
    "edit_after_approval_refused": (
        [("approve", "li", None), ("approve", "sam", None), ("revise", "li", "only a waiting")],
        "approved",
        2,
    ),
    "payload_changed_in_sql_after_approval": (
        [("approve", "li", None), ("approve", "sam", None), ("tamper", "x", None)],
        "blocked",
        2,
    ),
    "revoked_after_quorum_before_send": (
        [("approve", "li", None), ("approve", "sam", None), ("revoke", "sam", None)],
        "blocked",
        1,
    ),
}


@pytest.fixture(scope="module", params=BACKENDS)
def sessions(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[sessionmaker[Session]]:
    path: Path = tmp_path_factory.mktemp(f"quorum-{request.param}")
    yield from store_sessions(request.param, path, os.environ.get("JOURNEYOPS_TEST_PG_URL"))


def _setup(sessions: sessionmaker[Session], case: str) -> str:
    members = [
        MemberSpec(user="maria", role="journey_owner"),
        MemberSpec(user="li", role="council_member"),
        MemberSpec(user="sam", role="council_member"),
        MemberSpec(user="ann", role="council_member"),
        MemberSpec(user="root", role="admin"),
        MemberSpec(user="vic", role="viewer"),
    ]
    journey = case.replace("_", "-")
    with sessions.begin() as s:
        council = CouncilSpec(quorum=2, members=members)
        save_journeys(s, specs=[JourneySpec(id=journey, council=council)])
        propose_fix(
            s,
            f"act-{journey}"[:32],
            now=NOW,
            payload=PAYLOAD,
            journey=journey,
            title="Roll back",
            proposed_by="maria",
            expires_at=EXPIRES,
            value=1000.0,
        )
    return f"act-{journey}"[:32]


def _run(sessions: sessionmaker[Session], action_id: str, step: Step) -> None:
    verb, user, _ = step
    session = sessions()
    try:
        with session.begin():
            _apply(session, action_id, verb, user)
    except DecisionRefused:
        if verb == "approve_late":
            # The gate moved the overdue action to `expired` before refusing; keep that.
            with session.begin():
                _apply_expiry(session, action_id)
        raise
    finally:
        session.close()


def _apply(s: Session, action_id: str, verb: str, user: str) -> None:
    if verb in ("approve", "reject", "approve_late"):
        decision = "reject" if verb == "reject" else "approve"
        when = LATE if verb == "approve_late" else NOW
        decide(s, action_id=action_id, user=user, decision=decision, reason="r", now=when)
    elif verb == "revoke":
        action = get_action(s, action_id=action_id)
        assert action is not None
        assert revoke_member(s, journey_id=action.journey_id, user=user, now=NOW)
    elif verb == "revise":
        revised = {**PAYLOAD, "note": f"edited by {user}"}
        revise_action(s, action_id=action_id, payload=revised, by=user, now=NOW)
    elif verb == "tamper":
        tampered = {**PAYLOAD, "target_url": "http://evil.example"}
        s.execute(update(ActionRow).where(ActionRow.id == action_id).values(payload=tampered))


def _apply_expiry(s: Session, action_id: str) -> None:
    from store.gate.rules import expire_overdue

    assert action_id in expire_overdue(s, now=LATE)


@pytest.mark.parametrize("case", list(CASES))
def test_quorum_rule(sessions: sessionmaker[Session], case: str) -> None:
    steps, expected_status, counted = CASES[case]
    action_id = _setup(sessions, case)
    for step in steps:
        refusal = step[2]
        if refusal is None:
            _run(sessions, action_id, step)
            continue
        with pytest.raises((DecisionRefused, RevisionRefused), match=refusal):
            _run(sessions, action_id, step)
    with sessions() as s:
        action = get_action(s, action_id=action_id)
        assert action is not None
        assert _counted(s, action) == counted
        problem = approval_problem(
            s, action=action, version=action.version, payload_sha256=action.payload_sha256
        )
        assert (problem is None) == (expected_status == "approved")
    # The dispatcher's claim re-checks the approval right before any side effect.
    with sessions.begin() as s:
        claims = claim_due(s, now=NOW, lease=dt.timedelta(minutes=5), action_id=action_id)
    assert [c.action_id for c in claims] == ([action_id] if expected_status == "approved" else [])
    with sessions() as s:
        action = get_action(s, action_id=action_id)
        row = latest_outbox(s, action_id=action_id)
        assert action is not None and action.status == expected_status
        ever_approved = expected_status in ("approved", "blocked")
        assert (row is not None) == ever_approved
        if expected_status == "blocked":
            assert row is not None and row.status == "refused"


def _counted(s: Session, action: ActionRow) -> int:
    """Return the approvals that count for the action's current version and payload."""
    return progress_for(s, action=action).approvals
