"""OpenAI-compatible LLM adapter; the only module that imports openai."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from typing import TypeVar
from urllib.parse import urlparse

import openai
from pydantic import BaseModel, ValidationError
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential,
)

from agent.config import LLMSettings
from agent.llm.protocol import (
    LLM,
    ChatMessage,
    ChatReply,
    LLMError,
    ScriptedLLM,
    ToolCall,
    ToolSpec,
    Usage,
)

__all__ = [
    "LLM",
    "ChatMessage",
    "ChatReply",
    "LLMError",
    "OpenAICompatibleLLM",
    "ScriptedLLM",
    "ToolCall",
    "ToolSpec",
    "Usage",
    "make_llm",
]

T = TypeVar("T", bound=BaseModel)
_RETRY_AFTER_CAP_S = 5.0
_LOCAL_HOSTS = {"127.0.0.1", "localhost"}


def _retryable(exc: BaseException) -> bool:
    if isinstance(exc, openai.APITimeoutError | openai.APIConnectionError | openai.RateLimitError):
        return True
    return isinstance(exc, openai.APIStatusError) and exc.status_code >= 500


def _retry_after_s(exc: BaseException | None) -> float | None:
    if not isinstance(exc, openai.RateLimitError):
        return None
    try:
        return min(float(exc.response.headers.get("retry-after", "")), _RETRY_AFTER_CAP_S)
    except ValueError:
        return None


def _wire_message(msg: ChatMessage) -> dict[str, object]:
    out: dict[str, object] = {"role": msg.role, "content": msg.content}
    if msg.tool_calls:
        out["tool_calls"] = [
            {
                "id": c.id,
                "type": "function",
                "function": {"name": c.name, "arguments": json.dumps(c.arguments)},
            }
            for c in msg.tool_calls
        ]
    if msg.tool_call_id is not None:
        out["tool_call_id"] = msg.tool_call_id
    if msg.name is not None:
        out["name"] = msg.name
    return out


def _parse_tool_call(call_id: str, name: str, raw: str) -> ToolCall:
    try:
        args = json.loads(raw or "{}")
    except json.JSONDecodeError as exc:
        return ToolCall(id=call_id, name=name, error=f"arguments are not valid JSON: {exc}")
    if not isinstance(args, dict):
        return ToolCall(id=call_id, name=name, error="arguments must be a JSON object")
    return ToolCall(id=call_id, name=name, arguments=args)


class OpenAICompatibleLLM:
    """Talk to an OpenAI-compatible chat completions endpoint with bounded retries."""

    def __init__(
        self,
        *,
        base_url: str,
        model: str,
        api_key: str,
        timeout_s: float,
        max_retries: int,
        backoff_base_s: float = 0.5,
        backoff_max_s: float = 8.0,
    ) -> None:
        # Retries are ours (tenacity), so the SDK must not retry on its own as well.
        self._client = openai.OpenAI(
            base_url=base_url or None, api_key=api_key, max_retries=0, timeout=timeout_s
        )
        self._model = model
        self._attempts = max_retries + 1
        self._backoff = wait_exponential(multiplier=backoff_base_s, max=backoff_max_s)
        self.usage = Usage()

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        after = _retry_after_s(exc)
        return after if after is not None else float(self._backoff(state))

    def _create(self, **kwargs: object) -> openai.types.chat.ChatCompletion:
        retrying = Retrying(
            stop=stop_after_attempt(self._attempts),
            wait=self._wait,
            retry=retry_if_exception(_retryable),
            reraise=True,
        )
        try:
            for attempt in retrying:
                with attempt:
                    result: openai.types.chat.ChatCompletion = (
                        self._client.chat.completions.create(model=self._model, **kwargs)  # type: ignore[call-overload]
                    )
        except openai.APIStatusError as exc:
            raise LLMError(
                f"LLM request failed with HTTP {exc.status_code}: {exc.message}"
            ) from exc
        except openai.APITimeoutError as exc:
            raise LLMError(f"LLM request timed out after {self._attempts} attempt(s)") from exc
        except openai.APIError as exc:
            raise LLMError(f"LLM request failed: {exc}") from exc
        self.usage.calls += 1
        if result.usage is not None:
            self.usage.prompt_tokens += result.usage.prompt_tokens
            self.usage.completion_tokens += result.usage.completion_tokens
        return result

    def chat(self, messages: Sequence[ChatMessage], *, tools: Sequence[ToolSpec] = ()) -> ChatReply:
        """Send the conversation and return the reply with any tool calls."""
        kwargs: dict[str, object] = {"messages": [_wire_message(m) for m in messages]}
        if tools:
            kwargs["tools"] = [
                {
                    "type": "function",
                    "function": {
                        "name": t.name,
                        "description": t.description,
                        "parameters": t.parameters,
                    },
                }
                for t in tools
            ]
        result = self._create(**kwargs)
        if not result.choices:
            raise LLMError("LLM reply has no choices")
        message = result.choices[0].message
        calls = [
            _parse_tool_call(c.id, c.function.name, c.function.arguments)
            for c in message.tool_calls or []
            if c.type == "function"
        ]
        usage = Usage(calls=1)
        if result.usage is not None:
            usage = Usage(
                prompt_tokens=result.usage.prompt_tokens,
                completion_tokens=result.usage.completion_tokens,
                calls=1,
            )
        return ChatReply(content=message.content or "", tool_calls=calls, usage=usage)

    def structured(self, messages: Sequence[ChatMessage], *, schema: type[T]) -> T:
        """Ask for JSON matching the schema and validate it into the model."""
        result = self._create(
            messages=[_wire_message(m) for m in messages],
            response_format={
                "type": "json_schema",
                "json_schema": {
                    "name": schema.__name__,
                    "schema": schema.model_json_schema(),
                    "strict": False,
                },
            },
        )
        content = result.choices[0].message.content if result.choices else None
        try:
            return schema.model_validate_json(content or "")
        except ValidationError as exc:
            raise LLMError(f"LLM output does not match {schema.__name__}: {exc}") from exc


def make_llm(settings: LLMSettings, *, environ: Mapping[str, str] = os.environ) -> LLM | None:
    """Build the configured LLM, or None when running offline."""
    if settings.provider == "offline":
        return None
    key = environ.get(settings.api_key_env, "")
    if not key:
        if urlparse(settings.base_url).hostname not in _LOCAL_HOSTS:
            raise LLMError(
                f"LLM API key missing: set the {settings.api_key_env} environment variable"
            )
        key = "local-dummy-key"
    return OpenAICompatibleLLM(
        base_url=settings.base_url,
        model=settings.model,
        api_key=key,
        timeout_s=settings.timeout_s,
        max_retries=settings.max_retries,
    )
