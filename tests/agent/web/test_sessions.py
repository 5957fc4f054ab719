"""Sessions that end: sign-out, token revocation and a disabled user end a session at its
next request; failed sign-ins are limited per client address and per user; expired
sessions and decision confirmations are purged at sign-in.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from agent.config import Settings
from agent.context import RunContext
from agent.web.auth import SESSION_COOKIE
from store.models import WebConfirmation, WebSession
from store.signin.tokens import disable_user, revoke_tokens
from tests.support.web import app_for, csrf_in, seeded_context, sign_in, tokens_for

NOW = dt.datetime(2026, 4, 1, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def seeded(settings: Settings, tmp_path: Path) -> Iterator[tuple[RunContext, str, dict[str, str]]]:
    ctx, action_id = seeded_context(settings, tmp_path / "home")
    ctx.clock = lambda: NOW
    yield ctx, action_id, tokens_for(ctx)
    ctx.warehouse.close()


def _client(ctx: RunContext, address: str = "10.0.0.1") -> TestClient:
    return TestClient(app_for(ctx), client=(address, 50000))


def _count(ctx: RunContext, table: type[WebSession] | type[WebConfirmation]) -> int:
    with ctx.sessions() as s:
        return int(s.execute(select(func.count()).select_from(table)).scalar_one())


def _post_login(client: TestClient, token: str, user: str = "") -> int:
    page = client.get("/login")
    reply = client.post(
        "/login",
        data={"csrf": csrf_in(page.text), "token": token, "user": user},
        follow_redirects=False,
    )
    return (
        reply.status_code
        if reply.status_code != 303
        else (200 if reply.headers["location"] == "/" else 401)
    )


def test_the_old_cookie_stops_working_after_logout(
    seeded: tuple[RunContext, str, dict[str, str]],
) -> None:
    ctx, _, tokens = seeded
    client = _client(ctx)
    csrf = sign_in(client, tokens["council_member"])
    stolen = client.cookies[SESSION_COOKIE]
    assert client.get("/api/me").json()["user"] == "li"
    assert client.post("/logout", data={"csrf": csrf}, follow_redirects=False).status_code == 303
    replay = _client(ctx)
    replay.cookies.set(SESSION_COOKIE, stolen)
    assert replay.get("/api/me").status_code == 401


@pytest.mark.parametrize("how", ["tokens revoke", "users disable"])
def test_revoking_tokens_or_disabling_the_user_ends_open_sessions(
    seeded: tuple[RunContext, str, dict[str, str]], how: str
) -> None:
    ctx, _, tokens = seeded
    client = _client(ctx)
    sign_in(client, tokens["journey_owner"])
    assert client.get("/api/me").status_code == 200
    with ctx.sessions.begin() as s:
        if how == "tokens revoke":
            revoke_tokens(s, user="maria", now=NOW)
        else:
            disable_user(s, name="maria", now=NOW)
    assert client.get("/api/me").status_code == 401


def test_failed_sign_ins_are_limited_per_client_address(
    seeded: tuple[RunContext, str, dict[str, str]],
) -> None:
    ctx, _, tokens = seeded
    limit = ctx.settings.security.login_attempts
    guesser = _client(ctx, "10.0.0.66")
    assert [_post_login(guesser, f"jo_guess{n}") for n in range(limit)] == [401] * limit
    # Past the limit even the right token is not checked from that address ...
    assert _post_login(guesser, tokens["viewer"]) == 429
    # ... while another address signs in, and the limit lifts once the window has passed.
    assert _post_login(_client(ctx, "10.0.0.7"), tokens["viewer"]) == 200
    window = dt.timedelta(minutes=ctx.settings.security.login_window_minutes)
    ctx.clock = lambda: NOW + window + dt.timedelta(seconds=1)
    assert _post_login(guesser, tokens["viewer"]) == 200


def test_failed_sign_ins_naming_a_user_are_limited_across_addresses(
    seeded: tuple[RunContext, str, dict[str, str]],
) -> None:
    ctx, _, tokens = seeded
    limit = ctx.settings.security.login_attempts
    codes = [_post_login(_client(ctx, f"10.1.0.{n}"), "jo_nope", "li") for n in range(limit)]
    assert codes == [401] * limit
    assert _post_login(_client(ctx, "10.2.0.1"), tokens["council_member"], "li") == 429
    assert _post_login(_client(ctx, "10.2.0.1"), tokens["viewer"], "vera") == 200


def test_a_token_of_another_user_than_the_one_named_does_not_sign_in(
    seeded: tuple[RunContext, str, dict[str, str]],
) -> None:
    ctx, _, tokens = seeded
    assert _post_login(_client(ctx), tokens["viewer"], "li") == 401


def test_expired_sessions_and_confirmations_are_purged_at_sign_in(
    seeded: tuple[RunContext, str, dict[str, str]],
) -> None:
    ctx, action_id, tokens = seeded
    client = _client(ctx)
    sign_in(client, tokens["council_member"])
    for _ in range(5):
        assert client.get(f"/actions/{action_id}").status_code == 200
    assert _count(ctx, WebConfirmation) >= 5 and _count(ctx, WebSession) == 1
    later = NOW + dt.timedelta(minutes=ctx.settings.web.session_minutes + 1)
    ctx.clock = lambda: later
    assert client.get("/api/me").status_code == 401  # the session expired in SQL
    assert _post_login(_client(ctx), tokens["viewer"]) == 200
    assert _count(ctx, WebConfirmation) == 0 and _count(ctx, WebSession) == 1
