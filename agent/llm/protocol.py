"""LLM protocol, message types and a scripted fake; never imports openai."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Literal, Protocol, TypeVar

from pydantic import BaseModel, Field

T = TypeVar("T", bound=BaseModel)


class ToolSpec(BaseModel):
    name: str
    description: str
    parameters: dict[str, object]


class ToolCall(BaseModel):
    id: str
    name: str
    arguments: dict[str, object] = Field(default_factory=dict)
    error: str | None = None


class ChatMessage(BaseModel):
    role: Literal["system", "user", "assistant", "tool"]
    content: str = ""
    tool_calls: list[ToolCall] = Field(default_factory=list)
    tool_call_id: str | None = None
    name: str | None = None


class Usage(BaseModel):
    prompt_tokens: int = 0
    completion_tokens: int = 0
    calls: int = 0


class ChatReply(BaseModel):
    content: str
    tool_calls: list[ToolCall] = Field(default_factory=list)
    usage: Usage = Field(default_factory=Usage)


class LLMError(Exception):
    """Raise when the model cannot give a usable answer."""


class LLM(Protocol):
    usage: Usage

    def chat(
        self, messages: Sequence[ChatMessage], *, tools: Sequence[ToolSpec] = ()
    ) -> ChatReply: ...

    def structured(self, messages: Sequence[ChatMessage], *, schema: type[T]) -> T: ...


ChatStep = Callable[[Sequence[ChatMessage], Sequence[ToolSpec]], ChatReply]
Step = ChatReply | BaseModel | ChatStep


class ScriptedLLM:
    """Serve scripted replies in order; fail on extra, wrong-kind or unused steps."""

    def __init__(self, steps: Sequence[Step]) -> None:
        self._steps = list(steps)
        self._next = 0
        self.usage = Usage()
        self.calls: list[tuple[list[ChatMessage], list[ToolSpec]]] = []

    def _take(self, messages: Sequence[ChatMessage], tools: Sequence[ToolSpec]) -> Step:
        self.calls.append((list(messages), list(tools)))
        if self._next >= len(self._steps):
            raise AssertionError(f"ScriptedLLM: unexpected call #{self._next + 1}")
        step = self._steps[self._next]
        self._next += 1
        self.usage.calls += 1
        return step

    def chat(self, messages: Sequence[ChatMessage], *, tools: Sequence[ToolSpec] = ()) -> ChatReply:
        """Return the next scripted chat reply."""
        step = self._take(messages, tools)
        if isinstance(step, ChatReply):
            return step
        if isinstance(step, BaseModel):
            raise AssertionError(f"ScriptedLLM: chat() got a structured step {step!r}")
        return step(messages, tools)

    def structured(self, messages: Sequence[ChatMessage], *, schema: type[T]) -> T:
        """Return the next scripted structured output."""
        step = self._take(messages, ())
        if not isinstance(step, schema):
            raise AssertionError(f"ScriptedLLM: structured({schema.__name__}) got {step!r}")
        return step

    def assert_complete(self) -> None:
        """Fail if a scripted step was never used."""
        left = len(self._steps) - self._next
        if left:
            raise AssertionError(f"ScriptedLLM: {left} scripted step(s) left unused")
