"""A tool is described from its function: schema and description are read, never restated."""

from __future__ import annotations

import datetime as dt
import inspect
import json
from collections.abc import Callable
from typing import Annotated, Any, get_type_hints

import pytest
from pydantic import Field

from agent.chat.tools.registry import REGISTRY
from agent.chat.tools.session import ToolSession
from agent.chat.tools.tool import Tool, ToolResult, tool
from agent.context import RunContext
from agent.llm.protocol import ToolSpec


class Echo(ToolResult):
    day: dt.date
    k: int


def echo(day: dt.date, k: Annotated[int, Field(ge=1, le=9)] = 3, *, session: ToolSession) -> Echo:
    """Echo a day back.

    Say more about it
    on two lines.

    Args:
        day: The day to echo.
        k: How many times, with a
            wrapped description.
    """
    return Echo(day=day, k=k)


def test_schema_and_description_come_from_the_signature_and_the_docstring() -> None:
    described = tool(echo, side_effect=False)
    assert described.name == "echo"
    assert described.description == "Echo a day back.\n\nSay more about it on two lines."
    assert described.input_schema == {
        "additionalProperties": False,
        "properties": {
            "day": {
                "description": "The day to echo.",
                "format": "date",
                "title": "Day",
                "type": "string",
            },
            "k": {
                "default": 3,
                "description": "How many times, with a wrapped description.",
                "maximum": 9,
                "minimum": 1,
                "title": "K",
                "type": "integer",
            },
        },
        "required": ["day"],
        "type": "object",
    }
    assert described.result is Echo
    assert described.output_schema == Echo.model_json_schema()
    assert described.spec() == ToolSpec(
        name="echo", description=described.description, parameters=described.input_schema
    )


def _flat(text: str) -> str:
    return " ".join(text.split())


@pytest.mark.parametrize("described", REGISTRY.tools, ids=lambda t: t.name)
def test_every_registered_tool_is_described_by_its_own_function(described: Tool[Any]) -> None:
    doc = inspect.getdoc(described.function) or ""
    summary, _, args_section = doc.partition("\nArgs:\n")
    params = [
        p
        for p in inspect.signature(described.function).parameters.values()
        if p.kind != p.KEYWORD_ONLY
    ]
    schema = described.input_schema
    assert described.name == described.function.__name__
    assert _flat(described.description) == _flat(summary)
    assert described.result is get_type_hints(described.function)["return"]
    assert schema["additionalProperties"] is False
    assert list(schema["properties"]) == [p.name for p in params]
    assert schema.get("required", []) == [p.name for p in params if p.default is p.empty]
    for name, prop in schema["properties"].items():
        assert f"{name}: {_flat(prop['description'])}" in _flat(args_section), name
    assert "session" not in json.dumps(schema)


class _NotAResult:
    pass


def _undocumented(journey: str, *, session: ToolSession) -> Echo:
    """Do something."""
    raise AssertionError


def _documents_a_ghost(*, session: ToolSession) -> Echo:
    """Do something.

    Args:
        ghost: Not a parameter.
    """
    raise AssertionError


def _returns_a_dict(*, session: ToolSession) -> dict[str, object]:
    """Do something."""
    raise AssertionError


def _returns_a_plain_class(*, session: ToolSession) -> _NotAResult:
    """Do something."""
    raise AssertionError


def _wants_the_run_context(*, ctx: RunContext) -> Echo:
    """Do something."""
    raise AssertionError


def _takes_varargs(*days: str, session: ToolSession) -> Echo:
    """Do something.

    Args:
        days: Days.
    """
    raise AssertionError


def _has_no_docstring(*, session: ToolSession) -> Echo:
    raise AssertionError


@pytest.mark.parametrize(
    ("function", "problem"),
    [
        (_undocumented, "parameter journey is not described under Args:"),
        (_documents_a_ghost, "Args: describes unknown ghost"),
        (_returns_a_dict, "must return a ToolResult model"),
        (_returns_a_plain_class, "must return a ToolResult model"),
        (_wants_the_run_context, "the only dependency is `session: ToolSession`"),
        (_takes_varargs, "parameter days must be a plain parameter"),
        (_has_no_docstring, "a docstring is its description"),
    ],
)
def test_a_malformed_tool_is_refused_when_it_is_registered(
    function: Callable[..., Any], problem: str
) -> None:
    with pytest.raises(TypeError, match="tool _") as raised:
        tool(function, side_effect=False)
    assert problem in str(raised.value)
