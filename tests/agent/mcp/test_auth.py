"""Sign-in tokens decide who an MCP caller is: revoked tokens and disabled users sign in nobody."""

from __future__ import annotations

import anyio
import pytest

from agent.mcp.auth import MCPAuthError, TokenVerifier, stdio_user
from store.signin.tokens import add_user, create_token, disable_user, revoke_tokens
from tests.agent.mcp.conftest import USER, McpHome


def test_a_live_token_names_its_user_on_both_transports(mcp_home: McpHome) -> None:
    ctx = mcp_home.context()
    access = anyio.run(TokenVerifier(ctx).verify_token, mcp_home.token)
    assert stdio_user(ctx, mcp_home.token) == USER
    assert access is not None and access.subject == USER


@pytest.mark.parametrize("token", [None, "", "jo_unknown", "not-even-prefixed"])
def test_a_missing_or_unknown_token_is_refused_with_the_variable_named(
    mcp_home: McpHome, token: str | None
) -> None:
    ctx = mcp_home.context()
    with pytest.raises(MCPAuthError, match="JOURNEYOPS_TOKEN"):
        stdio_user(ctx, token)
    if token:
        assert anyio.run(TokenVerifier(ctx).verify_token, token) is None


def test_revoked_tokens_and_disabled_users_sign_in_nobody(mcp_home: McpHome) -> None:
    ctx = mcp_home.context()
    with ctx.sessions.begin() as session:
        add_user(session, name="li", role="council_member", now=ctx.clock())
        revoked = create_token(session, user="li", now=ctx.clock())
        revoke_tokens(session, user="li", now=ctx.clock())
        live = create_token(session, user="li", now=ctx.clock())
    with pytest.raises(MCPAuthError):
        stdio_user(ctx, revoked)
    assert stdio_user(ctx, live) == "li"
    with ctx.sessions.begin() as session:
        disable_user(session, name="li", now=ctx.clock())
    assert anyio.run(TokenVerifier(ctx).verify_token, live) is None
