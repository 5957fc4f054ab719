"""Graph wiring. Node bodies live in their own modules; this file only connects them."""

from __future__ import annotations

from typing import Literal

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph

from agent.chat import (
    ChatState,
    begin_turn,
    call_model,
    check_grounding,
    route_after_check,
    route_after_model,
    run_tools,
    stop_budget,
)
from agent.context import RunContext
from agent.detect_breakdowns import detect_breakdowns
from agent.draft_hypotheses import draft_hypotheses
from agent.gather_evidence import gather_evidence
from agent.localize_causes import localize_causes
from agent.propose_actions import propose_actions
from agent.recommend_fixes import recommend_fixes
from agent.state import InvestigationState


def route_after_detect(state: InvestigationState) -> Literal["localize_causes", "__end__"]:
    """Stop early when nothing broke: an empty scan is a valid, common answer."""
    return "localize_causes" if state.breakdowns else "__end__"


def build_investigation_graph(
    *, propose: bool = True
) -> CompiledStateGraph[InvestigationState, RunContext, InvestigationState, InvestigationState]:
    """Detect → localize → gather evidence → hypothesize → recommend → propose."""
    graph = StateGraph(InvestigationState, context_schema=RunContext)
    graph.add_node("detect_breakdowns", detect_breakdowns)
    graph.add_node("localize_causes", localize_causes)
    graph.add_node("gather_evidence", gather_evidence)
    graph.add_node("draft_hypotheses", draft_hypotheses)
    graph.add_node("recommend_fixes", recommend_fixes)
    graph.add_edge(START, "detect_breakdowns")
    graph.add_conditional_edges("detect_breakdowns", route_after_detect)
    graph.add_edge("localize_causes", "gather_evidence")
    graph.add_edge("gather_evidence", "draft_hypotheses")
    graph.add_edge("draft_hypotheses", "recommend_fixes")
    if propose:
        graph.add_node("propose_actions", propose_actions)
        graph.add_edge("recommend_fixes", "propose_actions")
        graph.add_edge("propose_actions", END)
    else:
        graph.add_edge("recommend_fixes", END)
    # Never inherit a caller's checkpointer (chat tools run scans inside a checkpointed graph).
    return graph.compile(name="investigation", checkpointer=False)


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
    graph.add_conditional_edges("call_model", route_after_model)
    graph.add_edge("run_tools", "call_model")
    graph.add_edge("stop_budget", END)
    graph.add_conditional_edges("check_grounding", route_after_check)
    return graph.compile(name="chat", checkpointer=checkpointer)


# Entry points for LangGraph's own tooling (langgraph.json); ours build graphs per run.
investigation = build_investigation_graph(propose=False)
chat = build_chat_graph()
