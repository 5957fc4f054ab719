"""The one registry of the model's tools: describe them, run calls, re-type stored results.

Only read-only tools and `propose_action` (which files a proposal for the council and
changes nothing else) are registered. Deciding and dispatching are not tools: a model
cannot call what it is never shown. Bad arguments and `ToolError`s come back as readable
errors the model can correct, never as exceptions that end the conversation.

Nothing here is tied to the chat graph: each `Tool` carries its name, description, input
and output schemas and side-effect flag, so another client (an MCP server) can serve the
same tools through `execute`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from agent.chat.tools.actions import list_actions, propose_action
from agent.chat.tools.breakdowns import detect_breakdowns, localize, recommend_fixes
from agent.chat.tools.errors import ToolError
from agent.chat.tools.evidence import search_insights, theme_surges
from agent.chat.tools.metrics import catalog, compare_periods, query_metric
from agent.chat.tools.segments import compare_segments
from agent.chat.tools.session import ToolSession
from agent.chat.tools.tool import Tool, ToolResult, tool
from agent.llm.protocol import ChatMessage, ToolCall, ToolSpec


@dataclass(frozen=True)
class ToolOutcome:
    """One tool call as the conversation records it: a typed result or an error."""

    call_id: str
    name: str
    arguments: Mapping[str, object]
    result: ToolResult | None = None
    error: str | None = None

    def __post_init__(self) -> None:
        if (self.result is None) == (self.error is None):
            raise ValueError("a tool outcome has either a result or an error")

    @property
    def ok(self) -> bool:
        return self.result is not None

    def content(self) -> str:
        """Return the text sent back to the model."""
        body = self.result.to_json() if self.result is not None else {"error": self.error}
        return json.dumps(body, ensure_ascii=False)


class ToolRegistry:
    """Look up, describe and execute tools by name."""

    def __init__(self, tools: Sequence[Tool[Any]]) -> None:
        self._tools = {t.name: t for t in tools}
        if len(self._tools) != len(tools):
            raise ValueError("two tools share a name")

    @property
    def tools(self) -> list[Tool[Any]]:
        """Return every registered tool, in the order the model is shown them."""
        return list(self._tools.values())

    @property
    def names(self) -> list[str]:
        return list(self._tools)

    def specs(self) -> list[ToolSpec]:
        """Return the specs of every registered tool."""
        return [t.spec() for t in self._tools.values()]

    def execute(
        self,
        session: ToolSession,
        name: str,
        arguments: Mapping[str, object],
        *,
        call_id: str = "",
    ) -> ToolOutcome:
        """Validate and run one call; unknown tools, bad arguments, `ToolError`s become errors."""

        def fail(message: str) -> ToolOutcome:
            return ToolOutcome(call_id=call_id, name=name, arguments=arguments, error=message)

        found = self._tools.get(name)
        if found is None:
            return fail(f"unknown tool {name!r}; available tools: {', '.join(self._tools)}")
        try:
            args = found.parse(arguments)
        except ValidationError as exc:
            return fail(f"{name}: invalid arguments: {_readable(exc)}")
        try:
            result = found.run(session, args)
        except ToolError as exc:
            return fail(f"{name}: {exc}")
        return ToolOutcome(call_id=call_id, name=name, arguments=arguments, result=result)

    def execute_call(self, session: ToolSession, call: ToolCall) -> ToolOutcome:
        """Run a model's call, including one whose arguments did not even parse."""
        if call.error is not None:
            return ToolOutcome(
                call_id=call.id,
                name=call.name,
                arguments=call.arguments,
                error=f"{call.name}: {call.error}",
            )
        return self.execute(session, call.name, call.arguments, call_id=call.id)

    def outcomes(self, messages: Sequence[ChatMessage]) -> list[ToolOutcome]:
        """Re-type the tool replies stored in a conversation (assistant calls + tool replies)."""
        calls = {c.id: c for m in messages if m.role == "assistant" for c in m.tool_calls}
        return [
            self._stored(calls[m.tool_call_id], m.content)
            for m in messages
            if m.role == "tool" and m.tool_call_id in calls
        ]

    def _stored(self, call: ToolCall, content: str) -> ToolOutcome:
        def fail(message: str) -> ToolOutcome:
            return ToolOutcome(
                call_id=call.id, name=call.name, arguments=call.arguments, error=message
            )

        try:
            body = json.loads(content or "null")
        except json.JSONDecodeError:
            return fail(f"{call.name}: the stored reply is not JSON")
        if isinstance(body, dict) and set(body) == {"error"}:
            return fail(str(body["error"]))
        found = self._tools.get(call.name)
        if found is None:
            return fail(f"unknown tool {call.name!r}")
        try:
            result = found.result.model_validate(body)
        except ValidationError as exc:
            return fail(f"{call.name}: the stored result no longer reads: {_readable(exc)}")
        return ToolOutcome(call_id=call.id, name=call.name, arguments=call.arguments, result=result)


def _readable(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err["loc"]) or "arguments"
        parts.append(f"{where}: {err['msg']}")
    return "; ".join(parts)


REGISTRY = ToolRegistry(
    [
        tool(catalog, side_effect=False),
        tool(query_metric, side_effect=False),
        tool(compare_periods, side_effect=False),
        tool(compare_segments, side_effect=False),
        tool(detect_breakdowns, side_effect=False),
        tool(localize, side_effect=False),
        tool(search_insights, side_effect=False),
        tool(theme_surges, side_effect=False),
        tool(recommend_fixes, side_effect=False),
        tool(list_actions, side_effect=False),
        tool(propose_action, side_effect=True),
    ]
)
