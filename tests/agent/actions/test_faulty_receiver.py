"""1,000+ approved actions through the real dispatcher against a faulty idempotent receiver.

The receiver (a real HTTP server on 127.0.0.1) answers each request at random: success,
500/503, 429 with Retry-After, a dropped connection, a lost response (effect applied, no
answer), a slow answer within the timeout, or one past it. Four dispatchers run at once.
Every action must end `dispatched` (with exactly one effect at the receiver) or
`dead_lettered`; no action is sent more often than the retry policy allows, every request
the receiver saw is an audited attempt, and every wait honours Retry-After within its cap.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import threading
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from agent.actions.dispatch import Dispatcher
from store.audit import verify_chain
from store.gate.rules import decide
from store.journeys import save_journeys
from store.journeys.file import CouncilSpec, JourneySpec, MemberSpec
from store.models import ActionRow, AuditEvent, OutboxRow
from tests.support.receiver import Fault, Receiver, RecordedRequest
from tests.support.store_fixtures import BACKENDS, propose_fix, store_sessions
from tools.workflows import RetryPolicy, WorkflowTarget

ACTIONS = 1000
NOW = dt.datetime(2026, 4, 1, 9, 0, tzinfo=dt.UTC)
SECRET = "s3cret"
POLICY = RetryPolicy(
    attempts=4, base_delay_s=0.001, max_delay_s=0.002, timeout_s=0.1, max_retry_after_s=0.05
)
RETRY_AFTER = 0.02
FAULTS: list[tuple[Fault, float]] = [
    (Fault.ok(), 0.55),
    (Fault.http(500), 0.09),
    (Fault.http(503), 0.05),
    (Fault.http(429, RETRY_AFTER), 0.08),
    (Fault.drop(), 0.07),
    (Fault.lost(), 0.08),
    (Fault.slow(0.01), 0.06),
    (Fault.slow(0.15), 0.02),  # past the 0.1 s timeout: the client gives up, effect applied
]


@pytest.fixture(params=BACKENDS)
def sessions(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[sessionmaker[Session]]:
    for factory in store_sessions(
        request.param, tmp_path, os.environ.get("JOURNEYOPS_TEST_PG_URL")
    ):
        with factory.begin() as s:
            council = CouncilSpec(quorum=1, members=[MemberSpec(user="li", role="council_member")])
            save_journeys(s, specs=[JourneySpec(id="checkout", council=council)])
            for n in range(ACTIONS):
                action_id = f"act-{n:05d}"
                propose_fix(s, action_id, now=NOW, payload={"n": n}, title=f"Fix {n}")
                decide(s, action_id=action_id, user="li", decision="approve", reason="ok", now=NOW)
        yield factory


def _faults(seed: int) -> object:
    rng = random.Random(seed)
    kinds, weights = zip(*FAULTS, strict=True)

    def choose(_index: int, _request: RecordedRequest) -> Fault:
        return rng.choices(kinds, weights)[0]  # called under the receiver's lock

    return choose


def test_every_action_is_delivered_once_or_dead_lettered_with_bounded_retries(
    sessions: sessionmaker[Session],
) -> None:
    waits: list[float] = []
    errors: list[BaseException] = []
    with Receiver(secret=SECRET, faults=_faults(11)) as rx:  # type: ignore[arg-type]
        target = WorkflowTarget(kind="webhook", url=rx.url("/hooks/eng"), secret_env="S")

        def run() -> None:
            dispatcher = Dispatcher(
                sessions=sessions,
                targets={"engineering": target},
                clock=lambda: NOW,
                policy=POLICY,
                environ={"S": SECRET},
                sleep=waits.append,
            )
            try:
                while dispatcher.run_once(limit=10).handled:
                    pass
            except BaseException as exc:  # reported by the assertion below
                errors.append(exc)

        threads = [threading.Thread(target=run) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=300)
        received = dict(rx.received)
        effects = dict(rx.effects)
    assert errors == []
    with sessions() as s:
        statuses = dict(s.execute(select(ActionRow.id, ActionRow.status)).tuples().all())
        rows = list(s.execute(select(OutboxRow)).scalars())
        attempts = Counter(
            s.execute(
                select(AuditEvent.subject).where(AuditEvent.kind == "dispatch.attempt")
            ).scalars()
        )
        assert verify_chain(s).ok
    counts = Counter(statuses.values())
    assert set(counts) <= {"dispatched", "dead_lettered"} and sum(counts.values()) == ACTIONS
    assert counts["dispatched"] > ACTIONS * 0.8 and counts["dead_lettered"] > 0
    assert all(effects.get(a) == 1 for a, st in statuses.items() if st == "dispatched")
    assert all(n == 1 for n in effects.values())
    # Bounded: one dispatcher run per action, at most `attempts` requests per run, each audited.
    assert sorted(r.runs for r in rows) == [1] * ACTIONS
    assert max(received.values()) <= POLICY.attempts
    assert attempts == Counter(received)
    assert all(w <= max(POLICY.max_delay_s, POLICY.max_retry_after_s) for w in waits)
    assert waits.count(RETRY_AFTER) > 0
