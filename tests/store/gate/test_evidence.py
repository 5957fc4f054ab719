"""Forgeries by someone with write access to the store but not the audit key send nothing.

Each test forges with direct SQL, as an attacker holding the database file (or a
PostgreSQL login) would, then runs a real dispatcher against a real receiver on 127.0.0.1:
no request may arrive, and the verification `journeyops audit verify` runs must fail
naming what it found.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session, sessionmaker

from agent.actions.dispatch import Dispatcher
from store.audit_keys import AuditKeying
from store.db import migrate, session_factory
from store.gate.actions import get_action
from store.gate.evidence import verify_store
from store.gate.rules import decide, payload_hash
from store.journeys import save_journeys
from store.journeys.file import CouncilSpec, JourneySpec, MemberSpec
from store.models import ActionRow, AuditEvent, DecisionRow, OutboxRow
from tests.support.receiver import Receiver
from tests.support.store_fixtures import (
    BACKENDS,
    drop_append_only_guards,
    fresh_engine,
    propose_fix,
)
from tools.workflows import RetryPolicy, WorkflowTarget

NOW = dt.datetime(2026, 4, 1, 9, 0, tzinfo=dt.UTC)
SECRET = "s3cret"
FAST = RetryPolicy(attempts=1, base_delay_s=0.0, max_delay_s=0.0, timeout_s=2.0)
EVIL = {"title": "Refund everyone", "amount": 10_000_000}


@dataclass
class Store:
    """The gate's sessions (keyed, anchored) and an attacker's (plain SQL, no key)."""

    gate: sessionmaker[Session]
    attacker: sessionmaker[Session]


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    url = os.environ.get("JOURNEYOPS_TEST_PG_URL")
    for engine in fresh_engine(request.param, tmp_path, url):
        migrate(engine)
        keying = AuditKeying(b"kept-outside-the-database", "test", tmp_path / "audit-head")
        gate = session_factory(engine, audit=keying)
        with gate.begin() as s:
            members = [MemberSpec(user=u, role="council_member") for u in ("sam", "maria", "li")]
            council = CouncilSpec(quorum=2, members=members)
            save_journeys(s, specs=[JourneySpec(id="checkout", council=council)])
            propose_fix(s, "act-1", now=NOW, payload={"title": "Add a fallback"})
        yield Store(gate, session_factory(engine))


def _approve(store: Store, action_id: str = "act-1") -> None:
    for user in ("sam", "maria"):
        with store.gate.begin() as s:
            decide(s, action_id=action_id, user=user, decision="approve", reason="ok", now=NOW)


def _dispatch(store: Store, rx: Receiver) -> None:
    targets = {
        name: WorkflowTarget(kind="webhook", url=rx.url(f"/hooks/{name}"), secret_env="S")
        for name in ("engineering", "evil")
    }
    dispatcher = Dispatcher(
        sessions=store.gate,
        targets=targets,
        clock=lambda: NOW + dt.timedelta(minutes=1),
        policy=FAST,
        environ={"S": SECRET},
        sleep=lambda _s: None,
    )
    dispatcher.run_once()


def _attacker_digest(prev: str, ev: AuditEvent, data: object) -> str:
    """The chain hash as the attacker can compute it: sha256, without the key."""
    body = {
        "seq": ev.seq,
        "ts": ev.ts.astimezone(dt.UTC).isoformat(),
        "actor": ev.actor,
        "kind": ev.kind,
        "subject": ev.subject,
        "data": data,
    }
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256((prev + text).encode("utf-8")).hexdigest()


def test_forged_payload_decisions_and_outbox_row_are_never_delivered(store: Store) -> None:
    evil_hash = payload_hash(EVIL)
    with store.attacker.begin() as s:  # no trigger dropped: only UPDATE actions and INSERTs
        s.execute(
            update(ActionRow)
            .where(ActionRow.id == "act-1")
            .values(payload=EVIL, payload_sha256=evil_hash, status="approved")
        )
        for user in ("sam", "maria"):
            s.execute(
                insert(DecisionRow).values(
                    action_id="act-1",
                    action_version=1,
                    payload_sha256=evil_hash,
                    user_name=user,
                    decision="approve",
                    reason="looks fine",
                    decided_at=NOW,
                )
            )
        s.execute(
            insert(OutboxRow).values(
                action_id="act-1",
                action_version=1,
                payload_sha256=evil_hash,
                target="engineering",
                status="pending",
                runs=0,
                next_attempt_at=NOW,
                last_error="",
                created_at=NOW,
                updated_at=NOW,
            )
        )
    with Receiver(secret=SECRET) as rx:
        _dispatch(store, rx)
    assert rx.requests == []
    with store.gate() as s:
        action = get_action(s, action_id="act-1")
        assert action is not None and action.status == "blocked"
        result = verify_store(s)
    assert not result.ok and result.unvouched_total == 3
    assert "decision 1 (sam approves act-1 v1) has no authentic audit event" in result.unvouched
    assert any(line.startswith("outbox row 1 (act-1 v1") for line in result.unvouched)


def test_an_outbox_row_switched_to_another_target_is_never_delivered(store: Store) -> None:
    _approve(store)
    with store.attacker.begin() as s:
        s.execute(update(OutboxRow).where(OutboxRow.action_id == "act-1").values(target="evil"))
    with Receiver(secret=SECRET) as rx:
        _dispatch(store, rx)
    assert rx.requests == []
    with store.gate() as s:
        result = verify_store(s)
    assert result.chain.ok and not result.ok
    assert result.unvouched == ["outbox row 1 (act-1 v1 to evil) has no authentic audit event"]


def test_an_event_edited_with_every_later_hash_recomputed_is_caught(store: Store) -> None:
    _approve(store)
    with store.attacker.begin() as s:
        drop_append_only_guards(s)
        events = list(s.execute(select(AuditEvent).order_by(AuditEvent.seq)).scalars())
        queued = next(e for e in events if e.kind == "outbox.queued")
        prev = ""
        for ev in events:
            data = dict(ev.data)
            if ev.seq == queued.seq:
                data["target"] = "evil"
            if ev.seq >= queued.seq:
                digest = _attacker_digest(prev, ev, data)
                s.execute(
                    update(AuditEvent)
                    .where(AuditEvent.seq == ev.seq)
                    .values(data=data, prev_hash=prev, hash=digest)
                )
                prev = digest
            else:
                prev = ev.hash
        s.execute(update(OutboxRow).where(OutboxRow.action_id == "act-1").values(target="evil"))
    with Receiver(secret=SECRET) as rx:
        _dispatch(store, rx)
    assert rx.requests == []
    with store.gate() as s:
        result = verify_store(s)
    assert not result.chain.ok and result.chain.first_bad_seq == queued.seq
    assert "does not match its hash" in result.chain.problem
    assert result.unvouched == ["outbox row 1 (act-1 v1 to evil) has no authentic audit event"]


def test_deleting_the_newest_events_is_caught_by_the_anchor(store: Store) -> None:
    _approve(store)
    with store.gate() as s:
        last = s.execute(select(AuditEvent.seq).order_by(AuditEvent.seq.desc())).scalars().first()
    assert last is not None
    with store.attacker.begin() as s:
        drop_append_only_guards(s)
        # The second approval and the event vouching for the outbox row.
        s.execute(delete(AuditEvent).where(AuditEvent.seq >= last - 1))
    with Receiver(secret=SECRET) as rx:
        _dispatch(store, rx)
    assert rx.requests == []
    with store.gate() as s:
        result = verify_store(s)
    assert not result.chain.ok and result.chain.anchored
    assert f"anchor head event {last} is missing or changed (chain truncated)" in (
        result.chain.problem
    )


def test_an_untouched_store_delivers_and_verifies(store: Store) -> None:
    _approve(store)
    with Receiver(secret=SECRET) as rx:
        _dispatch(store, rx)
    assert rx.effects == {"act-1": 1}
    with store.gate() as s:
        result = verify_store(s)
    assert result.ok and result.chain.keyed and result.chain.anchored
