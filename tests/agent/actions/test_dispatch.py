"""The dispatcher against a real receiver: exactly once, re-checked approval, dead letter."""

from __future__ import annotations

import datetime as dt
import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from agent.actions.dispatch import Dispatcher, DispatchReport
from store.audit import events_for, verify_chain
from store.gate.actions import get_action, propose_action
from store.gate.outbox import claim_due, finish, latest_outbox
from store.gate.redrive import RedriveRefused, redrive
from store.gate.rules import decide, payload_hash
from store.journeys import save_journeys
from store.journeys.file import CouncilSpec, JourneySpec, MemberSpec
from store.models import ActionRow
from tests.support.receiver import Fault, Receiver
from tests.support.store_fixtures import BACKENDS, store_sessions
from tools.workflows import RetryPolicy, WorkflowTarget

NOW = dt.datetime(2026, 4, 1, 9, 0, tzinfo=dt.UTC)
SECRET = "s3cret"
FAST = RetryPolicy(attempts=3, base_delay_s=0.0, max_delay_s=0.0, timeout_s=2.0)


@pytest.fixture(params=BACKENDS)
def sessions(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[sessionmaker[Session]]:
    url = os.environ.get("JOURNEYOPS_TEST_PG_URL")
    for factory in store_sessions(request.param, tmp_path, url):
        with factory.begin() as s:
            council = CouncilSpec(
                quorum=1,
                members=[
                    MemberSpec(user="maria", role="journey_owner"),
                    MemberSpec(user="li", role="council_member"),
                    MemberSpec(user="vic", role="viewer"),
                ],
            )
            save_journeys(s, specs=[JourneySpec(id="checkout", council=council)])
        yield factory


def _propose(sessions: sessionmaker[Session], action_id: str, *, approve: bool = True) -> None:
    with sessions.begin() as s:
        propose_action(
            s,
            action_id=action_id,
            breakdown_id=None,
            journey_id="checkout",
            playbook="fix_payment_path",
            title=f"Fix {action_id}",
            workflow="engineering",
            payload={"action_id": action_id, "title": f"Fix {action_id}", "value": 1.5},
            expected_value_per_week=1000.0,
            proposed_by="journeyops-agent",
            expires_at=NOW + dt.timedelta(days=14),
            now=NOW,
        )
    if approve:
        with sessions.begin() as s:
            decide(s, action_id=action_id, user="li", decision="approve", reason="ok", now=NOW)


def _dispatcher(sessions: sessionmaker[Session], rx: Receiver, **kw: object) -> Dispatcher:
    url = rx.url("/hooks/engineering")
    target = WorkflowTarget(kind="webhook", url=url, secret_env="HOOK_SECRET")
    args: dict[str, object] = {
        "sessions": sessions,
        "targets": {"engineering": target},
        "clock": lambda: NOW,
        "policy": FAST,
        "environ": {"HOOK_SECRET": SECRET},
        "sleep": lambda _s: None,
    }
    args.update(kw)
    return Dispatcher(**args)  # type: ignore[arg-type]


def _status(sessions: sessionmaker[Session], action_id: str) -> tuple[str, str | None]:
    with sessions() as s:
        action = get_action(s, action_id=action_id)
        row = latest_outbox(s, action_id=action_id)
        assert action is not None
        return action.status, row.status if row else None


def _kinds(sessions: sessionmaker[Session], action_id: str) -> list[str]:
    with sessions() as s:
        return [e.kind for e in events_for(s, subject=action_id)]


def test_only_the_approving_decision_writes_the_outbox_row(
    sessions: sessionmaker[Session],
) -> None:
    _propose(sessions, "act-1", approve=False)
    assert _status(sessions, "act-1") == ("proposed", None)
    with sessions.begin() as s:
        decide(s, action_id="act-1", user="li", decision="approve", reason="ok", now=NOW)
    with sessions() as s:
        row = latest_outbox(s, action_id="act-1")
        assert row is not None and row.status == "pending" and row.target == "engineering"
        assert row.payload_sha256 == payload_hash(
            {"action_id": "act-1", "title": "Fix act-1", "value": 1.5}
        )


def test_two_concurrent_dispatchers_deliver_each_approved_action_exactly_once(
    sessions: sessionmaker[Session],
) -> None:
    ids = [f"act-{n}" for n in range(6)]
    for action_id in ids:
        _propose(sessions, action_id)
    _propose(sessions, "act-pending", approve=False)
    barrier = threading.Barrier(2)
    reports: list[DispatchReport] = []
    errors: list[BaseException] = []
    with Receiver(secret=SECRET) as rx:

        def run() -> None:
            try:
                barrier.wait(timeout=10)
                reports.append(_dispatcher(sessions, rx).run_once())
            except BaseException as exc:  # reported by the assertion below
                errors.append(exc)

        threads = [threading.Thread(target=run) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
        again = _dispatcher(sessions, rx).run_once()
    assert errors == []
    assert sorted(a for r in reports for a in r.delivered) == ids
    assert again.handled == 0
    assert rx.received == dict.fromkeys(ids, 1) and rx.effects == dict.fromkeys(ids, 1)
    assert all(r.signature_ok for r in rx.requests)
    for action_id in ids:
        assert _status(sessions, action_id) == ("dispatched", "delivered")
        assert _kinds(sessions, action_id)[-2:] == ["dispatch.attempt", "dispatch.delivered"]
    assert _status(sessions, "act-pending") == ("proposed", None)
    with sessions() as s:
        assert verify_chain(s).ok


@pytest.mark.parametrize("rehash", [False, True])
def test_payload_changed_after_approval_is_never_sent(
    sessions: sessionmaker[Session], rehash: bool
) -> None:
    _propose(sessions, "act-1")
    forged = {"action_id": "act-1", "title": "Refund everyone", "value": 1e9}
    values: dict[str, object] = {"payload": forged}
    if rehash:  # even a forger who also rewrites the stored hash is caught by the decisions
        values["payload_sha256"] = payload_hash(forged)
    with sessions.begin() as s:
        s.execute(update(ActionRow).where(ActionRow.id == "act-1").values(**values))
    with Receiver(secret=SECRET) as rx:
        report = _dispatcher(sessions, rx).run_once()
    assert rx.requests == [] and report.handled == 0 and report.closed == ["act-1"]
    assert _status(sessions, "act-1") == ("blocked", "refused")
    assert _kinds(sessions, "act-1")[-1] == "dispatch.refused"


def test_failed_delivery_is_dead_lettered_after_the_last_attempt_then_redriven(
    sessions: sessionmaker[Session],
) -> None:
    _propose(sessions, "act-1")
    with Receiver(secret=SECRET, faults=[Fault.http(503)] * FAST.attempts) as rx:
        first = _dispatcher(sessions, rx).run_once()
        assert first.dead_lettered == ["act-1"] and len(rx.requests) == FAST.attempts
        assert _status(sessions, "act-1") == ("dead_lettered", "dead")
        assert _dispatcher(sessions, rx).run_once().handled == 0  # stays dead until a person acts
        with pytest.raises(RedriveRefused, match="no decision right"), sessions.begin() as s:
            redrive(s, action_id="act-1", user="vic", reason="retry", now=NOW)
        with sessions.begin() as s:
            redrive(s, action_id="act-1", user="li", reason="receiver is back", now=NOW)
        assert _status(sessions, "act-1") == ("approved", "pending")
        second = _dispatcher(sessions, rx).run_once()
    assert second.delivered == ["act-1"] and rx.effects == {"act-1": 1}
    assert _status(sessions, "act-1") == ("dispatched", "delivered")
    kinds = _kinds(sessions, "act-1")
    assert kinds.count("dispatch.attempt") == FAST.attempts + 1
    assert kinds[-3:] == ["dispatch.redriven", "dispatch.attempt", "dispatch.delivered"]
    with pytest.raises(RedriveRefused, match="not dead_lettered"), sessions.begin() as s:
        redrive(s, action_id="act-1", user="li", reason="again", now=NOW)


def test_permanent_error_is_dead_lettered_at_once(sessions: sessionmaker[Session]) -> None:
    _propose(sessions, "act-1")
    with Receiver(secret="wrong-secret") as rx:
        report = _dispatcher(sessions, rx).run_once()
    assert report.dead_lettered == ["act-1"] and len(rx.requests) == 1
    with sessions() as s:
        row = latest_outbox(s, action_id="act-1")
        assert row is not None and row.status_code == 401 and "permanent" in row.last_error


def test_an_expired_lease_is_reclaimed_and_the_old_holder_cannot_finish(
    sessions: sessionmaker[Session],
) -> None:
    _propose(sessions, "act-1")
    lease = dt.timedelta(minutes=5)
    with sessions.begin() as s:
        [stale] = claim_due(s, now=NOW, lease=lease)
    with sessions.begin() as s:
        assert claim_due(s, now=NOW + dt.timedelta(minutes=1), lease=lease) == []
    with sessions.begin() as s:
        [fresh] = claim_due(s, now=NOW + dt.timedelta(minutes=6), lease=lease)
    assert (stale.run, fresh.run) == (1, 2) and stale.token != fresh.token
    common = {"attempts": [], "status_code": 200, "external_id": None, "error": "", "now": NOW}
    with sessions.begin() as s:
        assert not finish(s, claim=stale, delivered=True, **common)  # type: ignore[arg-type]
    with sessions.begin() as s:
        assert finish(s, claim=fresh, delivered=True, **common)  # type: ignore[arg-type]
    assert _status(sessions, "act-1") == ("dispatched", "delivered")


def test_a_row_reclaimed_too_often_is_dead_lettered(sessions: sessionmaker[Session]) -> None:
    _propose(sessions, "act-1")
    lease = dt.timedelta(minutes=1)
    for run in range(3):
        with sessions.begin() as s:
            assert len(claim_due(s, now=NOW + run * dt.timedelta(minutes=2), lease=lease)) == 1
    with sessions.begin() as s:
        assert claim_due(s, now=NOW + dt.timedelta(minutes=10), lease=lease) == []
    assert _status(sessions, "act-1") == ("dead_lettered", "dead")


def test_loop_waits_only_when_nothing_was_due(sessions: sessionmaker[Session]) -> None:
    _propose(sessions, "act-1")
    waits: list[float] = []
    passes = iter([False, False, True])
    with Receiver(secret=SECRET) as rx:
        total = _dispatcher(sessions, rx).run_loop(
            interval_s=2.5, stop=lambda: next(passes), wait=waits.append
        )
    assert total.delivered == ["act-1"] and waits == [2.5]


def test_rejected_action_never_calls_the_workflow(sessions: sessionmaker[Session]) -> None:
    _propose(sessions, "act-1", approve=False)
    with sessions.begin() as s:
        decide(s, action_id="act-1", user="li", decision="reject", reason="no", now=NOW)
    with Receiver(secret=SECRET) as rx:
        assert _dispatcher(sessions, rx).run_once().handled == 0
    assert rx.requests == [] and _status(sessions, "act-1") == ("rejected", None)
