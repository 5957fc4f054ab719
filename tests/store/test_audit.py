"""The hash-chained audit log: appends chain, and edits, deletions and reorders show."""

from __future__ import annotations

import datetime as dt
import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import delete, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from store.audit import (
    GENESIS,
    append_event,
    chain_head,
    events_for,
    recent_events,
    verify_chain,
)
from store.models import AuditEvent
from tests.support.store_fixtures import BACKENDS, drop_append_only_guards, store_sessions

NOW = dt.datetime(2026, 4, 1, 9, 0, tzinfo=dt.UTC)


@pytest.fixture(params=BACKENDS)
def sessions(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[sessionmaker[Session]]:
    url = os.environ.get("JOURNEYOPS_TEST_PG_URL")
    for factory in store_sessions(request.param, tmp_path, url):
        with factory.begin() as s:
            for i in range(1, 6):
                append_event(
                    s,
                    actor="li",
                    kind="note",
                    subject=f"act-{i % 2}",
                    data={"i": i, "why": "ok", "share": 0.25},
                    now=NOW + dt.timedelta(minutes=i),
                )
        yield factory


def test_appended_events_form_a_valid_chain(sessions: sessionmaker[Session]) -> None:
    with sessions() as s:
        result = verify_chain(s)
        events = events_for(s, subject="act-1")
        seq, head = chain_head(s)
    assert (result.ok, result.events, result.first_bad_seq) == (True, 5, None)
    assert [e.seq for e in events] == [1, 3, 5] and events[0].prev_hash == GENESIS
    assert events[0].ts == NOW + dt.timedelta(minutes=1) and events[0].ts.tzinfo is not None
    assert seq == 5 and len(head) == 64


def test_the_database_refuses_to_change_audit_events(sessions: sessionmaker[Session]) -> None:
    for statement in (update(AuditEvent).values(actor="x"), delete(AuditEvent)):
        with pytest.raises(DBAPIError, match="append-only"), sessions.begin() as s:
            s.execute(statement)
    with sessions() as s:
        assert verify_chain(s).events == 5


def _tamper(sessions: sessionmaker[Session], mutation: str) -> None:
    """Rewrite history as someone with DDL rights could: drop the guards, then change rows."""
    with sessions.begin() as s:
        drop_append_only_guards(s)
        rows = update(AuditEvent)
        if mutation == "edit actor":
            s.execute(rows.where(AuditEvent.seq == 3).values(actor="mallory"))
        elif mutation == "edit data":
            s.execute(rows.where(AuditEvent.seq == 3).values(data={"i": 3, "why": "forged"}))
        elif mutation == "delete":
            s.execute(delete(AuditEvent).where(AuditEvent.seq == 3))
        elif mutation == "delete and renumber":
            s.execute(delete(AuditEvent).where(AuditEvent.seq == 3))
            s.execute(rows.where(AuditEvent.seq == 4).values(seq=3))
            s.execute(rows.where(AuditEvent.seq == 5).values(seq=4))
        elif mutation == "reorder":
            s.execute(rows.where(AuditEvent.seq == 3).values(seq=100))
            s.execute(rows.where(AuditEvent.seq == 4).values(seq=3))
            s.execute(rows.where(AuditEvent.seq == 100).values(seq=4))


@pytest.mark.parametrize(
    ("mutation", "bad_seq", "problem"),
    [
        ("edit actor", 3, "does not match its hash"),
        ("edit data", 3, "does not match its hash"),
        ("delete", 4, "sequence gap: expected 3, found 4"),
        ("delete and renumber", 3, "previous-hash link broken"),
        ("reorder", 3, "previous-hash link broken"),
    ],
)
def test_tampering_is_detected_at_the_first_bad_event(
    sessions: sessionmaker[Session], mutation: str, bad_seq: int, problem: str
) -> None:
    _tamper(sessions, mutation)
    with sessions() as s:
        result = verify_chain(s)
    assert not result.ok and result.first_bad_seq == bad_seq and problem in result.problem


def test_cutting_the_end_is_caught_against_a_known_head(sessions: sessionmaker[Session]) -> None:
    with sessions() as s:
        head = chain_head(s)
    with sessions.begin() as s:
        drop_append_only_guards(s)
        s.execute(delete(AuditEvent).where(AuditEvent.seq >= 4))
    with sessions() as s:
        assert verify_chain(s).ok  # a shorter chain is consistent in itself
        result = verify_chain(s, known_head=head)
    assert not result.ok and "truncated" in result.problem


def test_concurrent_appends_keep_one_chain(sessions: sessionmaker[Session]) -> None:
    barrier = threading.Barrier(4)
    errors: list[BaseException] = []

    def append(n: int) -> None:
        try:
            barrier.wait(timeout=10)
            for i in range(5):
                with sessions.begin() as s:
                    append_event(s, actor=f"w{n}", kind="note", subject="c", data={"i": i}, now=NOW)
        except BaseException as exc:  # reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=append, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    with sessions() as s:
        result = verify_chain(s)
    assert result.ok and result.events == 25


def test_recent_events_come_newest_first_and_only_about_the_subject_asked(
    sessions: sessionmaker[Session],
) -> None:
    with sessions() as s:
        newest = [e.seq for e in recent_events(s, limit=3)]
        about = [e.seq for e in recent_events(s, subject="act-0")]
    assert newest == [5, 4, 3] and about == [4, 2]
