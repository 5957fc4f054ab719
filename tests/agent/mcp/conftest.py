"""A private demo workspace with a signed-in user, and an MCP client session helper."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import mcp_types as types
import pytest
from mcp import Client

from agent.config import DEFAULT_CONFIG, load_settings
from agent.context import RunContext, build_context
from agent.workspace import Workspace
from store.signin.tokens import add_user, create_token
from tests.support.demo_workspace import copy_home

USER = "maria"


@dataclass(frozen=True)
class McpHome:
    home: Path
    token: str

    def context(self) -> RunContext:
        """Return a context on the workspace that does not keep the warehouse open."""
        ctx = build_context(
            load_settings(DEFAULT_CONFIG), Workspace.resolve(self.home), with_insights=False
        )
        ctx.warehouse.close()
        return ctx


@pytest.fixture(scope="module")
def mcp_home(tmp_path_factory: pytest.TempPathFactory, demo_base: Path) -> McpHome:
    home = copy_home(demo_base, tmp_path_factory.mktemp("mcp"))
    ctx = build_context(load_settings(DEFAULT_CONFIG), Workspace.resolve(home), with_insights=False)
    with ctx.sessions.begin() as session:
        add_user(session, name=USER, role="journey_owner", now=ctx.clock())
        token = create_token(session, user=USER, now=ctx.clock())
    ctx.warehouse.close()
    return McpHome(home=home, token=token)


def cli_env(**extra: str) -> dict[str, str]:
    """The environment a `journeyops` subprocess needs to import this checkout."""
    keep = {k: os.environ[k] for k in ("PYTHONPATH", "HOME", "PATH") if k in os.environ}
    return {**keep, **extra}


def cli_args(home: Path, *args: str) -> list[str]:
    return ["-m", "agent.cli.app", "--home", str(home), *args]


PYTHON = sys.executable


def body(result: types.CallToolResult) -> dict[str, Any]:
    """Return the JSON object a successful call returned, failing on an error result."""
    assert not result.is_error, result.content
    assert isinstance(result.structured_content, dict)
    first = result.content[0]
    assert isinstance(first, types.TextContent)
    assert json.loads(first.text) == result.structured_content
    return result.structured_content


Scenario = Callable[[Client], Awaitable[None]]
