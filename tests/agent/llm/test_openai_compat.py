from __future__ import annotations

import pytest
from pydantic import BaseModel

from agent.config import LLMSettings
from agent.llm.openai_compat import (
    ChatMessage,
    LLMError,
    OpenAICompatibleLLM,
    ToolCall,
    ToolSpec,
    make_llm,
)
from tests.support.openai_server import OpenAIServer, chat_completion, tool_call

_USER = [ChatMessage(role="user", content="hi")]
_ERR500 = {"status": 500, "body": {"error": {"message": "boom"}}}


def _llm(
    server: OpenAIServer, *, timeout_s: float = 5.0, max_retries: int = 2
) -> OpenAICompatibleLLM:
    return OpenAICompatibleLLM(
        base_url=server.base_url,
        model="test-model",
        api_key="k",
        timeout_s=timeout_s,
        max_retries=max_retries,
        backoff_base_s=0,
        backoff_max_s=0,
    )


class Verdict(BaseModel):
    label: str
    score: float


def test_plain_content_and_usage() -> None:
    usage = {"prompt_tokens": 7, "completion_tokens": 3, "total_tokens": 10}
    with OpenAIServer([chat_completion("hello", usage=usage)]) as srv:
        llm = _llm(srv)
        reply = llm.chat(_USER)
    assert reply.content == "hello"
    assert (reply.usage.prompt_tokens, reply.usage.completion_tokens) == (7, 3)
    assert (llm.usage.prompt_tokens, llm.usage.completion_tokens, llm.usage.calls) == (7, 3, 1)
    path, headers, _ = srv.requests[0]
    assert path == "/v1/chat/completions"
    assert headers["authorization"] == "Bearer k"


def test_tool_calls_parsed_and_request_shape() -> None:
    spec = ToolSpec(name="get_metric", description="Read a metric.", parameters={"type": "object"})
    reply_calls = [tool_call("c1", "get_metric", '{"name": "conversion"}')]
    history = [
        ChatMessage(role="system", content="sys"),
        ChatMessage(role="user", content="q"),
        ChatMessage(
            role="assistant", tool_calls=[ToolCall(id="c0", name="get_metric", arguments={"a": 1})]
        ),
        ChatMessage(role="tool", content="42", tool_call_id="c0", name="get_metric"),
    ]
    with OpenAIServer([chat_completion(tool_calls=reply_calls)]) as srv:
        reply = _llm(srv).chat(history, tools=[spec])
    assert reply.tool_calls == [
        ToolCall(id="c1", name="get_metric", arguments={"name": "conversion"})
    ]
    sent = srv.requests[0][2]
    assert sent["model"] == "test-model"
    assert sent["tools"] == [
        {
            "type": "function",
            "function": {
                "name": "get_metric",
                "description": "Read a metric.",
                "parameters": {"type": "object"},
            },
        }
    ]
    msgs = sent["messages"]
    assert isinstance(msgs, list)
    assert [m["role"] for m in msgs] == ["system", "user", "assistant", "tool"]
    assert msgs[2]["tool_calls"][0]["function"] == {"name": "get_metric", "arguments": '{"a": 1}'}
    assert msgs[3]["tool_call_id"] == "c0"


def test_malformed_tool_arguments_set_error() -> None:
    with OpenAIServer([chat_completion(tool_calls=[tool_call("c1", "f", "{not json")])]) as srv:
        reply = _llm(srv).chat(_USER)
    assert reply.tool_calls[0].error is not None
    assert reply.tool_calls[0].arguments == {}


def test_structured_output_sends_schema_and_parses() -> None:
    with OpenAIServer([chat_completion('{"label": "ok", "score": 0.5}')]) as srv:
        out = _llm(srv).structured(_USER, schema=Verdict)
    assert out == Verdict(label="ok", score=0.5)
    fmt = srv.requests[0][2]["response_format"]
    assert fmt == {
        "type": "json_schema",
        "json_schema": {"name": "Verdict", "schema": Verdict.model_json_schema(), "strict": False},
    }


def test_structured_invalid_json_is_llm_error_without_retry() -> None:
    with (
        OpenAIServer([chat_completion("not json"), chat_completion("{}")]) as srv,
        pytest.raises(LLMError, match="Verdict"),
    ):
        _llm(srv).structured(_USER, schema=Verdict)
    assert len(srv.requests) == 1


def test_server_error_is_retried_then_succeeds() -> None:
    with OpenAIServer([_ERR500, chat_completion("ok")]) as srv:
        assert _llm(srv).chat(_USER).content == "ok"
    assert len(srv.requests) == 2


def test_rate_limit_honours_retry_after_then_succeeds() -> None:
    limited = {
        "status": 429,
        "body": {"error": {"message": "slow"}},
        "headers": {"Retry-After": "0"},
    }
    with OpenAIServer([limited, chat_completion("ok")]) as srv:
        assert _llm(srv).chat(_USER).content == "ok"
    assert len(srv.requests) == 2


def test_client_error_is_not_retried() -> None:
    bad = {"status": 400, "body": {"error": {"message": "bad request"}}}
    with OpenAIServer([bad, chat_completion("ok")]) as srv, pytest.raises(LLMError, match="400"):
        _llm(srv).chat(_USER)
    assert len(srv.requests) == 1


def test_timeout_gives_llm_error_after_all_attempts() -> None:
    slow = {**chat_completion("late"), "delay_s": 1.0}
    with OpenAIServer([slow, slow]) as srv, pytest.raises(LLMError, match="timed out"):
        _llm(srv, timeout_s=0.2, max_retries=1).chat(_USER)
    assert len(srv.requests) == 2


def test_make_llm_offline_is_none() -> None:
    assert make_llm(LLMSettings(provider="offline"), environ={}) is None


def test_make_llm_missing_key_names_env_var() -> None:
    settings = LLMSettings(
        provider="openai", base_url="https://api.example.com/v1", api_key_env="JO_KEY"
    )
    with pytest.raises(LLMError, match="JO_KEY"):
        make_llm(settings, environ={})


def test_make_llm_local_server_needs_no_key() -> None:
    settings = LLMSettings(provider="openai", base_url="http://127.0.0.1:9/v1")
    assert isinstance(make_llm(settings, environ={}), OpenAICompatibleLLM)
