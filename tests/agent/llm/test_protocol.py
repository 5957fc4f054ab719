from __future__ import annotations

import pytest

from agent.llm.protocol import ChatMessage, ChatReply, ScriptedLLM

_MSG = [ChatMessage(role="user", content="hi")]


def test_unused_step_fails_assert_complete() -> None:
    llm = ScriptedLLM(steps=[ChatReply(content="a"), ChatReply(content="b")])
    assert llm.chat(_MSG).content == "a"
    with pytest.raises(AssertionError, match="left unused"):
        llm.assert_complete()


def test_extra_call_fails() -> None:
    llm = ScriptedLLM(steps=[ChatReply(content="a")])
    llm.chat(_MSG)
    llm.assert_complete()
    with pytest.raises(AssertionError, match="unexpected call"):
        llm.chat(_MSG)
    assert len(llm.calls) == 2
