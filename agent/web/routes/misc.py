"""Pages: the audit trail, the chat page backed by the chat graph, and the user list."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from agent.chat.conversation import Conversation
from agent.web.auth import Principal, read_form, require
from agent.web.render import render
from agent.web.state import WebState, web_state
from store.audit import recent_events, verify_chain
from store.signin.tokens import list_users

router = APIRouter()
_AUDIT_PAGE = 200


@router.get("/audit", response_class=HTMLResponse)
def audit_page(
    request: Request, _me: Annotated[Principal, Depends(require("audit"))], subject: str = ""
) -> Response:
    """The audit trail, newest first, with the result of verifying the hash chain."""
    ctx = web_state(request).ctx
    with ctx.sessions() as session:
        events = recent_events(session, subject=subject, limit=_AUDIT_PAGE)
        check = verify_chain(session)
    return render(request, "audit.html", {"events": events, "check": check, "subject": subject})


def conversation(state: WebState, user: str) -> Any:
    """Return the signed-in user's chat thread (one per user, checkpointed in SQL)."""

    return Conversation(state.ctx, thread_id=f"web-{user}", checkpointer=state.checkpointer())


def _visible(messages: list[dict[str, Any]]) -> list[dict[str, str]]:
    return [
        {"role": str(m["role"]), "content": str(m.get("content") or "")}
        for m in messages
        if m.get("role") in ("user", "assistant") and m.get("content")
    ]


@router.get("/chat", response_class=HTMLResponse)
def chat_page(request: Request, me: Annotated[Principal, Depends(require("chat"))]) -> Response:
    """The conversation so far and the fixes the last answer offered."""
    state = web_state(request)
    with state.chat_lock(me.user):
        convo = conversation(state, me.user)
        values = convo.state()
        messages = _visible(list(values.get("messages", [])))
        offered = convo.offered()
    return render(request, "chat.html", {"messages": messages, "offered": offered})


@router.post("/chat")
async def chat_ask(
    request: Request, me: Annotated[Principal, Depends(require("chat"))]
) -> Response:
    """Ask one question; the answer appears on the chat page."""

    question = (await read_form(request)).get("question", "").strip()
    state = web_state(request)
    if question:

        def ask() -> None:
            with state.chat_lock(me.user):
                conversation(state, me.user).ask(question[:2000])

        await run_in_threadpool(ask)
    return RedirectResponse("/chat", status_code=303)


@router.post("/chat/propose")
async def chat_propose(
    request: Request, me: Annotated[Principal, Depends(require("chat"))]
) -> Response:
    """File an offered fix for council approval (the user's command, not the model's)."""
    raw = (await read_form(request)).get("n", "")
    state = web_state(request)
    if raw.isdigit():

        def propose() -> None:
            with state.chat_lock(me.user):
                conversation(state, me.user).propose(int(raw))

        await run_in_threadpool(propose)
    return RedirectResponse("/chat", status_code=303)


@router.get("/admin/users", response_class=HTMLResponse)
def users_page(request: Request, _me: Annotated[Principal, Depends(require("admin"))]) -> Response:
    """Who may sign in, with their roles (tokens are minted with the CLI)."""
    with web_state(request).ctx.sessions() as session:
        users = list_users(session)
    return render(request, "users.html", {"users": users})
