"""One checkpointed conversation with the chat graph: what the CLI, evals and tests drive."""

from __future__ import annotations

import dataclasses
from typing import Any

from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import BaseCheckpointSaver
from pydantic import BaseModel

from agent.chat.graph import build_chat_graph
from agent.chat.narrate import describe_proposal
from agent.chat.nodes import planner, tool_session
from agent.chat.state import ChatState, Offer
from agent.chat.tools.actions import propose_action
from agent.chat.tools.errors import ToolError
from agent.context import RunContext
from agent.llm.protocol import ChatMessage, Usage


class Turn(BaseModel):
    """What one question produced."""

    question: str
    answer: str
    grounded: bool
    tools_called: list[str]
    proposed: list[str]
    events: list[str]
    usage: Usage


class Conversation:
    """A thread of the chat graph; its state survives restarts through the checkpointer."""

    def __init__(
        self, ctx: RunContext, *, thread_id: str, checkpointer: BaseCheckpointSaver[str]
    ) -> None:
        # A private scratch: the tool session and planner of one thread are never another's.
        self.ctx = dataclasses.replace(ctx, scratch={})
        self.thread_id = thread_id
        self.graph = build_chat_graph(checkpointer=checkpointer)
        self.config: RunnableConfig = {"configurable": {"thread_id": thread_id}}

    def state(self) -> ChatState:
        """Return the thread's current state (empty for a new thread)."""
        values: Any = self.graph.get_state(self.config).values
        return values  # type: ignore[no-any-return]

    def ask(self, question: str) -> Turn:
        """Run one turn and return the answer with what it did."""
        before = self.state()
        n_prop, n_events = len(before.get("proposed", [])), len(before.get("events", []))
        calls_before = self._llm_usage()
        # Each turn starts a new tool session, so it sees data ingested since the last one.
        self.ctx.scratch.pop("tool_session", None)
        out: Any = self.graph.invoke(
            {"messages": [ChatMessage(role="user", content=question).model_dump(mode="json")]},
            self.config,
            context=self.ctx,
        )
        usage = self._llm_usage()
        return Turn(
            question=question,
            answer=out.get("answer", ""),
            grounded=bool(out.get("grounded")),
            tools_called=list(out.get("tools_called", [])),
            proposed=list(out.get("proposed", []))[n_prop:],
            events=list(out.get("events", []))[n_events:],
            usage=Usage(
                prompt_tokens=usage.prompt_tokens - calls_before.prompt_tokens,
                completion_tokens=usage.completion_tokens - calls_before.completion_tokens,
                calls=usage.calls - calls_before.calls,
            ),
        )

    def offered(self) -> list[Offer]:
        """Return the fixes the last answer offered, numbered as shown."""
        return list(self.state().get("offered", []))

    def propose(self, n: int) -> str:
        """File offered fix `n` for council approval (the user's own command, not the model's)."""
        offers = {o["n"]: o for o in self.offered()}
        if n not in offers:
            return (
                f"There is no fix {n} to propose; ask about a breakdown first."
                if not offers
                else f"Choose one of the offered fixes: {', '.join(map(str, sorted(offers)))}."
            )
        offer = offers[n]
        self.ctx.scratch.pop("tool_session", None)
        session = tool_session(self.ctx, self.state())
        proposed: list[str] = []
        try:
            filed = propose_action(offer["breakdown_id"], offer["playbook"], session=session)
        except ToolError as exc:
            text = f"I could not file fix {n}: {exc}"
        else:
            text = describe_proposal(filed)
            proposed.append(filed.action_id)
        update = ChatState(
            messages=[
                ChatMessage(role="user", content=f"/propose {n}").model_dump(mode="json"),
                ChatMessage(role="assistant", content=text).model_dump(mode="json"),
            ],
            proposed=proposed,
        )
        self.graph.update_state(self.config, update, as_node="check_grounding")
        return text

    def _llm_usage(self) -> Usage:

        return planner(self.ctx).usage.model_copy()
