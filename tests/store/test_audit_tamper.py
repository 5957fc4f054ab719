"""Random tampering with the audit table is detected every time (≥ 100 mutations per database).

A chain of real governance events is built once; the append-only triggers are dropped (as
someone with DDL rights could); then each mutation runs in its own transaction — edit a
field, delete a row, swap two rows' order, or swap two rows' contents — `verify_chain` must
report it (with the head kept elsewhere, so a cut end is caught too), and the transaction
is rolled back so that every mutation starts from the intact chain.
"""

from __future__ import annotations

import datetime as dt
import os
import random
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session, sessionmaker

from store.audit import append_event, chain_head, verify_chain
from store.gate.rules import decide
from store.journeys import save_journeys
from store.journeys.file import CouncilSpec, JourneySpec, MemberSpec
from store.models import AuditEvent
from tests.support.store_fixtures import (
    BACKENDS,
    drop_append_only_guards,
    propose_fix,
    store_sessions,
)

NOW = dt.datetime(2026, 4, 1, 9, 0, tzinfo=dt.UTC)
MUTATIONS = 120
EVENTS = 40


@pytest.fixture(params=BACKENDS)
def sessions(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[sessionmaker[Session]]:
    for factory in store_sessions(
        request.param, tmp_path, os.environ.get("JOURNEYOPS_TEST_PG_URL")
    ):
        with factory.begin() as s:
            council = CouncilSpec(quorum=1, members=[MemberSpec(user="li", role="council_member")])
            save_journeys(s, specs=[JourneySpec(id="checkout", council=council)])
            for n in range(EVENTS // 4):
                action_id = f"act-{n}"
                propose_fix(
                    s,
                    action_id,
                    now=NOW + dt.timedelta(minutes=n),
                    payload={"n": n},
                    expires_at=NOW + dt.timedelta(days=14),
                )
                decide(s, action_id=action_id, user="li", decision="approve", reason="ok", now=NOW)
                data = {"run": 1, "status_code": 200 + n % 3, "elapsed_s": 0.01 * n}
                when = NOW + dt.timedelta(hours=n)
                for kind in ("dispatch.attempt", "dispatch.delivered"):
                    append_event(s, actor="d", kind=kind, subject=action_id, data=data, now=when)
        with factory.begin() as s:
            drop_append_only_guards(s)
        yield factory


def _edit(rng: random.Random, s: Session, seqs: list[int]) -> str:
    seq = rng.choice(seqs)
    ev = s.get(AuditEvent, seq)
    assert ev is not None
    field = rng.choice(["ts", "actor", "kind", "subject", "data", "prev_hash", "hash"])
    values: dict[str, object] = {
        "ts": ev.ts + dt.timedelta(seconds=rng.randint(1, 10_000)),
        "actor": ev.actor + "x",
        "kind": "decision.reject" if ev.kind != "decision.reject" else "decision.approve",
        "subject": ev.subject + "-other",
        "data": {**ev.data, rng.choice(["status", "reason", "approvals"]): rng.random()},
        "prev_hash": "f" * 64 if ev.prev_hash != "f" * 64 else "e" * 64,
        "hash": "0" * 63 + "1",
    }
    s.execute(update(AuditEvent).where(AuditEvent.seq == seq).values({field: values[field]}))
    return f"edit {field} of {seq}"


def _delete(rng: random.Random, s: Session, seqs: list[int]) -> str:
    seq = rng.choice(seqs)  # the last one too: only the kept head can reveal that
    s.execute(delete(AuditEvent).where(AuditEvent.seq == seq))
    return f"delete {seq}"


def _swap_order(rng: random.Random, s: Session, seqs: list[int]) -> str:
    a, b = rng.sample(seqs, 2)
    parking = -1
    s.execute(update(AuditEvent).where(AuditEvent.seq == a).values(seq=parking))
    s.execute(update(AuditEvent).where(AuditEvent.seq == b).values(seq=a))
    s.execute(update(AuditEvent).where(AuditEvent.seq == parking).values(seq=b))
    return f"swap order of {a} and {b}"


def _swap_contents(rng: random.Random, s: Session, seqs: list[int]) -> str:
    a, b = sorted(rng.sample(seqs, 2))
    ev_a, ev_b = s.get(AuditEvent, a), s.get(AuditEvent, b)
    assert ev_a is not None and ev_b is not None
    cols = ("ts", "actor", "kind", "subject", "data", "prev_hash", "hash")
    row_a = {c: getattr(ev_a, c) for c in cols}
    row_b = {c: getattr(ev_b, c) for c in cols}
    s.execute(update(AuditEvent).where(AuditEvent.seq == a).values(row_b))
    s.execute(update(AuditEvent).where(AuditEvent.seq == b).values(row_a))
    return f"swap contents of {a} and {b}"


KINDS: list[Callable[[random.Random, Session, list[int]], str]] = [
    _edit,
    _delete,
    _swap_order,
    _swap_contents,
]


def test_every_random_mutation_of_the_audit_table_is_detected(
    sessions: sessionmaker[Session],
) -> None:
    rng = random.Random(2026)
    with sessions() as s:
        head = chain_head(s)
        assert verify_chain(s, known_head=head).ok
        seqs = list(s.execute(select(AuditEvent.seq).order_by(AuditEvent.seq)).scalars())
    assert len(seqs) >= EVENTS
    done: dict[str, int] = {}
    for n in range(MUTATIONS):
        mutate = KINDS[n % len(KINDS)]
        session = sessions()
        try:
            with session.begin():
                what = mutate(rng, session, seqs)
                session.flush()
                session.expire_all()
                result = verify_chain(session, known_head=head)
                assert not result.ok, f"mutation {n} not detected: {what}"
                assert result.first_bad_seq is not None
                session.rollback()
        finally:
            session.close()
        done[mutate.__name__] = done.get(mutate.__name__, 0) + 1
    assert sum(done.values()) == MUTATIONS and len(done) == len(KINDS)
    with sessions() as s:
        assert verify_chain(s, known_head=head).ok
