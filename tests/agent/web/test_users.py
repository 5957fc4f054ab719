"""Taking access away: a disabled user is out at once; revoked tokens sign nobody in."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from agent.config import Settings
from agent.context import RunContext
from store.audit import events_for, verify_chain
from store.signin.tokens import WebAuthError, disable_user, revoke_tokens
from tests.support.demo_workspace import run_cli
from tests.support.web import NOW, USERS, app_for, seeded_context, sign_in, tokens_for


@pytest.fixture
def world(settings: Settings, tmp_path: Path) -> Iterator[tuple[RunContext, dict[str, str]]]:
    ctx, _ = seeded_context(settings, tmp_path / "home")
    yield ctx, tokens_for(ctx)
    ctx.warehouse.close()


def test_disabling_a_user_ends_the_open_session_and_the_tokens(
    world: tuple[RunContext, dict[str, str]],
) -> None:
    ctx, tokens = world
    client = TestClient(app_for(ctx))
    sign_in(client, tokens["council_member"])
    assert client.get("/approvals", follow_redirects=False).status_code == 200
    with ctx.sessions.begin() as session:
        disable_user(session, name=USERS["council_member"], now=NOW)
    reply = client.get("/approvals", follow_redirects=False)
    assert reply.status_code == 303 and reply.headers["location"] == "/login"
    assert (
        TestClient(app_for(ctx))
        .post("/api/session", json={"token": tokens["council_member"]})
        .status_code
        == 401
    )
    with ctx.sessions() as session:
        assert [e.kind for e in events_for(session, subject=USERS["council_member"])][-1] == (
            "web.user_disabled"
        )
        assert verify_chain(session).ok
    with ctx.sessions.begin() as session, pytest.raises(WebAuthError, match="no user"):
        disable_user(session, name="nobody", now=NOW)


def test_revoked_tokens_sign_nobody_in_and_other_users_keep_theirs(
    world: tuple[RunContext, dict[str, str]],
) -> None:
    ctx, tokens = world
    with ctx.sessions.begin() as session:
        assert revoke_tokens(session, user=USERS["viewer"], now=NOW) == 1
        assert revoke_tokens(session, user=USERS["viewer"], now=NOW) == 0
    api = TestClient(app_for(ctx))
    assert api.post("/api/session", json={"token": tokens["viewer"]}).status_code == 401
    assert api.post("/api/session", json={"token": tokens["admin"]}).status_code == 200


def test_cli_disables_and_revokes(settings: Settings, tmp_path: Path) -> None:
    home = tmp_path / "home"
    run_cli(home, "users", "add", "kim", "--role", "council_member")
    run_cli(home, "tokens", "create", "kim")
    assert "1 token(s) of kim revoked" in run_cli(home, "tokens", "revoke", "kim")
    assert "kim is disabled" in run_cli(home, "users", "disable", "kim")
    assert run_cli(home, "users", "list").split() == ["kim", "council_member", "disabled"]
