"""The MCP server in process: registry schemas served as they are, callers required."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import anyio
from mcp import Client

from agent.chat.tools.registry import REGISTRY
from agent.config import SlackSettings
from agent.mcp.server import SESSION_TTL, ToolHost, build_server
from store.signin.tokens import add_user, create_token, revoke_tokens
from tests.agent.mcp.conftest import McpHome
from tests.support.slack_api import FakeSlack


def test_tools_are_the_registry_s_own_schemas_and_descriptions(mcp_home: McpHome) -> None:
    async def listed() -> list[tuple[str, str | None, object, object]]:
        async with Client(build_server(mcp_home.context(), token=mcp_home.token)) as client:
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

    assert anyio.run(call) == (
        True,
        "catalog: no authenticated journeyops user (is the token still live?)",
    )


def test_a_token_revoked_while_serving_stops_the_next_call(mcp_home: McpHome) -> None:
    ctx = mcp_home.context()
    with ctx.sessions.begin() as session:
        add_user(session, name="sam", role="journey_owner", now=ctx.clock())
        token = create_token(session, user="sam", now=ctx.clock())

    async def two_calls() -> tuple[bool, bool]:
        async with Client(build_server(ctx, token=token)) as client:
            before = await client.call_tool("catalog", {})
            with ctx.sessions.begin() as session:
                revoke_tokens(session, user="sam", now=ctx.clock())
            after = await client.call_tool("catalog", {})
            return before.is_error, after.is_error

    assert anyio.run(two_calls) == (False, True)
    ctx.warehouse.close()


def test_a_proposal_filed_over_mcp_is_posted_to_the_journey_s_slack_channel(
    mcp_home: McpHome,
) -> None:
    ctx = mcp_home.context()
    with FakeSlack() as slack:
        ctx.settings = ctx.settings.model_copy(
            update={"slack": SlackSettings(channels={"default": "C-ALL"}, api_url=slack.url)}
        )
        server = build_server(ctx, token=mcp_home.token, environ={"SLACK_BOT_TOKEN": "xoxb-test"})

        async def propose() -> dict[str, Any]:
            async with Client(server) as client:
                found = await client.call_tool("detect_breakdowns", {})
                assert isinstance(found.structured_content, dict)
                bd = next(b for b in found.structured_content["breakdowns"] if b.get("top_cause"))
                fixes = await client.call_tool(
                    "recommend_fixes", {"breakdown_id": bd["breakdown_id"]}
                )
                assert isinstance(fixes.structured_content, dict)
                playbook = fixes.structured_content["recommendations"][0]["playbook"]
                filed = await client.call_tool(
                    "propose_action", {"breakdown_id": bd["breakdown_id"], "playbook": playbook}
                )
                assert isinstance(filed.structured_content, dict)
                return filed.structured_content

        proposal = anyio.run(propose)
    ctx.warehouse.close()

    assert proposal["newly_filed"]
    (post,) = slack.of("chat.postMessage")
    assert post.body["channel"] == "C-ALL"
    assert proposal["action_id"] in json.dumps(post.body["blocks"])
    assert "proposed by maria" in json.dumps(post.body["blocks"])


def test_a_user_s_tool_session_is_renewed_but_keeps_the_ids_it_handed_out(
    mcp_home: McpHome,
) -> None:
    ctx = mcp_home.context()
    now = [dt.datetime(2026, 4, 1, 9, 0, tzinfo=dt.UTC)]
    ctx.clock = lambda: now[0]
    host = ToolHost(ctx, environ={})
    first = host._session("maria")
    first.known["bd-x"] = "2026-03-31"
    assert host._session("maria") is first
    now[0] += SESSION_TTL + dt.timedelta(seconds=1)
    renewed = host._session("maria")
    assert renewed is not first and renewed.known == {"bd-x": "2026-03-31"}
    assert renewed.ctx.settings.approval.proposer == "maria"
    ctx.warehouse.close()
