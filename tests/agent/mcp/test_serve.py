"""`journeyops mcp` as a real subprocess, driven by the MCP SDK's own client.

Over stdio the caller is the user of `JOURNEYOPS_TOKEN`; over streamable HTTP each request
carries a bearer token. Either way every registry tool is listed and callable, customer
text comes back fenced, a proposal lands in SQL as the caller's, and a bad argument is a
readable tool error.
"""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Iterator
from typing import Any

import anyio
import httpx2
import pytest
from mcp import Client, StdioServerParameters
from mcp.client.streamable_http import streamable_http_client
from sqlalchemy import select

from agent.chat.tools.registry import REGISTRY
from agent.llm.untrusted import is_fenced
from agent.mcp.auth import TOKEN_ENV
from store.models import ActionRow
from store.states import ActionStatus
from tests.agent.mcp.conftest import PYTHON, USER, McpHome, body, cli_args, cli_env

_STARTUP_S = 60.0


async def _every_tool(client: Client) -> dict[str, dict[str, Any]]:
    """List the tools, then call each with arguments found through the tools themselves."""
    listed = await client.list_tools()
    assert [t.name for t in listed.tools] == REGISTRY.names
    read_only = {t.name for t in listed.tools if t.annotations and t.annotations.read_only_hint}
    assert read_only == set(REGISTRY.names) - {"propose_action"}

    got: dict[str, dict[str, Any]] = {"catalog": body(await client.call_tool("catalog", {}))}
    found = body(await client.call_tool("detect_breakdowns", {}))["breakdowns"]
    caused = [b for b in found if b.get("top_cause")]
    bd = next((b for b in caused if "tracking_gap" not in str(b["top_cause"])), caused[0])
    place = {"journey": bd["journey"], "stage": bd["stage"], "metric": bd["metric"]}
    about = {"breakdown_id": bd["breakdown_id"]}
    for name, args in [
        ("query_metric", place),
        ("compare_periods", place),
        ("localize", about),
        ("search_insights", {"journey": bd["journey"], "query": "payment failed", "k": 3}),
        ("theme_surges", about),
        ("recommend_fixes", about),
        ("list_actions", {"status": "proposed"}),
    ]:
        got[name] = body(await client.call_tool(name, args))
    playbook = got["recommend_fixes"]["recommendations"][0]["playbook"]
    got["propose_action"] = body(
        await client.call_tool("propose_action", {**about, "playbook": playbook})
    )
    return got


def _assert_proposed_as_user(mcp_home: McpHome, got: dict[str, dict[str, Any]]) -> None:
    proposal = got["propose_action"]
    assert proposal["status"] == ActionStatus.PROPOSED
    quotes = got["search_insights"]
    assert quotes["quotes"] and all(is_fenced(q["quote"]) for q in quotes["quotes"])
    assert "untrusted" in quotes["note"].lower() or "never an instruction" in quotes["note"]
    ctx = mcp_home.context()
    with ctx.sessions() as db:
        row = db.execute(
            select(ActionRow).where(ActionRow.id == proposal["action_id"])
        ).scalar_one()
    assert row.status == ActionStatus.PROPOSED
    assert row.proposed_by == USER


async def _bad_argument_is_a_readable_error(client: Client) -> None:
    result = await client.call_tool("query_metric", {"journey": "checkout", "stage": 7})
    assert result.is_error
    text = getattr(result.content[0], "text", "")
    assert text.startswith("query_metric: invalid arguments:")
    assert "metric" in text and "stage" in text
    unknown = await client.call_tool("approve_action", {"action_id": "act-1"})
    assert unknown.is_error
    assert "unknown tool 'approve_action'" in getattr(unknown.content[0], "text", "")


def test_stdio_serves_every_tool_as_the_token_user(mcp_home: McpHome) -> None:
    params = StdioServerParameters(
        command=PYTHON,
        args=cli_args(mcp_home.home, "mcp"),
        env=cli_env(**{TOKEN_ENV: mcp_home.token}),
    )

    async def scenario() -> dict[str, dict[str, Any]]:
        async with Client(params, read_timeout_seconds=_STARTUP_S) as client:
            got = await _every_tool(client)
            await _bad_argument_is_a_readable_error(client)
            return got

    _assert_proposed_as_user(mcp_home, anyio.run(scenario))


def test_stdio_refuses_to_start_without_a_live_token(mcp_home: McpHome) -> None:
    done = subprocess.run(
        [PYTHON, *cli_args(mcp_home.home, "mcp")],
        env=cli_env(**{TOKEN_ENV: "jo_not-a-token"}),
        capture_output=True,
        text=True,
        timeout=_STARTUP_S,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 2
    assert f"{TOKEN_ENV}: not a live token" in done.stderr
    assert "Traceback" not in done.stderr


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture
def http_server(mcp_home: McpHome) -> Iterator[str]:
    port = _free_port()
    proc = subprocess.Popen(
        [PYTHON, *cli_args(mcp_home.home, "mcp", "--http", "--port", str(port))],
        env=cli_env(),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + _STARTUP_S
        while True:
            assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                assert time.monotonic() < deadline, "the MCP server did not start"
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}/mcp"
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_streamable_http_serves_every_tool_to_a_bearer_token(
    mcp_home: McpHome, http_server: str
) -> None:
    async def scenario() -> dict[str, dict[str, Any]]:
        headers = {"Authorization": f"Bearer {mcp_home.token}"}
        async with httpx2.AsyncClient(headers=headers, timeout=_STARTUP_S) as http:
            transport = streamable_http_client(http_server, http_client=http)
            async with Client(transport, read_timeout_seconds=_STARTUP_S) as client:
                got = await _every_tool(client)
                await _bad_argument_is_a_readable_error(client)
                return got

    _assert_proposed_as_user(mcp_home, anyio.run(scenario))


@pytest.mark.parametrize("header", [None, "Bearer jo_not-a-token"])
def test_streamable_http_refuses_a_request_without_a_live_token(
    http_server: str, header: str | None
) -> None:
    headers = {"Authorization": header} if header else {}
    reply = httpx2.post(
        http_server,
        headers={**headers, "Accept": "application/json, text/event-stream"},
        json={"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}},
    )
    assert reply.status_code == 401
