"""Eight simultaneous decisions on one action, 200 times: exactly one state transition each.

Eight threads, each with its own session, are released together by a barrier onto one
fresh action per round (quorum 1 on even rounds, 2 on odd ones; approve or reject at
random). Whatever the interleaving, the action leaves `proposed` exactly once, every other
call is either an approval recorded before quorum or a clean `DecisionRefused`, and the
rows agree: decisions, the outbox row (only for approvals) and one audit event per
recorded decision, on a chain that still verifies.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import threading
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from store.audit import verify_chain
from store.gate.rules import DecisionOutcome, DecisionRefused, decide
from store.journeys import save_journeys
from store.journeys.file import CouncilSpec, JourneySpec, MemberSpec
from store.models import ActionRow, AuditEvent, DecisionRow, OutboxRow
from tests.support.store_fixtures import BACKENDS, propose_fix, store_sessions

ROUNDS = 200
DECIDERS = [f"member-{n}" for n in range(8)]
NOW = dt.datetime(2026, 4, 1, 9, 0, tzinfo=dt.UTC)
REFUSALS = ("not awaiting a decision", "decided concurrently")


@pytest.fixture(params=BACKENDS)
def sessions(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[sessionmaker[Session]]:
    for factory in store_sessions(
        request.param, tmp_path, os.environ.get("JOURNEYOPS_TEST_PG_URL")
    ):
        members = [MemberSpec(user=u, role="council_member") for u in DECIDERS]
        with factory.begin() as s:
            save_journeys(
                s,
                specs=[
                    JourneySpec(id="quorum-one", council=CouncilSpec(quorum=1, members=members)),
                    JourneySpec(id="quorum-two", council=CouncilSpec(quorum=2, members=members)),
                ],
            )
            for n in range(ROUNDS):
                propose_fix(
                    s,
                    f"act-{n:04d}",
                    now=NOW,
                    payload={"n": n},
                    journey="quorum-one" if n % 2 == 0 else "quorum-two",
                )
        yield factory


def _decide(
    sessions: sessionmaker[Session], barrier: threading.Barrier, action_id: str, user: str, how: str
) -> DecisionOutcome | DecisionRefused:
    barrier.wait(timeout=30)
    try:
        with sessions.begin() as s:
            return decide(
                s,
                action_id=action_id,
                user=user,
                decision="approve" if how == "approve" else "reject",
                reason="concurrent",
                now=NOW,
            )
    except DecisionRefused as exc:
        return exc


def test_eight_simultaneous_decisions_move_each_action_exactly_once(
    sessions: sessionmaker[Session],
) -> None:
    rng = random.Random(6)
    recorded: Counter[str] = Counter()
    final: dict[str, str] = {}
    with ThreadPoolExecutor(max_workers=len(DECIDERS)) as pool:
        for n in range(ROUNDS):
            action_id = f"act-{n:04d}"
            barrier = threading.Barrier(len(DECIDERS))
            hows = [rng.choice(("approve", "approve", "reject")) for _ in DECIDERS]
            futures = [
                pool.submit(_decide, sessions, barrier, action_id, user, how)
                for user, how in zip(DECIDERS, hows, strict=True)
            ]
            results = [f.result(timeout=60) for f in futures]
            outcomes = [r for r in results if isinstance(r, DecisionOutcome)]
            refused = [r for r in results if isinstance(r, DecisionRefused)]
            assert len(outcomes) + len(refused) == len(DECIDERS)
            moves = [o for o in outcomes if o.status != "proposed"]
            assert len(moves) == 1, (action_id, results)
            assert all(any(why in str(r) for why in REFUSALS) for r in refused), refused
            # Only approvals recorded before the quorum was met may succeed without moving.
            assert all(o.approvals < o.quorum for o in outcomes if o.status == "proposed")
            recorded[action_id] = len(outcomes)
            final[action_id] = moves[0].status
    with sessions() as s:
        statuses = dict(s.execute(select(ActionRow.id, ActionRow.status)).tuples().all())
        assert statuses == final
        decisions = Counter(s.execute(select(DecisionRow.action_id)).scalars().all())
        assert decisions == recorded
        outbox = Counter(s.execute(select(OutboxRow.action_id)).scalars().all())
        assert outbox == Counter(a for a, st in final.items() if st == "approved")
        events = s.execute(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.kind.like("decision.%"))
        ).scalar_one()
        assert events == sum(recorded.values())
        assert verify_chain(s).ok
    assert set(final.values()) == {"approved", "rejected"}
