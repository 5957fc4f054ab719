"""Session rows, failed sign-ins and the bounded purge of what has expired.

A session is valid while its row exists, has not ended and has not expired; every
request asks (`session_user`), so ending the row ends the session at its next request.
Failed sign-ins are rows too, so the limit holds across workers and restarts.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from typing import Any, cast

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import Session

from store.db import lock_writes
from store.models import SignInFailure, WebConfirmation, WebSession

__all__ = [
    "end_session",
    "end_user_sessions",
    "open_session",
    "purge_expired",
    "record_failure",
    "session_user",
    "signin_refusal",
]


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def open_session(session: Session, *, user: str, now: dt.datetime, ttl: dt.timedelta) -> str:
    """Open a session for `user`; return its id (shown once: only its sha256 is stored)."""
    lock_writes(session)
    session_id = secrets.token_urlsafe(32)
    session.add(WebSession(id_sha256=_digest(session_id), user_name=user, expires_at=now + ttl))
    session.flush()
    return session_id


def session_user(session: Session, *, session_id: str, now: dt.datetime) -> str | None:
    """Return the user of a live session, or None if it ended, expired or never existed."""
    row = session.get(WebSession, _digest(session_id), populate_existing=True)
    if row is None or row.ended_at is not None or row.expires_at <= now:
        return None
    return row.user_name


def end_session(session: Session, *, session_id: str, now: dt.datetime) -> None:
    """End one session (sign-out)."""
    lock_writes(session)
    session.execute(
        update(WebSession)
        .where(WebSession.id_sha256 == _digest(session_id), WebSession.ended_at.is_(None))
        .values(ended_at=now)
        .execution_options(synchronize_session=False)
    )


def end_user_sessions(session: Session, *, user: str, now: dt.datetime) -> int:
    """End every open session of `user`; return how many."""
    lock_writes(session)
    result = session.execute(
        update(WebSession)
        .where(WebSession.user_name == user, WebSession.ended_at.is_(None))
        .values(ended_at=now)
        .execution_options(synchronize_session=False)
    )
    return int(cast("CursorResult[Any]", result).rowcount)


def signin_refusal(
    session: Session,
    *,
    user: str,
    client: str,
    now: dt.datetime,
    limit: int,
    window: dt.timedelta,
) -> str | None:
    """Return why a sign-in is refused before its token is even checked, or None.

    `limit` failures within `window` from one client address, or naming one user, block
    further attempts from that address, or for that user, until the oldest ages out.
    """
    since = now - window
    checks = [("this address", SignInFailure.client == client[:64])]
    if user:
        checks.append((f"user {user}", SignInFailure.user_name == user[:100]))
    for who, condition in checks:
        query = select(func.count()).select_from(SignInFailure).where(condition)
        failures = int(session.execute(query.where(SignInFailure.at > since)).scalar_one())
        if failures >= limit:
            minutes = max(1, int(window.total_seconds() // 60))
            return (
                f"too many failed sign-ins for {who}: {failures} in the last {minutes} "
                "minutes; try again later"
            )
    return None


def record_failure(session: Session, *, user: str, client: str, now: dt.datetime) -> None:
    """Record one failed sign-in (from `client`, naming `user`, which may be empty)."""
    lock_writes(session)
    session.add(SignInFailure(user_name=user[:100], client=client[:64], at=now))
    session.flush()


def purge_expired(session: Session, *, now: dt.datetime, keep: dt.timedelta, batch: int) -> int:
    """Delete up to `batch` rows each of ended or expired sessions, failures older than
    `keep` and expired confirmations; return how many rows went."""
    lock_writes(session)
    done = _purge(
        session,
        WebSession.id_sha256,
        or_(WebSession.expires_at <= now, WebSession.ended_at.is_not(None)),
        batch,
    )
    done += _purge(session, SignInFailure.id, SignInFailure.at <= now - keep, batch)
    done += _purge(session, WebConfirmation.nonce_sha256, WebConfirmation.expires_at <= now, batch)
    return done


def _purge(session: Session, key: Any, condition: Any, batch: int) -> int:
    ids = list(session.execute(select(key).where(condition).limit(batch)).scalars())
    if ids:
        session.execute(
            delete(key.class_).where(key.in_(ids)).execution_options(synchronize_session=False)
        )
    return len(ids)
