"""Run the MCP server on stdio (one user, from `JOURNEYOPS_TOKEN`) or streamable HTTP."""

from __future__ import annotations

import anyio
import uvicorn
from mcp.server.auth.settings import AuthSettings
from mcp.server.stdio import stdio_server
from pydantic import AnyHttpUrl
from starlette.applications import Starlette

from agent.context import RunContext
from agent.mcp.auth import TokenVerifier, stdio_user
from agent.mcp.server import build_server

MCP_PATH = "/mcp"


def serve_stdio(ctx: RunContext, *, token: str | None) -> None:
    """Serve over stdin/stdout as the token's user until the client closes the pipe."""
    stdio_user(ctx, token)  # Refuse to start at all without a live token.
    server = build_server(ctx, token=token)

    async def run() -> None:
        async with stdio_server() as (read, write):
            await server.run(read, write, server.create_initialization_options())

    anyio.run(run)


def http_app(ctx: RunContext, *, host: str, port: int) -> Starlette:
    """Return the streamable-HTTP app at `/mcp`; every request needs a bearer token."""
    base = f"http://{host}:{port}"
    return build_server(ctx).streamable_http_app(
        streamable_http_path=MCP_PATH,
        host=host,
        # journeyops issues its own tokens (`journeyops tokens create`); no OAuth server.
        auth=AuthSettings(issuer_url=AnyHttpUrl(base), resource_server_url=None),
        token_verifier=TokenVerifier(ctx),
    )


def serve_http(ctx: RunContext, *, host: str, port: int) -> None:
    """Serve streamable HTTP on host:port until interrupted."""
    uvicorn.run(http_app(ctx, host=host, port=port), host=host, port=port, log_level="warning")
