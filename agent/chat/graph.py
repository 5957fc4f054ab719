"""The chat graph's wiring: begin turn → model ⇄ tools (step budget) → grounding guard.

Node bodies live in `agent.chat.nodes`; this file only connects them.
"""

from __future__ import annotations

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph

from agent.chat.nodes import (
    begin_turn,
    call_model,
    check_grounding,
    route_after_call_model,
    route_after_check_grounding,
    run_tools,
    stop_budget,
)
from agent.chat.state import ChatState
from agent.context import RunContext


def build_chat_graph(
    *, checkpointer: BaseCheckpointSaver[str] | None = None
) -> CompiledStateGraph[ChatState, RunContext, ChatState, ChatState]:
    """Begin turn → model ⇄ tools (step budget) → grounding guard (one retry) → answer."""
    graph = StateGraph(ChatState, context_schema=RunContext)
    graph.add_node("begin_turn", begin_turn)
    graph.add_node("call_model", call_model)
    graph.add_node("run_tools", run_tools)
    graph.add_node("stop_budget", stop_budget)
    graph.add_node("check_grounding", check_grounding)
    graph.add_edge(START, "begin_turn")
    graph.add_edge("begin_turn", "call_model")
    graph.add_conditional_edges("call_model", route_after_call_model)
    graph.add_edge("run_tools", "call_model")
    graph.add_edge("stop_budget", END)
    graph.add_conditional_edges("check_grounding", route_after_check_grounding)
    return graph.compile(name="chat", checkpointer=checkpointer)


# Entry point for LangGraph's own tooling (langgraph.json); ours build the graph per thread.
chat = build_chat_graph()
