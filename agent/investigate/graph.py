"""The investigation graph's wiring.

detect → localize → evidence → hypotheses → fixes → incidents → propose.

Node bodies live in their own modules beside this one; this file only connects them.
"""

from __future__ import annotations

from typing import Literal

from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph

from agent.context import RunContext
from agent.investigate.detect_breakdowns import detect_breakdowns
from agent.investigate.draft_hypotheses import draft_hypotheses
from agent.investigate.gather_evidence import gather_evidence
from agent.investigate.group_incidents import group_incidents
from agent.investigate.localize_causes import localize_causes
from agent.investigate.propose_actions import propose_actions
from agent.investigate.recommend_fixes import recommend_fixes
from agent.investigate.state import InvestigationState


def route_after_detect_breakdowns(
    state: InvestigationState,
) -> Literal["localize_causes", "__end__"]:
    """Stop early when nothing broke: an empty scan is a valid, common answer."""
    return "localize_causes" if state.breakdowns else "__end__"


def build_investigation_graph(
    *, propose: bool = True
) -> CompiledStateGraph[InvestigationState, RunContext, InvestigationState, InvestigationState]:
    """Detect → localize → gather evidence → hypothesize → recommend → group → propose."""
    graph = StateGraph(InvestigationState, context_schema=RunContext)
    graph.add_node("detect_breakdowns", detect_breakdowns)
    graph.add_node("localize_causes", localize_causes)
    graph.add_node("gather_evidence", gather_evidence)
    graph.add_node("draft_hypotheses", draft_hypotheses)
    graph.add_node("recommend_fixes", recommend_fixes)
    graph.add_node("group_incidents", group_incidents)
    graph.add_edge(START, "detect_breakdowns")
    graph.add_conditional_edges("detect_breakdowns", route_after_detect_breakdowns)
    graph.add_edge("localize_causes", "gather_evidence")
    graph.add_edge("gather_evidence", "draft_hypotheses")
    graph.add_edge("draft_hypotheses", "recommend_fixes")
    graph.add_edge("recommend_fixes", "group_incidents")
    if propose:
        graph.add_node("propose_actions", propose_actions)
        graph.add_edge("group_incidents", "propose_actions")
        graph.add_edge("propose_actions", END)
    else:
        graph.add_edge("group_incidents", END)
    # Never inherit a caller's checkpointer (chat tools run scans inside a checkpointed graph).
    return graph.compile(name="investigation", checkpointer=False)


# Entry point for LangGraph's own tooling (langgraph.json); ours build the graph per run.
investigation = build_investigation_graph(propose=False)
