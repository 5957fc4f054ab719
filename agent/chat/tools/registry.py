"""The model's tool registry: typed functions with pydantic argument models.

Only read-only tools and `propose_action` (which files a proposal for the council and
changes nothing else) are registered. Dispatching workflows and deciding are not tools:
a model cannot call what it is never shown. Bad arguments come back as readable errors
the model can correct, never as exceptions that end the conversation.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError

from agent.llm.protocol import ToolCall, ToolSpec


class ToolError(Exception):
    """A tool could not answer; the message is sent back to the model verbatim."""


@dataclass(frozen=True)
class Tool:
    """One capability the model may call."""

    name: str
    description: str
    args: type[BaseModel]
    run: Callable[[Any, Any], dict[str, object]]

    def spec(self) -> ToolSpec:
        """Return the JSON-schema description sent to the model."""
        schema = self.args.model_json_schema()
        schema.pop("title", None)
        return ToolSpec(name=self.name, description=self.description, parameters=schema)


class ToolOutcome(BaseModel):
    """The result of one tool call, as recorded in the conversation."""

    call_id: str
    name: str
    arguments: dict[str, object]
    ok: bool
    result: dict[str, object] | None = None
    error: str | None = None

    def content(self) -> str:
        """Return the text sent back to the model."""
        if self.ok:
            return json.dumps(self.result, ensure_ascii=False, default=str)
        return json.dumps({"error": self.error}, ensure_ascii=False)


class ToolRegistry:
    """Look up, describe and execute tools by name."""

    def __init__(self, tools: Sequence[Tool]) -> None:
        self._tools = {t.name: t for t in tools}

    @property
    def names(self) -> list[str]:
        return list(self._tools)

    def specs(self) -> list[ToolSpec]:
        """Return the specs of every registered tool."""
        return [t.spec() for t in self._tools.values()]

    def execute(self, session: object, call: ToolCall) -> ToolOutcome:
        """Run one call; unknown tools, malformed or invalid arguments become errors."""

        def fail(message: str) -> ToolOutcome:
            return ToolOutcome(
                call_id=call.id, name=call.name, arguments=call.arguments, ok=False, error=message
            )

        tool = self._tools.get(call.name)
        if tool is None:
            return fail(f"unknown tool {call.name!r}; available tools: {', '.join(self._tools)}")
        if call.error is not None:
            return fail(f"{call.name}: {call.error}")
        try:
            args = tool.args.model_validate(call.arguments)
        except ValidationError as exc:
            return fail(f"{call.name}: invalid arguments: {_readable(exc)}")
        try:
            result = tool.run(session, args)
        except ToolError as exc:
            return fail(f"{call.name}: {exc}")
        return ToolOutcome(
            call_id=call.id, name=call.name, arguments=call.arguments, ok=True, result=result
        )


def _readable(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err["loc"]) or "arguments"
        parts.append(f"{where}: {err['msg']}")
    return "; ".join(parts)
