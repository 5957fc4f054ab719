"""A tool session on a private copy of the demo workspace, and valid arguments for every tool."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from agent.chat.tools.breakdowns import detect_breakdowns
from agent.chat.tools.session import ToolSession
from agent.config import DEFAULT_CONFIG, load_settings
from agent.context import build_context
from agent.workspace import Workspace
from tests.support.demo_workspace import copy_home


@pytest.fixture(scope="module")
def session(tmp_path_factory: pytest.TempPathFactory, demo_base: Path) -> Iterator[ToolSession]:
    home = copy_home(demo_base, tmp_path_factory.mktemp("tools"))
    ctx = build_context(load_settings(DEFAULT_CONFIG), Workspace.resolve(home))
    with ctx.warehouse:
        yield ToolSession(ctx)


@pytest.fixture(scope="module")
def arguments(session: ToolSession) -> dict[str, dict[str, object]]:
    """Valid arguments for each tool, on a breakdown with a cause and a recommended fix."""
    found = detect_breakdowns(session=session).breakdowns
    bd = next(b for b in found if b.top_cause is not None)
    full, _ = session.breakdown(bd.breakdown_id)
    place = {"journey": bd.journey, "stage": bd.stage, "metric": bd.metric}
    about = {"breakdown_id": bd.breakdown_id}
    return {
        "catalog": {},
        "query_metric": place,
        "compare_periods": place,
        "compare_segments": place,
        "detect_breakdowns": {"journey": bd.journey},
        "localize": about,
        "search_insights": about,
        "theme_surges": about,
        "recommend_fixes": about,
        "list_actions": {"status": "proposed"},
        "propose_action": {**about, "playbook": full.recommendations[0].playbook},
    }
