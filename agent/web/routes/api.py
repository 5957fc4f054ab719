"""The JSON API under /api: the same reads and the same gate as the pages, for scripts.

Sign in with `Authorization: Bearer <token>`, or exchange a token at `POST /api/session`
for the session cookie (then unsafe requests need the `X-CSRF-Token` it returns).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Request, Response
from pydantic import BaseModel, Field

from agent.web.auth import Principal, SignInRefused, client_address, exchange_token, require
from agent.web.decisions import new_confirmation, record_decision
from agent.web.routes.misc import conversation
from agent.web.routes.pages import set_session_cookie
from agent.web.state import web_state
from agent.web.views.actions import action_detail, summaries
from agent.web.views.health import breakdown_view, overview
from store.audit import recent_events
from store.states import ActionStatus

router = APIRouter(prefix="/api")
_AUDIT_LIMIT = 500
Reader = Annotated[Principal, Depends(require("read"))]


class SignIn(BaseModel):
    token: str = Field(min_length=1, max_length=200)
    user: str = Field(default="", max_length=100)


class Me(BaseModel):
    user: str
    role: str
    csrf: str = ""


class ActionOut(BaseModel):
    id: str
    version: int
    journey_id: str
    playbook: str
    title: str
    status: str
    workflow: str
    expected_value_per_week: float
    approvals: int
    quorum: int
    payload: dict[str, Any] | None = None
    payload_sha256: str


class DecisionIn(BaseModel):
    decision: Literal["approve", "reject"]
    reason: str = Field(min_length=1, max_length=2000)
    confirmation: str = Field(min_length=1, max_length=200)


class Confirmation(BaseModel):
    confirmation: str
    payload_sha256: str


class AuditOut(BaseModel):
    seq: int
    ts: dt.datetime
    actor: str
    kind: str
    subject: str
    data: dict[str, Any]


class ChatIn(BaseModel):
    question: str = Field(min_length=1, max_length=2000)


@router.post("/session", response_model=Me)
def sign_in(request: Request, body: SignIn, response: Response) -> Me:
    """Exchange a sign-in token for the session cookie; returns the CSRF token to send."""
    state = web_state(request)
    try:
        found = exchange_token(
            state, token=body.token.strip(), user=body.user.strip(), client=client_address(request)
        )
    except SignInRefused as exc:
        raise HTTPException(exc.status, str(exc)) from None
    csrf = set_session_cookie(response, state, user=found[0])
    return Me(user=found[0], role=found[1], csrf=csrf)


@router.get("/me", response_model=Me)
def me(principal: Reader) -> Me:
    """Return who is signed in, their role and (with a cookie) the CSRF token."""
    return Me(user=principal.user, role=principal.role, csrf=principal.csrf)


@router.get("/journeys")
def journeys(request: Request, _me: Reader) -> list[dict[str, Any]]:
    """Return every journey with its stages, metrics' latest values and open breakdowns."""
    views, _ = overview(web_state(request).ctx)
    return [
        {
            "id": j.id,
            "name": j.name,
            "parent": j.parent,
            "owner": j.owner,
            "stages": [
                {"stage": s.stage, "latest": {k.metric: k.latest for k in s.sparks}}
                for s in j.stages
            ],
            "open_breakdowns": [b.id for b in j.breakdowns],
        }
        for j in views
    ]


@router.get("/breakdowns/{breakdown_id}")
def breakdown(request: Request, breakdown_id: str, _me: Reader) -> dict[str, Any]:
    """Return one breakdown in the scan contract's shape."""
    view = breakdown_view(web_state(request).ctx, breakdown_id=breakdown_id)
    if view is None:
        raise HTTPException(404, f"no breakdown {breakdown_id}")
    return view.bd.model_dump(mode="json")


@router.get("/actions", response_model=list[ActionOut])
def actions(request: Request, _me: Reader, status: ActionStatus | None = None) -> list[ActionOut]:
    """Return actions (optionally of one status) with quorum progress."""
    return [
        ActionOut(
            **{k: getattr(s.row, k) for k in ActionOut.model_fields if hasattr(s.row, k)},
            approvals=s.quorum.approvals,
            quorum=s.quorum.quorum,
        )
        for s in summaries(web_state(request).ctx, status=status)
    ]


@router.get("/actions/{action_id}", response_model=ActionOut)
def action(request: Request, action_id: str, _me: Reader) -> ActionOut:
    """Return one action with the exact payload that will be sent once approved."""
    d = action_detail(web_state(request).ctx, action_id=action_id)
    if d is None:
        raise HTTPException(404, f"no action {action_id}")
    fields = {k: getattr(d.row, k) for k in ActionOut.model_fields if hasattr(d.row, k)}
    return ActionOut(**fields, approvals=d.quorum.approvals, quorum=d.quorum.quorum)


@router.post("/actions/{action_id}/confirmation", response_model=Confirmation)
def confirmation(
    request: Request, action_id: str, me: Annotated[Principal, Depends(require("decide"))]
) -> Confirmation:
    """Mint a fresh single-use confirmation for deciding on the current payload."""
    ctx = web_state(request).ctx
    token = new_confirmation(ctx, user=me.user, action_id=action_id)
    d = action_detail(ctx, action_id=action_id)
    if token is None or d is None:
        raise HTTPException(409, f"action {action_id} is not awaiting a decision")
    return Confirmation(confirmation=token, payload_sha256=d.row.payload_sha256)


@router.post("/actions/{action_id}/decision")
def decision(
    request: Request,
    action_id: str,
    body: DecisionIn,
    me: Annotated[Principal, Depends(require("decide"))],
) -> dict[str, Any]:
    """Approve or reject through the SQL gate (the same one the CLI uses)."""
    result = record_decision(
        web_state(request).ctx,
        user=me.user,
        action_id=action_id,
        decision=body.decision,
        reason=body.reason,
        confirmation=body.confirmation,
    )
    if result.outcome is None:
        raise HTTPException(result.status_code, result.problem)
    return result.outcome.model_dump()


@router.get("/audit", response_model=list[AuditOut])
def audit(
    request: Request, _me: Annotated[Principal, Depends(require("audit"))], subject: str = ""
) -> list[AuditOut]:
    """Return the newest audit events (optionally about one subject)."""
    with web_state(request).ctx.sessions() as session:
        rows = recent_events(session, subject=subject, limit=_AUDIT_LIMIT)
    return [
        AuditOut(seq=e.seq, ts=e.ts, actor=e.actor, kind=e.kind, subject=e.subject, data=e.data)
        for e in rows
    ]


@router.post("/chat")
def chat(
    request: Request, body: ChatIn, me: Annotated[Principal, Depends(require("chat"))]
) -> dict[str, Any]:
    """Ask the chat graph one question in the user's thread; returns the turn."""
    state = web_state(request)
    with state.chat_lock(me.user):
        turn = conversation(state, me.user).ask(body.question)
    result: dict[str, Any] = turn.model_dump(mode="json")
    return result


@router.get("/openapi.json", include_in_schema=False)
def openapi(request: Request, _me: Reader) -> dict[str, Any]:
    """Return the OpenAPI schema of the JSON API."""
    schema: dict[str, Any] = request.app.openapi()
    return schema
