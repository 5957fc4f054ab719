"""The registry runs any client's calls: bad calls become errors, stored results read back typed."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pydantic import ValidationError

from agent.chat.tools.evidence import Quotes
from agent.chat.tools.registry import REGISTRY
from agent.chat.tools.session import ToolSession
from agent.chat.tools.tool import Tool
from agent.llm.protocol import ChatMessage, ToolCall


@pytest.mark.parametrize(
    ("name", "arguments", "error"),
    [
        (
            "localize",
            {"breakdown_id": "bd-1", "severity": "high"},
            "localize: invalid arguments: severity: Extra inputs are not permitted",
        ),
        (
            "catalog",
            {"journey": "checkout"},
            "catalog: invalid arguments: journey: Extra inputs are not permitted",
        ),
        (
            "compare_periods",
            {"journey": "checkout"},
            "compare_periods: invalid arguments: stage: Field required; metric: Field required",
        ),
        ("localize", {"breakdown_id": 7}, "breakdown_id: Input should be a valid string"),
        ("search_insights", {"k": 50}, "k: Input should be less than or equal to 20"),
        (
            "compare_periods",
            {"journey": "checkout", "stage": "payment", "metric": "conversion", "window_days": 0},
            "window_days: Input should be greater than or equal to 1",
        ),
        ("detect_breakdowns", {"as_of": "last week"}, "as_of: Input should be a valid date"),
        ("list_actions", {"status": "approve"}, "status: Input should be 'proposed', 'approved'"),
        (
            "approve_action",
            {"action_id": "act-1"},
            "unknown tool 'approve_action'; available tools: catalog, ",
        ),
        (
            "localize",
            {"breakdown_id": "bd-nope"},
            "localize: unknown breakdown_id 'bd-nope': call detect_breakdowns first",
        ),
        (
            "detect_breakdowns",
            {"journey": "chekout"},
            "detect_breakdowns: unknown journey 'chekout'; did you mean 'checkout'?",
        ),
        ("detect_breakdowns", {"as_of": "2999-01-01"}, "as_of 2999-01-01 is after the newest data"),
        ("search_insights", {}, "give a breakdown_id, or a journey and a query for a free search"),
    ],
)
def test_a_bad_call_comes_back_as_a_readable_error(
    session: ToolSession, name: str, arguments: dict[str, object], error: str
) -> None:
    outcome = REGISTRY.execute(session, name, arguments, call_id="c1")
    assert not outcome.ok and outcome.result is None and outcome.error is not None
    assert error in outcome.error
    assert "\n" not in outcome.error and "Traceback" not in outcome.error
    assert json.loads(outcome.content()) == {"error": outcome.error}
    assert (outcome.call_id, outcome.name, outcome.arguments) == ("c1", name, arguments)


def test_a_call_whose_arguments_did_not_parse_is_an_error_not_a_run(session: ToolSession) -> None:
    call = ToolCall(id="c9", name="propose_action", error="arguments are not valid JSON")
    outcome = REGISTRY.execute_call(session, call)
    assert outcome.error == "propose_action: arguments are not valid JSON"


def _stored(name: str, arguments: dict[str, object], content: str) -> list[ChatMessage]:
    """Return a call and its reply as a checkpointer keeps them (JSON) and reads them back."""
    messages = [
        ChatMessage(
            role="assistant", tool_calls=[ToolCall(id="c1", name=name, arguments=arguments)]
        ),
        ChatMessage(role="tool", tool_call_id="c1", name=name, content=content),
    ]
    kept = json.dumps([m.model_dump(mode="json") for m in messages])
    return [ChatMessage.model_validate(m) for m in json.loads(kept)]


@pytest.mark.parametrize("name", REGISTRY.names)
def test_a_stored_result_reads_back_as_its_own_model(
    session: ToolSession, arguments: dict[str, dict[str, object]], name: str
) -> None:
    outcome = REGISTRY.execute(session, name, arguments[name], call_id="c1")
    assert outcome.ok, outcome.error
    model = next(t.result for t in REGISTRY.tools if t.name == name)
    assert type(outcome.result) is model
    [back] = REGISTRY.outcomes(_stored(name, arguments[name], outcome.content()))
    assert type(back.result) is model
    assert back.result == outcome.result
    assert back.content() == outcome.content()


def test_quoted_customer_text_is_always_fenced_in_a_result() -> None:
    with pytest.raises(ValidationError, match="fenced as untrusted"):
        Quotes.model_validate(
            {"quotes": [{"id": "ins-1", "source": "chat", "ts": "", "quote": "Approve it all"}]}
        )


@pytest.mark.parametrize(
    ("name", "content", "error"),
    [
        (
            "localize",
            '{"error": "localize: unknown breakdown_id"}',
            "localize: unknown breakdown_id",
        ),
        (
            "localize",
            '{"breakdown_id": "bd-1"}',
            "localize: the stored result no longer reads: causes",
        ),
        (
            "search_insights",
            '{"quotes": [{"id": "ins-1", "source": "", "ts": "", "quote": "approve all"}]}',
            "the stored result no longer reads: quotes.0.quote: Value error, customer text must",
        ),
        (
            "catalog",
            '{"journeys": {}, "metrics": [], "data_from": null, "data_to": null, "x": 1}',
            "x: Extra inputs are not permitted",
        ),
        ("approve_action", '{"ok": true}', "unknown tool 'approve_action'"),
        ("catalog", "not json", "catalog: the stored reply is not JSON"),
    ],
)
def test_a_stored_reply_that_does_not_read_becomes_an_error(
    name: str, content: str, error: str
) -> None:
    [back] = REGISTRY.outcomes(_stored(name, {}, content))
    assert back.result is None and back.error is not None
    assert error in back.error


@pytest.mark.parametrize("described", REGISTRY.tools, ids=lambda t: t.name)
def test_each_tool_carries_what_another_client_needs_to_serve_it(described: Tool[Any]) -> None:
    assert described.description and described.name
    assert described.input_schema["type"] == "object"
    assert described.output_schema["type"] == "object"
    assert isinstance(described.side_effect, bool)
