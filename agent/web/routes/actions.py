"""Pages: the approvals inbox, action history, one action, and deciding on it."""

from __future__ import annotations

import datetime as dt
import re
import urllib.parse
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from agent.actions.feedback import give_feedback
from agent.context import RunContext
from agent.web.auth import Principal, read_form, require
from agent.web.decisions import new_confirmation, record_decision
from agent.web.render import render
from agent.web.state import web_state
from agent.web.views.actions import ActionDetail, action_detail, summaries
from agent.web.views.incidents import (
    PAST_TENSE,
    alternatives,
    incident_cells,
    may_approve,
    may_decide,
)
from store.incidents import FeedbackKind, FeedbackRefused
from store.states import ActionStatus

router = APIRouter()
_ACTION_ID = re.compile(r"act-[0-9a-f]{12}")
_FEEDBACK: dict[str, FeedbackKind] = {k: k for k in ("expected", "false_alarm", "snoozed")}
Reader = Annotated[Principal, Depends(require("read"))]


@router.get("/approvals", response_class=HTMLResponse)
def approvals(request: Request, me: Reader, show: str = "mine") -> Response:
    """The approvals inbox, most valuable first: by default only what needs my decision."""
    rows = summaries(web_state(request).ctx, status=ActionStatus.PROPOSED)
    can = me.can("decide")
    if show != "all":
        rows = [s for s in rows if may_decide(s.quorum, me.user, role_can_decide=can)]
    cells = {s.row.id: incident_cells(s.row) for s in rows}
    return render(request, "approvals.html", {"rows": rows, "cells": cells, "show": show})


@router.get("/actions", response_class=HTMLResponse)
def history(request: Request, _me: Reader, status: ActionStatus | None = None) -> Response:
    """Action history: every action with its delivery status and outcome."""
    rows = summaries(web_state(request).ctx, status=status)
    values = {"rows": rows, "status": status or "", "statuses": list(ActionStatus)}
    return render(request, "actions.html", values)


@router.get("/actions/{action_id}", response_class=HTMLResponse)
def action_page(
    request: Request,
    action_id: str,
    me: Reader,
    error: str = "",
    decided: str = "",
    feedback: str = "",
) -> Response:
    """One action: evidence, the exact payload, quorum, decisions, deliveries, outcome."""
    ctx = web_state(request).ctx
    detail = action_detail(ctx, action_id=action_id)
    if detail is None:
        raise HTTPException(404, f"no action {action_id}")
    values = _action_values(ctx, detail, me, error, decided)
    values["feedback"] = feedback if feedback in _FEEDBACK else ""
    return render(request, "action.html", values)


@router.post("/incidents/{incident_id}/feedback")
async def incident_feedback(
    request: Request, incident_id: str, me: Annotated[Principal, Depends(require("decide"))]
) -> Response:
    """Dismiss (expected, false alarm) or snooze the incident behind an action; audited."""
    form = await read_form(request)
    back = form.get("action", "")
    if not _ACTION_ID.fullmatch(back):
        raise HTTPException(400, "missing or malformed action id")
    feedback = _FEEDBACK.get(form.get("feedback", ""))
    try:
        if feedback is None:
            raise FeedbackRefused("feedback must be expected, false_alarm or snoozed")
        until = dt.date.fromisoformat(form["until"]) if feedback == "snoozed" else None
        # SQL and the audit append run on a worker thread, off the event loop.
        await run_in_threadpool(
            give_feedback,
            web_state(request).ctx,
            incident_id=incident_id,
            feedback=feedback,
            reason=form.get("reason", ""),
            by=me.user,
            until=until,
        )
    except (FeedbackRefused, KeyError, ValueError) as exc:
        problem = str(exc) if isinstance(exc, FeedbackRefused) else "snooze needs a valid date"
        query = urllib.parse.urlencode({"error": problem})
        return RedirectResponse(f"/actions/{back}?{query}", status_code=303)
    return RedirectResponse(f"/actions/{back}?feedback={feedback}", status_code=303)


def _action_values(
    ctx: RunContext, detail: ActionDetail, me: Principal, error: str, decided: str
) -> dict[str, object]:
    """Return what the action page shows; decide controls only for who may still decide."""
    can = me.can("decide")
    confirm = None
    if may_decide(detail.quorum, me.user, role_can_decide=can):
        confirm = new_confirmation(ctx, user=me.user, action_id=detail.row.id)
    mine = next((x for x in detail.decisions if x.user_name == me.user), None)
    return {
        "d": detail,
        "confirm": confirm,
        "can_approve": may_approve(detail.quorum, me.user, role_can_decide=can),
        "why_not": detail.quorum.refusal(me.user, "reject") if can else None,
        "error": error,
        "decided": PAST_TENSE.get(mine.decision, mine.decision) if decided and mine else "",
        "cells": incident_cells(detail.row),
        "may_silence": can and me.user in detail.quorum.deciders,
        "alternatives": alternatives(ctx, detail.row),
        "metric": ctx.settings.metrics.get(detail.breakdown.metric) if detail.breakdown else None,
    }


@router.post("/actions/{action_id}/decide")
async def decide_page(
    request: Request, action_id: str, me: Annotated[Principal, Depends(require("decide"))]
) -> Response:
    """Approve or reject through the SQL gate with a fresh single-use confirmation."""
    form = await read_form(request)
    # The gate, its SQL and the graph resume run on a worker thread, off the event loop.
    return await run_in_threadpool(_decide, request, action_id, me, form)


def _decide(request: Request, action_id: str, me: Principal, form: dict[str, str]) -> Response:
    ctx = web_state(request).ctx
    result = record_decision(
        ctx,
        user=me.user,
        action_id=action_id,
        decision=form.get("decision", ""),
        reason=form.get("reason", ""),
        confirmation=form.get("confirm", ""),
    )
    if result.outcome is None:
        detail = action_detail(ctx, action_id=action_id)
        if detail is None:
            raise HTTPException(result.status_code, result.problem)
        values = _action_values(ctx, detail, me, result.problem, "")
        return render(request, "action.html", values, status_code=result.status_code)
    return RedirectResponse(f"/actions/{action_id}?decided=1", status_code=303)
