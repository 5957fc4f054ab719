"""Session rows, failed sign-ins and the bounded purge, on SQLite and on PostgreSQL."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from store.models import SignInFailure, WebConfirmation, WebSession
from store.signin.sessions import (
    end_session,
    end_user_sessions,
    open_session,
    purge_expired,
    record_failure,
    session_user,
    signin_refusal,
)
from store.signin.tokens import issue_confirmation
from tests.support.store_fixtures import BACKENDS, store_sessions

NOW = dt.datetime(2026, 4, 1, 9, 0, tzinfo=dt.UTC)
HOUR = dt.timedelta(hours=1)


@pytest.fixture(params=BACKENDS)
def sessions(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[sessionmaker[Session]]:
    yield from store_sessions(request.param, tmp_path, os.environ.get("JOURNEYOPS_TEST_PG_URL"))


def _rows(s: Session, table: type[WebSession] | type[WebConfirmation] | type[SignInFailure]) -> int:
    return int(s.execute(select(func.count()).select_from(table)).scalar_one())


def test_a_session_lives_until_it_ends_or_expires(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as s:
        first = open_session(s, user="li", now=NOW, ttl=HOUR)
        second = open_session(s, user="li", now=NOW, ttl=HOUR)
        other = open_session(s, user="sam", now=NOW, ttl=HOUR)
    with sessions.begin() as s:
        assert session_user(s, session_id=first, now=NOW) == "li"
        assert session_user(s, session_id=first, now=NOW + HOUR) is None
        assert session_user(s, session_id="made-up", now=NOW) is None
        end_session(s, session_id=first, now=NOW)
        assert session_user(s, session_id=first, now=NOW) is None
        assert session_user(s, session_id=second, now=NOW) == "li"
        assert end_user_sessions(s, user="li", now=NOW) == 1
        assert session_user(s, session_id=second, now=NOW) is None
        assert session_user(s, session_id=other, now=NOW) == "sam"


def test_failures_refuse_an_address_or_a_user_within_the_window(
    sessions: sessionmaker[Session],
) -> None:
    window = dt.timedelta(minutes=15)
    with sessions.begin() as s:
        for n in range(3):
            record_failure(s, user="li", client=f"10.0.0.{n}", now=NOW)
        record_failure(s, user="", client="10.0.0.9", now=NOW)
        record_failure(s, user="", client="10.0.0.9", now=NOW)

        def refusal(user: str, client: str, at: dt.datetime = NOW) -> str | None:
            return signin_refusal(s, user=user, client=client, now=at, limit=2, window=window)

        assert refusal("", "10.0.0.1") is None
        assert "for this address: 2 in the last 15 minutes" in (refusal("", "10.0.0.9") or "")
        assert "for user li: 3 in the last 15 minutes" in (refusal("li", "10.0.0.5") or "")
        assert refusal("sam", "10.0.0.5") is None
        assert refusal("li", "10.0.0.9", NOW + window) is None


def test_the_purge_is_bounded_and_keeps_what_is_live(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as s:
        for n in range(7):
            open_session(s, user="li", now=NOW - 2 * HOUR, ttl=HOUR)
            issue_confirmation(
                s, user="li", action_id=f"act-{n}", payload_sha256="0" * 64, now=NOW, ttl=HOUR
            )
            record_failure(s, user="li", client="10.0.0.1", now=NOW - 2 * HOUR)
        live = open_session(s, user="li", now=NOW, ttl=HOUR)
    with sessions.begin() as s:
        assert purge_expired(s, now=NOW, keep=HOUR, batch=5) == 10
    with sessions.begin() as s:
        counts = (_rows(s, WebSession), _rows(s, WebConfirmation), _rows(s, SignInFailure))
        assert counts == (3, 7, 2)
        assert purge_expired(s, now=NOW, keep=HOUR, batch=5) == 4
        assert session_user(s, session_id=live, now=NOW) == "li"
        assert purge_expired(s, now=NOW + 2 * HOUR, keep=HOUR, batch=10) == 1 + 7
        assert (_rows(s, WebSession), _rows(s, WebConfirmation)) == (0, 0)
