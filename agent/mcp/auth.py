"""Who is calling: a journeyops sign-in token resolved to an enabled user.

The token is checked against the tokens table (only its hash is stored), so an MCP
client authenticates exactly as the council app's API does, and nobody proposes under a
name they merely typed.
"""

from __future__ import annotations

import anyio.to_thread
from mcp.server.auth.provider import AccessToken

from agent.context import RunContext
from store.signin.tokens import authenticate

TOKEN_ENV = "JOURNEYOPS_TOKEN"


class MCPAuthError(ValueError):
    """A token that signs nobody in; the message says where it came from."""


def user_for_token(ctx: RunContext, token: str) -> str | None:
    """Return the enabled user a sign-in token belongs to, or None."""
    with ctx.sessions.begin() as session:
        user = authenticate(session, token=token.strip(), now=ctx.clock())
        return user.name if user is not None else None


def stdio_user(ctx: RunContext, token: str | None) -> str:
    """Return the user of the `JOURNEYOPS_TOKEN` a stdio server was started with."""
    if not token:
        raise MCPAuthError(f"{TOKEN_ENV}: set it to a token from `journeyops tokens create`")
    user = user_for_token(ctx, token)
    if user is None:
        raise MCPAuthError(f"{TOKEN_ENV}: not a live token of an enabled user")
    return user


class TokenVerifier:
    """The MCP SDK's bearer-token hook, answered from the tokens table."""

    def __init__(self, ctx: RunContext) -> None:
        self._ctx = ctx

    async def verify_token(self, token: str) -> AccessToken | None:
        """Return the access a bearer token grants (its user as subject), or None."""
        user = await anyio.to_thread.run_sync(user_for_token, self._ctx, token)
        if user is None:
            return None
        return AccessToken(token=token, client_id=user, subject=user, scopes=[])
