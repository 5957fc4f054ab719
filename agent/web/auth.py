"""Sign-in, signed session cookies, CSRF and the role each route requires.

A sign-in token (hashed in SQL) is exchanged for a session cookie: HMAC-signed, HttpOnly,
SameSite=Strict, carrying only the user name, a random nonce and the expiry. The user and
role are re-read from SQL on every request, so disabling a user or changing a role takes
effect at once. The CSRF token is an HMAC of the session nonce; every unsafe request that
rides on the cookie must carry it (form field `csrf` or header `X-CSRF-Token`). API
clients may instead send `Authorization: Bearer <token>`, which is not ambient and so
needs no CSRF token.
"""

from __future__ import annotations

import base64
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
from store.web_auth import authenticate, get_user

Permission = Literal["read", "audit", "decide", "chat", "admin"]
SESSION_COOKIE = "jo_session"
LOGIN_COOKIE = "jo_login"
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

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


def sign_session(state: WebState, *, user: str) -> tuple[str, str]:
    """Return a signed session cookie value for `user` and the CSRF token that goes with it."""
    expires = int(time.time()) + state.settings.web.session_minutes * 60
    nonce = secrets.token_urlsafe(16)
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
        found = get_user(session, name=name)
        return (
            Principal(found.name, found.role, "cookie", csrf_for(state, nonce)) if found else None
        )


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
