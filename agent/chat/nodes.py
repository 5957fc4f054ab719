"""Chat graph nodes: a tool loop with a step budget and a grounding guard on every answer.

State is plain JSON (messages as dicts) so any SQL checkpointer stores it as is. Nodes keep
side effects to tools (`propose_action` files a proposal, idempotently by id).
"""

from __future__ import annotations

import json
import logging
from typing import Any, Literal

from langgraph.runtime import Runtime

from agent.chat.languages import Vocabulary
from agent.chat.narrate import narrate
from agent.chat.offline_planner import OfflinePlanner
from agent.chat.state import ChatState, Offer
from agent.chat.tools.actions import Proposal
from agent.chat.tools.breakdowns import Recommendations, still_open
from agent.chat.tools.registry import REGISTRY, ToolOutcome
from agent.chat.tools.session import ToolSession
from agent.context import RunContext
from agent.llm.grounding import Sources, check, sources_from
from agent.llm.protocol import LLM, ChatMessage
from agent.llm.untrusted import UNTRUSTED_NOTE
from prompts import render

log = logging.getLogger("journeyops.chat")

STEP_BUDGET = 6


def begin_turn(state: ChatState) -> ChatState:
    """Mark where this turn's messages start and reset the per-turn counters."""
    return {
        "turn_start": len(state.get("messages", [])) - 1,
        "steps": 0,
        "retried": False,
        "answer": "",
        "grounded": False,
        "tools_called": [],
    }


def call_model(state: ChatState, runtime: Runtime[RunContext]) -> ChatState:
    """Ask the model (or the offline planner) for the next step."""
    llm = planner(runtime.context)
    history = [ChatMessage.model_validate(m) for m in state["messages"]]
    system = ChatMessage(role="system", content=_system_prompt(runtime.context))

    reply = llm.chat([system, *history], tools=REGISTRY.specs())
    msg = ChatMessage(role="assistant", content=reply.content, tool_calls=reply.tool_calls)
    return {"messages": [msg.model_dump(mode="json")]}


def route_after_call_model(
    state: ChatState,
) -> Literal["run_tools", "stop_budget", "check_grounding"]:
    """Run the requested tools while the budget lasts; otherwise check the answer."""
    last = state["messages"][-1]
    if not last.get("tool_calls"):
        return "check_grounding"
    return "run_tools" if state.get("steps", 0) < STEP_BUDGET else "stop_budget"


def run_tools(state: ChatState, runtime: Runtime[RunContext]) -> ChatState:
    """Execute the tool calls of the last model message, one reply message per call."""
    session = tool_session(runtime.context, state)
    last = ChatMessage.model_validate(state["messages"][-1])
    replies: list[dict[str, Any]] = []
    offered = list(state.get("offered", []))
    proposed: list[str] = []
    for call in last.tool_calls:
        runtime.context.status(f"→ {call.name}({_brief(call.arguments)})")
        outcome = REGISTRY.execute_call(session, call)
        replies.append(
            ChatMessage(
                role="tool", tool_call_id=call.id, name=call.name, content=outcome.content()
            ).model_dump(mode="json")
        )
        if isinstance(outcome.result, Recommendations):
            offered = _offers(outcome.result)
        if isinstance(outcome.result, Proposal):
            proposed.append(outcome.result.action_id)
    return {
        "messages": replies,
        "steps": state.get("steps", 0) + 1,
        "known": dict(session.known),
        "offered": offered,
        "proposed": proposed,
        "tools_called": [*state.get("tools_called", []), *(c.name for c in last.tool_calls)],
    }


def check_grounding(state: ChatState, runtime: Runtime[RunContext]) -> ChatState:
    """Accept a grounded answer; ask once for a grounded one; then fall back to the template."""
    turn = _turn(state)
    answer = turn[-1].content
    report = check(answer, _sources(state))
    if report.ok:
        return {"answer": answer, "grounded": True}
    if not state.get("retried") and runtime.context.llm is not None:
        retry = ChatMessage(
            role="user",
            content=(
                f"[journeyops grounding check] Your answer has {report.describe()}. Answer "
                "again using only numbers, dates and ids that appear in the tool results."
            ),
        )
        return {"messages": [retry.model_dump(mode="json")], "retried": True}
    event = f"grounding guard replaced the model's answer ({report.describe()})"
    log.warning(event)
    fallback = narrate(REGISTRY.outcomes(turn))
    msg = ChatMessage(role="assistant", content=fallback).model_dump(mode="json")
    return {"answer": fallback, "grounded": False, "events": [event], "messages": [msg]}


def route_after_check_grounding(state: ChatState) -> Literal["call_model", "__end__"]:
    """Go back to the model only when the guard asked it to answer again."""
    return "__end__" if state.get("answer") else "call_model"


def stop_budget(state: ChatState) -> ChatState:
    """Stop a turn that used its step budget: close open calls, answer with what is known."""
    last = ChatMessage.model_validate(state["messages"][-1])
    closing = [
        ChatMessage(
            role="tool",
            tool_call_id=c.id,
            name=c.name,
            content='{"error": "not run: the step budget of this question is used up"}',
        ).model_dump(mode="json")
        for c in last.tool_calls
    ]
    found = narrate([o for o in REGISTRY.outcomes(_turn(state)) if o.ok])
    answer = (
        f"I stopped after {state.get('steps', 0)} tool steps, the budget for one question. "
        f"What I found so far:\n\n{found}"
    )
    event = f"step budget of {STEP_BUDGET} used up"
    log.warning(event)
    msg = ChatMessage(role="assistant", content=answer).model_dump(mode="json")
    return {"messages": [*closing, msg], "answer": answer, "grounded": True, "events": [event]}


def planner(ctx: RunContext) -> LLM:
    """Return the configured model, or the deterministic offline planner."""
    if ctx.llm is not None:
        return ctx.llm
    cached = ctx.scratch.get("offline_planner")
    if not isinstance(cached, OfflinePlanner):
        vocabulary = Vocabulary(ctx.settings.chat.synonyms)
        cached = ctx.scratch["offline_planner"] = OfflinePlanner(vocabulary)
    return cached


def tool_session(ctx: RunContext, state: ChatState) -> ToolSession:
    """Return the turn's tool session, taught the breakdowns the thread already knows."""
    session = ctx.scratch.get("tool_session")
    if not isinstance(session, ToolSession):
        session = ctx.scratch["tool_session"] = ToolSession(ctx)
    session.known.update(state.get("known", {}))
    return session


def turn_outcomes(state: ChatState) -> list[ToolOutcome]:
    """Return the tool outcomes of the current turn."""
    return REGISTRY.outcomes(_turn(state))


def _turn(state: ChatState) -> list[ChatMessage]:
    return [ChatMessage.model_validate(m) for m in state["messages"][state.get("turn_start", 0) :]]


def _sources(state: ChatState) -> Sources:
    msgs = [ChatMessage.model_validate(m) for m in state["messages"]]
    results = [json.loads(m.content or "null") for m in _turn(state) if m.role == "tool"]
    return sources_from(results, [m.content for m in msgs if m.role == "user"])


def _offers(result: Recommendations) -> list[Offer]:
    """Offer only fixes still open: not filed, or filed and still waiting for the council."""
    return [
        Offer(n=r.rank, breakdown_id=result.breakdown_id, playbook=r.playbook, title=r.title)
        for r in result.recommendations
        if still_open(r.filed_status)
    ]


def _brief(args: dict[str, object]) -> str:
    return ", ".join(f"{k}={v}" for k, v in args.items())


def _system_prompt(ctx: RunContext) -> str:
    span = ctx.warehouse.date_range()
    return render(
        "chat_system.md",
        newest=span[1].isoformat() if span else "unknown (no data yet)",
        untrusted_note=UNTRUSTED_NOTE,
        example_id="ins-000123",
    )
