"""Council app users, hashed sign-in tokens and single-use decision confirmations.

Tokens and confirmation nonces are random, high-entropy strings shown once; only their
sha256 is stored, so a copy of the database signs nobody in. A confirmation binds one
user, one action and the exact payload hash they saw, expires quickly and is consumed by
a conditional UPDATE, so it works once even between concurrent requests.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from typing import Any, cast, get_args

from sqlalchemy import select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import Session

from store.audit import append_event
from store.db import lock_writes
from store.journeys.file import Role
from store.models import WebConfirmation, WebToken, WebUser
from store.signin.sessions import end_user_sessions

__all__ = [
    "ROLES",
    "WebAuthError",
    "add_user",
    "authenticate",
    "consume_confirmation",
    "create_token",
    "disable_user",
    "get_user",
    "issue_confirmation",
    "list_users",
    "revoke_tokens",
]

ROLES: tuple[str, ...] = get_args(Role)
_TOKEN_PREFIX = "jo_"
_USE_GRANULARITY = dt.timedelta(minutes=1)


class WebAuthError(ValueError):
    """A user or token request that cannot be honoured; the message says why."""


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def add_user(
    session: Session, *, name: str, role: str, now: dt.datetime, actor: str = "journeyops-cli"
) -> WebUser:
    """Create a user, or change an existing user's role (re-enabling them)."""
    if role not in ROLES:
        raise WebAuthError(f"unknown role {role!r}; choose one of {', '.join(ROLES)}")
    if not name.strip() or len(name) > 100:
        raise WebAuthError("a user name is 1 to 100 characters")
    lock_writes(session)
    user = session.get(WebUser, name)
    if user is None:
        user = WebUser(name=name, role=role, created_at=now, disabled_at=None)
        session.add(user)
    else:
        user.role, user.disabled_at = role, None
    session.flush()
    append_event(
        session, actor=actor, kind="web.user_saved", subject=name, data={"role": role}, now=now
    )
    return user


def get_user(session: Session, *, name: str) -> WebUser | None:
    """Return an enabled user or None."""
    user = session.get(WebUser, name)
    return user if user is not None and user.disabled_at is None else None


def list_users(session: Session) -> list[WebUser]:
    """Return every user, by name."""
    return list(session.execute(select(WebUser).order_by(WebUser.name)).scalars())


def create_token(
    session: Session, *, user: str, now: dt.datetime, actor: str = "journeyops-cli"
) -> str:
    """Mint a sign-in token for an enabled user; return it (it is never stored in clear)."""
    lock_writes(session)
    if get_user(session, name=user) is None:
        raise WebAuthError(f"no enabled user {user!r}; add one with `journeyops users add`")
    token = _TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = WebToken(user_name=user, token_sha256=_digest(token), created_at=now)
    session.add(row)
    session.flush()
    append_event(
        session, actor=actor, kind="web.token_created", subject=user, data={"id": row.id}, now=now
    )
    return token


def disable_user(
    session: Session, *, name: str, now: dt.datetime, actor: str = "journeyops-cli"
) -> None:
    """Disable a user: their tokens stop signing in and open sessions end at the next request."""
    lock_writes(session)
    user = session.get(WebUser, name)
    if user is None:
        raise WebAuthError(f"no user {name!r}")
    if user.disabled_at is None:
        user.disabled_at = now
        session.flush()
        end_user_sessions(session, user=name, now=now)
        append_event(session, actor=actor, kind="web.user_disabled", subject=name, data={}, now=now)


def revoke_tokens(
    session: Session, *, user: str, now: dt.datetime, actor: str = "journeyops-cli"
) -> int:
    """Revoke every live token of a user and end their open sessions; return how many tokens."""
    lock_writes(session)
    live = list(
        session.execute(
            select(WebToken).where(WebToken.user_name == user, WebToken.revoked_at.is_(None))
        ).scalars()
    )
    for row in live:
        row.revoked_at = now
    session.flush()
    end_user_sessions(session, user=user, now=now)
    if live:
        data: dict[str, object] = {"ids": [row.id for row in live]}
        append_event(
            session, actor=actor, kind="web.tokens_revoked", subject=user, data=data, now=now
        )
    return len(live)


def authenticate(session: Session, *, token: str, now: dt.datetime) -> WebUser | None:
    """Return the enabled user a token belongs to (recording its use), or None."""
    if not token.startswith(_TOKEN_PREFIX):
        return None
    row = session.execute(
        select(WebToken).where(WebToken.token_sha256 == _digest(token))
    ).scalar_one_or_none()
    if row is None or row.revoked_at is not None:
        return None
    user = get_user(session, name=row.user_name)
    if user is None:
        return None
    # Record use at most once a minute: an API client's every read need not take the lock.
    if row.last_used_at is None or now - row.last_used_at >= _USE_GRANULARITY:
        lock_writes(session)
        row.last_used_at = now
        session.flush()
    return user


def issue_confirmation(
    session: Session,
    *,
    user: str,
    action_id: str,
    payload_sha256: str,
    now: dt.datetime,
    ttl: dt.timedelta,
) -> str:
    """Return a fresh single-use confirmation for `user` deciding on this exact payload."""
    lock_writes(session)
    nonce = secrets.token_urlsafe(24)
    session.add(
        WebConfirmation(
            nonce_sha256=_digest(nonce),
            user_name=user,
            action_id=action_id,
            payload_sha256=payload_sha256,
            expires_at=now + ttl,
            used_at=None,
        )
    )
    session.flush()
    return nonce


def consume_confirmation(
    session: Session,
    *,
    nonce: str,
    user: str,
    action_id: str,
    payload_sha256: str,
    now: dt.datetime,
) -> str | None:
    """Use up a confirmation; return why it is not valid, or None when it was accepted."""
    lock_writes(session)
    row = session.get(WebConfirmation, _digest(nonce), populate_existing=True)
    if row is None or row.user_name != user or row.action_id != action_id:
        return "this confirmation is not valid for you and this action; reload the page"
    if row.used_at is not None:
        return "this confirmation was already used; reload the page to decide again"
    if now > row.expires_at:
        return "this confirmation expired; reload the page to see the current payload"
    if row.payload_sha256 != payload_sha256:
        return "the payload changed since you opened it; reload the page and review it again"
    result = session.execute(
        update(WebConfirmation)
        .where(WebConfirmation.nonce_sha256 == row.nonce_sha256, WebConfirmation.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if cast("CursorResult[Any]", result).rowcount != 1:
        return "this confirmation was already used; reload the page to decide again"
    return None
