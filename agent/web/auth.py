"""Sign-in, server-side sessions, CSRF and the role each route requires.

A sign-in token (hashed in SQL) is exchanged for a session cookie: HMAC-signed, HttpOnly,
SameSite=Strict, carrying only the user name, the random id of a session row
(`store.signin`) and the expiry. The session row, the user and the role are re-read from
SQL on every request, so signing out, revoking the user's tokens, disabling the user or
changing a role takes effect at the next request. Failed sign-ins are counted in SQL per
client address and per named user; past `[security] login_attempts` in the window, the
token is not even checked. The CSRF token is an HMAC of the session nonce; every unsafe request that
rides on the cookie must carry it (form field `csrf` or header `X-CSRF-Token`). API
clients may instead send `Authorization: Bearer <token>`, which is not ambient and so
needs no CSRF token.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import secrets
import time
import urllib.parse
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Literal

from fastapi import HTTPException, Request
from starlette.concurrency import run_in_threadpool

from agent.web.state import WebState, web_state
from store.signin.sessions import (
    end_session,
    open_session,
    purge_expired,
    record_failure,
    session_user,
    signin_refusal,
)
from store.signin.tokens import authenticate, get_user

Permission = Literal["read", "audit", "decide", "chat", "admin"]
SESSION_COOKIE = "jo_session"
LOGIN_COOKIE = "jo_login"
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Rows of each kind deleted per sign-in: bounded work, and more than sign-ins create.
_PURGE_BATCH = 500

# Route-level rights; the SQL gate still checks council membership per journey on decisions.
PERMISSIONS: dict[Permission, frozenset[str]] = {
    "read": frozenset({"viewer", "journey_owner", "council_member", "admin"}),
    "audit": frozenset({"journey_owner", "council_member", "admin"}),
    "decide": frozenset({"journey_owner", "council_member"}),
    "chat": frozenset({"journey_owner", "council_member", "admin"}),
    "admin": frozenset({"admin"}),
}


class NotSignedIn(Exception):
    """The request carries no valid session or token."""


@dataclass(frozen=True)
class Principal:
    """The signed-in user of one request."""

    user: str
    role: str
    via: Literal["cookie", "bearer"]
    csrf: str

    def can(self, permission: Permission) -> bool:
        """Return whether this user's role grants `permission`."""
        return self.role in PERMISSIONS[permission]


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(secret: bytes, message: str) -> str:
    return _b64(hmac.new(secret, message.encode("utf-8"), hashlib.sha256).digest())


class SignInRefused(Exception):
    """A sign-in that is not accepted; `status` is 401 (bad token) or 429 (too many)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def exchange_token(state: WebState, *, token: str, user: str, client: str) -> tuple[str, str]:
    """Check the sign-in limits, then the token; return (user, role) or raise SignInRefused.

    `user`, if given, must be the token's owner; a failure is counted against it too.
    """
    security, now = state.settings.security, state.ctx.clock()
    window = dt.timedelta(minutes=security.login_window_minutes)
    with state.ctx.sessions.begin() as session:
        purge_expired(session, now=now, keep=window, batch=_PURGE_BATCH)
        refusal = signin_refusal(
            session,
            user=user,
            client=client,
            now=now,
            limit=security.login_attempts,
            window=window,
        )
    if refusal is not None:
        raise SignInRefused(429, refusal)
    with state.ctx.sessions.begin() as session:
        found = authenticate(session, token=token, now=now)
        if found is not None and (not user or found.name == user):
            return found.name, found.role
        record_failure(session, user=user, client=client, now=now)
    raise SignInRefused(401, "unknown or revoked token")


def sign_session(state: WebState, *, user: str) -> tuple[str, str]:
    """Open a session for `user`; return its signed cookie value and its CSRF token."""
    minutes = state.settings.web.session_minutes
    expires = int(time.time()) + minutes * 60
    with state.ctx.sessions.begin() as session:
        nonce = open_session(
            session, user=user, now=state.ctx.clock(), ttl=dt.timedelta(minutes=minutes)
        )
    body = _b64(json.dumps({"u": user, "n": nonce, "e": expires}).encode())
    return f"{body}.{_mac(state.secret, 'session|' + body)}", csrf_for(state, nonce)


def _read_session(state: WebState, value: str) -> tuple[str, str] | None:
    """Return (user, nonce) of a valid, unexpired cookie value, else None."""
    body, _, mac = value.partition(".")
    if not mac or not hmac.compare_digest(mac, _mac(state.secret, "session|" + body)):
        return None
    try:
        data = json.loads(_unb64(body))
    except ValueError:
        return None
    if not isinstance(data, dict) or int(data.get("e", 0)) < time.time():
        return None
    return str(data["u"]), str(data["n"])


def csrf_for(state: WebState, nonce: str) -> str:
    """Return the CSRF token bound to a session (or pre-login) nonce."""
    return _mac(state.secret, "csrf|" + nonce)


def login_nonce(state: WebState, request: Request) -> tuple[str, str]:
    """Return the pre-login (cookie value, nonce), reusing a valid one from the request."""
    value = request.cookies.get(LOGIN_COOKIE, "")
    nonce, _, mac = value.partition(".")
    if nonce and mac and hmac.compare_digest(mac, _mac(state.secret, "login|" + nonce)):
        return value, nonce
    nonce = secrets.token_urlsafe(16)
    return f"{nonce}.{_mac(state.secret, 'login|' + nonce)}", nonce


def check_login_csrf(state: WebState, request: Request, submitted: str) -> bool:
    """Return whether a sign-in form carries the token of its pre-login cookie."""
    value = request.cookies.get(LOGIN_COOKIE, "")
    nonce, _, mac = value.partition(".")
    if not nonce or not hmac.compare_digest(mac, _mac(state.secret, "login|" + nonce)):
        return False
    return hmac.compare_digest(submitted, csrf_for(state, nonce))


def current_principal(request: Request) -> Principal | None:
    """Return the request's user from a bearer token or the session cookie, or None."""
    state = web_state(request)
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        with state.ctx.sessions.begin() as session:
            user = authenticate(session, token=header[7:].strip(), now=state.ctx.clock())
            return Principal(user.name, user.role, "bearer", "") if user else None
    parsed = _read_session(state, request.cookies.get(SESSION_COOKIE, ""))
    if parsed is None:
        return None
    name, nonce = parsed
    with state.ctx.sessions() as session:
        if session_user(session, session_id=nonce, now=state.ctx.clock()) != name:
            return None
        found = get_user(session, name=name)
        return (
            Principal(found.name, found.role, "cookie", csrf_for(state, nonce)) if found else None
        )


def client_address(request: Request) -> str:
    """Return the address sign-in limits count against (the peer; no proxy header is trusted)."""
    return request.client.host if request.client is not None else "unknown"


def end_current_session(request: Request) -> None:
    """End the session the request's cookie names (sign-out)."""
    state = web_state(request)
    parsed = _read_session(state, request.cookies.get(SESSION_COOKIE, ""))
    if parsed is not None:
        with state.ctx.sessions.begin() as session:
            end_session(session, session_id=parsed[1], now=state.ctx.clock())


async def read_form(request: Request) -> dict[str, str]:
    """Return the urlencoded form of the request (last value of each field), cached."""
    cached = getattr(request.state, "form", None)
    if isinstance(cached, dict):
        return cached
    form: dict[str, str] = {}
    if request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        raw = (await request.body()).decode("utf-8", errors="replace")
        form = {k: v[-1] for k, v in urllib.parse.parse_qs(raw, keep_blank_values=True).items()}
    request.state.form = form
    return form


def require(permission: Permission) -> Callable[[Request], Awaitable[Principal]]:
    """Return the dependency that admits only users whose role grants `permission`."""

    async def dependency(request: Request) -> Principal:
        # The user lookup is SQL: it runs on a worker thread, never on the event loop.
        principal = await run_in_threadpool(current_principal, request)
        if principal is None:
            raise NotSignedIn()
        if not principal.can(permission):
            raise HTTPException(403, f"your role ({principal.role}) may not {permission} here")
        if request.method not in _SAFE_METHODS and principal.via == "cookie":
            sent = request.headers.get("x-csrf-token") or (await read_form(request)).get("csrf")
            if not sent or not hmac.compare_digest(sent, principal.csrf):
                raise HTTPException(403, "missing or wrong CSRF token; reload the page")
        request.state.principal = principal
        return principal

    return dependency
