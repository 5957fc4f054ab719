"""The MCP server in process: registry schemas served as they are, callers required."""

from __future__ import annotations

import anyio
from mcp import Client

from agent.chat.tools.registry import REGISTRY
from agent.mcp.server import build_server
from tests.agent.mcp.conftest import McpHome


def test_tools_are_the_registry_s_own_schemas_and_descriptions(mcp_home: McpHome) -> None:
    async def listed() -> list[tuple[str, str | None, object, object]]:
        async with Client(build_server(mcp_home.context(), user="maria")) as client:
            tools = (await client.list_tools()).tools
            return [(t.name, t.description, t.input_schema, t.output_schema) for t in tools]

    assert anyio.run(listed) == [
        (t.name, t.description, t.input_schema, t.output_schema) for t in REGISTRY.tools
    ]


def test_a_call_without_an_authenticated_user_is_refused(mcp_home: McpHome) -> None:
    async def call() -> tuple[bool, str]:
        async with Client(build_server(mcp_home.context())) as client:
            result = await client.call_tool("catalog", {})
            return result.is_error, getattr(result.content[0], "text", "")

    assert anyio.run(call) == (True, "catalog: no authenticated journeyops user")
