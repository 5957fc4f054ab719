"""The action graph: one checkpointed thread per proposal, from filing to the outcome check.

record_proposal → await_council (`interrupt()`) → dispatch → schedule_outcome_check

Our SQL tables are the source of truth; the thread only follows them. A decision is
committed by `store.gate.actions.decide` first, then the thread is resumed (`resume_action`);
every node re-reads the action's status, so a resume that arrives early, twice, or after
a crash changes nothing. LangGraph re-runs an interrupted node from its start on resume,
so `await_council` and `await_delivery` only read; the nodes around them are idempotent:
`dispatch` goes through the outbox (it claims only a due row of this action, and the
claim re-checks the approval), and `schedule_outcome_check` only reads.
Thread id = action id.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Literal, TypedDict

from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph
from langgraph.runtime import Runtime
from langgraph.types import Command, interrupt
from sqlalchemy.orm import Session, sessionmaker

from agent.actions.crash import crash_point
from agent.actions.dispatch import Dispatcher
from agent.checkpoints import open_checkpointer
from agent.context import RunContext
from store.gate.actions import get_action, list_actions
from store.gate.outbox import latest_outbox
from store.states import AWAITING_COUNCIL, AWAITING_DELIVERY, CLOSED_UNSENT, DELIVERED, ActionStatus

_DEFAULT_EVALUATION_DAYS = 14


class ActionState(TypedDict, total=False):
    """Facts about one action as the thread last read them from SQL."""

    action_id: str
    version: int
    payload_sha256: str
    status: str
    outcome_check_after: str


@dataclass
class ActionContext:
    """Dependencies of the action graph; `dispatcher` None leaves sending to `dispatch`."""

    sessions: sessionmaker[Session]
    clock: Callable[[], dt.datetime]
    dispatcher: Dispatcher | None = None
    evaluation_days: Mapping[str, int] = field(default_factory=dict)


def _read(ctx: ActionContext, action_id: str) -> ActionState:
    with ctx.sessions() as session:
        action = get_action(session, action_id=action_id)
        if action is None:
            raise LookupError(f"no action {action_id!r}")
        return {
            "version": action.version,
            "payload_sha256": action.payload_sha256,
            # A plain string in the checkpoint; it compares equal to ActionStatus members.
            "status": action.status.value,
        }


def record_proposal(state: ActionState, runtime: Runtime[ActionContext]) -> ActionState:
    """Record the filed proposal's version, payload hash and status in the thread."""
    return _read(runtime.context, state["action_id"])


def _pause_while(
    runtime: Runtime[ActionContext],
    action_id: str,
    statuses: frozenset[ActionStatus],
    waiting_for: str,
) -> ActionState:
    """Pause while the action's SQL status is one of `statuses`; return it as read after."""
    current = _read(runtime.context, action_id)
    if current["status"] in statuses:
        interrupt({"action_id": action_id, "waiting_for": waiting_for, **current})
        current = _read(runtime.context, action_id)
    return current


def await_council(state: ActionState, runtime: Runtime[ActionContext]) -> ActionState:
    """Pause until the council has decided (the decision is in SQL before the resume)."""
    return _pause_while(runtime, state["action_id"], AWAITING_COUNCIL, "council")


def dispatch(state: ActionState, runtime: Runtime[ActionContext]) -> ActionState:
    """Deliver through the outbox: only a due row of this action, approval re-checked."""
    ctx = runtime.context
    if (
        ctx.dispatcher is not None
        and _read(ctx, state["action_id"])["status"] == ActionStatus.APPROVED
    ):
        ctx.dispatcher.run_once(action_id=state["action_id"], limit=1)
    crash_point("graph_after_dispatch")
    return _read(ctx, state["action_id"])


def await_delivery(state: ActionState, runtime: Runtime[ActionContext]) -> ActionState:
    """Pause while the outbox still owes a delivery (in flight elsewhere, or dead-lettered)."""
    return _pause_while(runtime, state["action_id"], AWAITING_DELIVERY, "delivery")


def schedule_outcome_check(state: ActionState, runtime: Runtime[ActionContext]) -> ActionState:
    """Record in the thread when the outcome check is due; `journeyops outcomes check` runs it.

    The check itself reads SQL (delivered actions past their playbook's evaluation window),
    so this node writes nothing there and can re-run any number of times.
    """
    ctx = runtime.context
    action_id = state["action_id"]
    with ctx.sessions() as session:
        action = get_action(session, action_id=action_id)
        row = latest_outbox(session, action_id=action_id)
        assert action is not None and row is not None
        days = ctx.evaluation_days.get(action.playbook, _DEFAULT_EVALUATION_DAYS)
        due = (row.updated_at + dt.timedelta(days=days)).date().isoformat()
    return {**_read(ctx, action_id), "outcome_check_after": due}


def route_after_await_council(
    state: ActionState,
) -> Literal["await_council", "dispatch", "__end__"]:
    """Wait again while undecided (quorum not met yet); dispatch once approved."""
    if state["status"] in AWAITING_COUNCIL:
        return "await_council"
    return "__end__" if state["status"] in CLOSED_UNSENT else "dispatch"


def route_after_dispatch(
    state: ActionState,
) -> Literal["schedule_outcome_check", "await_delivery", "await_council", "__end__"]:
    """Schedule the check once delivered; wait while the outbox still owes the delivery."""
    status = state["status"]
    if status in DELIVERED:
        return "schedule_outcome_check"
    if status in AWAITING_DELIVERY:
        return "await_delivery"
    return "await_council" if status in AWAITING_COUNCIL else "__end__"


def build_action_graph(
    checkpointer: BaseCheckpointSaver[str] | None = None,
) -> CompiledStateGraph[ActionState, ActionContext, ActionState, ActionState]:
    """Record proposal → await council (interrupt) → dispatch → schedule outcome check."""
    graph = StateGraph(ActionState, context_schema=ActionContext)
    graph.add_node("record_proposal", record_proposal)
    graph.add_node("await_council", await_council)
    graph.add_node("dispatch", dispatch)
    graph.add_node("await_delivery", await_delivery)
    graph.add_node("schedule_outcome_check", schedule_outcome_check)
    graph.add_edge(START, "record_proposal")
    graph.add_edge("record_proposal", "await_council")
    graph.add_conditional_edges("await_council", route_after_await_council)
    graph.add_conditional_edges("dispatch", route_after_dispatch)
    graph.add_edge("await_delivery", "dispatch")
    graph.add_edge("schedule_outcome_check", END)
    return graph.compile(name="action", checkpointer=checkpointer)


ActionGraph = CompiledStateGraph[ActionState, ActionContext, ActionState, ActionState]


def thread_config(action_id: str) -> RunnableConfig:
    """Return the config of an action's thread (thread id = action id)."""
    return {"configurable": {"thread_id": action_id}}


def resume_action(graph: ActionGraph, ctx: ActionContext, *, action_id: str) -> ActionState:
    """Start, resume or finish an action's thread after SQL changed; return its state.

    Call it after the change is committed (a decision, a delivery, a redrive). A new
    thread runs to its first pause; a paused one is resumed; one cut off by a crash
    continues from its last checkpoint; a finished one is left alone.
    """
    config = thread_config(action_id)
    snapshot = graph.get_state(config)
    # "sync": each step's checkpoint is written before the next step starts, so a crash
    # never loses a step that already had effects in SQL (they are idempotent anyway).
    if not snapshot.values:
        graph.invoke({"action_id": action_id}, config, context=ctx, durability="sync")
    elif snapshot.next:
        waiting = any(task.interrupts for task in snapshot.tasks)
        command: Command[str] | None = Command(resume={"action_id": action_id}) if waiting else None
        graph.invoke(command, config, context=ctx, durability="sync")
    values: Any = graph.get_state(config).values
    return values  # type: ignore[no-any-return]


def waiting_for(graph: ActionGraph, *, action_id: str) -> str | None:
    """Return what a thread waits for (`council`, `delivery`), or None if not paused."""
    snapshot = graph.get_state(thread_config(action_id))
    for task in snapshot.tasks:
        for pause in task.interrupts:
            value: Any = pause.value
            return str(value.get("waiting_for")) if isinstance(value, dict) else None
    return None


@contextmanager
def _opened(run: RunContext) -> Iterator[tuple[ActionGraph, ActionContext]]:
    """Open the action graph on the workspace's checkpointer, with the run's dependencies.

    No dispatcher is passed: the thread hands delivery to `journeyops dispatch`, which
    resumes it again once the outbox has recorded the result.
    """

    ctx = ActionContext(
        sessions=run.sessions,
        clock=run.clock,
        evaluation_days={pid: pb.evaluation_days for pid, pb in run.settings.playbooks.items()},
    )
    with open_checkpointer(run.settings, run.workspace) as saver:
        yield build_action_graph(saver), ctx


def resume_threads(run: RunContext, action_ids: Sequence[str]) -> dict[str, str]:
    """Resume the threads of actions whose SQL state just changed; return their statuses.

    Entry points call this after committing (decisions, dispatch passes, redrives).
    """
    with _opened(run) as (graph, ctx):
        return {
            action_id: resume_action(graph, ctx, action_id=action_id).get("status", "")
            for action_id in action_ids
        }


def sync_threads(run: RunContext) -> list[str]:
    """Bring every lagging thread up to its action's SQL status; return the ids resumed.

    A thread lags when nothing resumed it after SQL moved: a proposal that expired, or a
    resume after a commit that failed. Started-but-finished threads are left alone.
    """
    with run.sessions() as session:
        statuses = {a.id: a.status for a in list_actions(session)}
    resumed: list[str] = []
    with _opened(run) as (graph, ctx):
        for action_id, status in statuses.items():
            snapshot = graph.get_state(thread_config(action_id))
            if snapshot.values and (not snapshot.next or snapshot.values["status"] == status):
                continue
            resume_action(graph, ctx, action_id=action_id)
            resumed.append(action_id)
    return resumed


def resume_after_commit(
    run: RunContext, action_ids: Sequence[str], *, warn: Callable[[str], None] | None = None
) -> None:
    """Resume the threads of actions whose SQL change was just committed; never raise.

    SQL is the gate and the change stands whatever happens here: a thread that fails to
    start or resume is caught up from its checkpoint by the next resume of that action.
    """
    if not action_ids:
        return
    try:
        resume_threads(run, action_ids)
    except Exception as exc:
        (warn or run.status)(f"warning: action thread not resumed ({', '.join(action_ids)}): {exc}")
