"""Slack's interactivity endpoint: Approve / Reject clicks on proposal messages.

Slack signs every request; nothing here trusts a session cookie or a typed name. The
handler (`agent.notify.slack_decide`) verifies the signature and timestamp over the raw
body before reading it, then decides through the same gate caller as the app and CLI.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse
from starlette.concurrency import run_in_threadpool

from agent.notify.slack_decide import handle_interaction
from agent.web.state import web_state

router = APIRouter()


@router.post("/slack/interactions", response_class=PlainTextResponse)
async def slack_interactions(request: Request) -> PlainTextResponse:
    """Carry out one signed Slack interaction; refusals are audited and answered plainly."""
    body = await request.body()
    headers = {k.lower(): v for k, v in request.headers.items()}
    ctx = web_state(request).ctx
    reply = await run_in_threadpool(handle_interaction, ctx, body=body, headers=headers)
    return PlainTextResponse(reply.text, status_code=reply.status)
