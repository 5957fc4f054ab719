"""Pages: the approvals inbox, action history, one action, and deciding on it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from agent.web.auth import Principal, read_form, require
from agent.web.decisions import new_confirmation, record_decision
from agent.web.render import render
from agent.web.state import web_state
from agent.web.views.actions import action_detail, summaries
from store.states import ActionStatus

router = APIRouter()
Reader = Annotated[Principal, Depends(require("read"))]


@router.get("/approvals", response_class=HTMLResponse)
def approvals(request: Request, _me: Reader) -> Response:
    """The approvals inbox: proposed actions with quorum progress, most valuable first."""
    rows = summaries(web_state(request).ctx, status=ActionStatus.PROPOSED)
    return render(request, "approvals.html", {"rows": rows})


@router.get("/actions", response_class=HTMLResponse)
def history(request: Request, _me: Reader, status: ActionStatus | None = None) -> Response:
    """Action history: every action with its delivery status and outcome."""
    rows = summaries(web_state(request).ctx, status=status)
    values = {"rows": rows, "status": status or "", "statuses": list(ActionStatus)}
    return render(request, "actions.html", values)


@router.get("/actions/{action_id}", response_class=HTMLResponse)
def action_page(request: Request, action_id: str, me: Reader, error: str = "") -> Response:
    """One action: evidence, the exact payload, quorum, decisions, deliveries, outcome."""
    ctx = web_state(request).ctx
    detail = action_detail(ctx, action_id=action_id)
    if detail is None:
        raise HTTPException(404, f"no action {action_id}")
    confirm = None
    if me.can("decide") and detail.row.status == ActionStatus.PROPOSED:
        confirm = new_confirmation(ctx, user=me.user, action_id=action_id)
    values = {"d": detail, "confirm": confirm, "error": error}
    return render(request, "action.html", values)


@router.post("/actions/{action_id}/decide")
async def decide_page(
    request: Request, action_id: str, me: Annotated[Principal, Depends(require("decide"))]
) -> Response:
    """Approve or reject through the SQL gate with a fresh single-use confirmation."""
    form = await read_form(request)
    # The gate, its SQL and the graph resume run on a worker thread, off the event loop.
    return await run_in_threadpool(_decide, request, action_id, me.user, form)


def _decide(request: Request, action_id: str, user: str, form: dict[str, str]) -> Response:
    ctx = web_state(request).ctx
    result = record_decision(
        ctx,
        user=user,
        action_id=action_id,
        decision=form.get("decision", ""),
        reason=form.get("reason", ""),
        confirmation=form.get("confirm", ""),
    )
    if result.outcome is None:
        detail = action_detail(ctx, action_id=action_id)
        if detail is None:
            raise HTTPException(result.status_code, result.problem)
        confirm = new_confirmation(ctx, user=user, action_id=action_id)
        values = {"d": detail, "confirm": confirm, "error": result.problem}
        return render(request, "action.html", values, status_code=result.status_code)
    return RedirectResponse(f"/actions/{action_id}?decided=1", status_code=303)
