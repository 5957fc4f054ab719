"""A tool from a plain typed function: schema and description are read, never restated.

`tool(fn, side_effect=...)` turns a function into a `Tool`. Its parameters before `*`
become the argument model (extra keys forbidden), their descriptions come from the
docstring's `Args:` section, and the rest of the docstring is the description the model
reads. The keyword-only `session` is a dependency and never appears in the schema. The
return annotation is the result model, so an MCP server can publish it as the output schema.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar, cast, get_type_hints

from pydantic import BaseModel, ConfigDict, Field, create_model

from agent.chat.tools.session import ToolSession
from agent.llm.protocol import ToolSpec


class ToolResult(BaseModel):
    """What a tool returns: a compact JSON summary the model reads, never a frame."""

    # Extra keys are refused so a stored result that no longer fits its model is noticed.
    model_config = ConfigDict(extra="forbid")

    def to_json(self) -> dict[str, Any]:
        """Return the result as the JSON object the model is sent."""
        return self.model_dump(mode="json")


class ResultPart(BaseModel):
    """A row inside a tool result (a day, a cause, a quote), as strict as the result."""

    model_config = ConfigDict(extra="forbid")


R = TypeVar("R", bound=ToolResult)

_DEPENDENCY = "session"
_PARAM = re.compile(r"^(\w+):\s*(.*)$")
_SECTION = re.compile(r"^[A-Z]\w*( \w+)*:$")


@dataclass(frozen=True)
class Tool(Generic[R]):
    """One capability the model may call, with everything a client needs to describe it."""

    name: str
    description: str
    args: type[BaseModel]
    result: type[R]
    side_effect: bool
    function: Callable[..., R]

    @property
    def input_schema(self) -> dict[str, Any]:
        """Return the JSON schema of the arguments."""
        schema = self.args.model_json_schema()
        schema.pop("title", None)
        return schema

    @property
    def output_schema(self) -> dict[str, Any]:
        """Return the JSON schema of the result."""
        return self.result.model_json_schema()

    def spec(self) -> ToolSpec:
        """Return the description sent to the model."""
        return ToolSpec(name=self.name, description=self.description, parameters=self.input_schema)

    def parse(self, arguments: Mapping[str, object]) -> BaseModel:
        """Return the validated arguments; raise pydantic's `ValidationError` when they are bad."""
        return self.args.model_validate(arguments)

    def run(self, session: ToolSession, args: BaseModel) -> R:
        """Call the function with parsed arguments; raise `ToolError` when it cannot answer."""
        values = {name: getattr(args, name) for name in type(args).model_fields}
        return self.function(**values, session=session)


def tool(function: Callable[..., R], *, side_effect: bool) -> Tool[R]:
    """Describe `function` as a tool named after it.

    `side_effect` declares whether calling it changes anything beyond reading; a
    malformed tool (an undocumented parameter, a result that is not a `ToolResult`,
    a dependency other than `session`) fails here, at import, not in a conversation.
    """
    name = function.__name__
    hints = get_type_hints(function, include_extras=True)
    description, documented = _docstring(function)
    result = hints.get("return")
    if not (isinstance(result, type) and issubclass(result, ToolResult)):
        raise TypeError(f"tool {name}: must return a ToolResult model, not {result!r}")
    fields: dict[str, Any] = {}
    for param in inspect.signature(function).parameters.values():
        if param.kind is inspect.Parameter.KEYWORD_ONLY:
            if param.name != _DEPENDENCY or hints.get(param.name) is not ToolSession:
                raise TypeError(f"tool {name}: the only dependency is `session: ToolSession`")
            continue
        if param.kind is not inspect.Parameter.POSITIONAL_OR_KEYWORD:
            raise TypeError(f"tool {name}: parameter {param.name} must be a plain parameter")
        if param.name not in documented:
            raise TypeError(f"tool {name}: parameter {param.name} is not described under Args:")
        default = ... if param.default is inspect.Parameter.empty else param.default
        fields[param.name] = (
            hints[param.name],
            Field(default, description=documented.pop(param.name)),
        )
    if documented:
        raise TypeError(f"tool {name}: Args: describes unknown {', '.join(documented)}")
    args = create_model(_model_name(name), __config__=ConfigDict(extra="forbid"), **fields)
    return Tool(
        name=name,
        description=description,
        args=args,
        # The annotation was just checked to be this function's own result model, R.
        result=cast("type[R]", result),
        side_effect=side_effect,
        function=function,
    )


def _docstring(function: Callable[..., object]) -> tuple[str, dict[str, str]]:
    """Split a Google-style docstring into the description and the `Args:` entries."""
    lines = inspect.cleandoc(function.__doc__ or "").splitlines()
    if not lines or not lines[0].strip():
        raise TypeError(f"tool {function.__name__}: a docstring is its description")
    head = lines.index("Args:") if "Args:" in lines else len(lines)
    paragraphs = "\n".join(lines[:head]).strip().split("\n\n")
    description = "\n\n".join(" ".join(p.split()) for p in paragraphs)
    params: dict[str, str] = {}
    current = ""
    for line in lines[head + 1 :]:
        if _SECTION.match(line):
            break
        if not line.startswith(" "):
            continue
        text = line.strip()
        starts = _PARAM.match(text) if not line.startswith("    " * 2) else None
        if starts:
            current = starts.group(1)
            params[current] = starts.group(2)
        elif current and text:
            params[current] = f"{params[current]} {text}"
    return description, params


def _model_name(tool_name: str) -> str:
    return "".join(part.title() for part in tool_name.split("_")) + "Args"
