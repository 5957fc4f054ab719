"""A click on Approve / Reject in Slack, verified, then decided by the one gate caller.

Order matters: the request must carry Slack's signature over its exact body and a
timestamp no older than five minutes (else it is refused and audited, nothing parsed);
the clicking Slack user must map to an enabled journeyops user in `[slack] users`; the button's
payload hash must still be the action's (an edited proposal needs a fresh look). Only
then does `decide_then_resume` let the gate check membership, quorum and separation of
duties and record the decision. The message is updated in place with the quorum progress,
and because the gate refuses a second decision by the same person, a second click cannot
make a second decision.
"""

from __future__ import annotations

import json
import os
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from slack_sdk.signature import Clock, SignatureVerifier

from agent.actions.decisions import decide_then_resume
from agent.context import RunContext
from agent.notify.proposal_card import proposal_card
from agent.notify.slack_channel import SlackChannel, SlackError
from agent.notify.slack_messages import parse_button
from store.audit import append_event
from store.gate.actions import get_action
from store.gate.rules import DecisionRefused
from store.signin.tokens import get_user

MAX_AGE_S = 300


@dataclass(frozen=True)
class SlackReply:
    """What the endpoint answers Slack: an HTTP status and a short reason."""

    status: int
    text: str


class _ContextClock(Clock):
    def __init__(self, ctx: RunContext) -> None:
        self._ctx = ctx

    def now(self) -> float:
        return self._ctx.clock().timestamp()


def handle_interaction(
    ctx: RunContext,
    *,
    body: bytes,
    headers: Mapping[str, str],
    environ: Mapping[str, str] = os.environ,
) -> SlackReply:
    """Verify and carry out one Slack interaction request (the raw form-encoded body)."""
    secret = environ.get(ctx.settings.slack.signing_secret_env, "")
    if not secret:
        return SlackReply(404, "Slack is not configured: no signing secret")
    stamp = headers.get("x-slack-request-timestamp", "")
    signature = headers.get("x-slack-signature", "")
    now = ctx.clock().timestamp()
    if not stamp.isdigit() or abs(now - int(stamp)) > MAX_AGE_S:
        return _refuse(ctx, 401, "stale or missing request timestamp (possible replay)")
    verifier = SignatureVerifier(secret, clock=_ContextClock(ctx))
    if not verifier.is_valid(body=body, timestamp=stamp, signature=signature):
        return _refuse(ctx, 401, "bad Slack signature")
    payload = _payload(body)
    if payload is None:
        return _refuse(ctx, 400, "not a Slack block_actions payload")
    return _click(ctx, payload, environ)


def _click(ctx: RunContext, payload: dict[str, Any], environ: Mapping[str, str]) -> SlackReply:
    slack_user = str(payload.get("user", {}).get("id", ""))
    channel = str(payload.get("channel", {}).get("id", ""))
    ts = str(
        payload.get("message", {}).get("ts", "")
        or payload.get("container", {}).get("message_ts", "")
    )
    action = payload["actions"][0]
    button = parse_button(str(action.get("action_id", "")), str(action.get("value", "")))
    if button is None:
        return _refuse(ctx, 400, "not a journeyops button", actor=slack_user)
    decision, action_id, digest = button
    slack = SlackChannel.from_settings(ctx.settings.slack, environ)
    user = ctx.settings.slack.users.get(slack_user)
    if user is None:
        reason = f"Slack user {slack_user} is not mapped to a journeyops user"
        return _tell(
            ctx, slack, channel, slack_user, _refuse(ctx, 200, reason, slack_user, action_id)
        )
    with ctx.sessions() as session:
        enabled = get_user(session, name=user) is not None
        row = get_action(session, action_id=action_id)
        current = row.payload_sha256 if row is not None else None
    if not enabled:
        # Disabling a user in journeyops cuts their Slack clicks too.
        reason = f"journeyops user {user} is disabled or was never added"
        return _tell(
            ctx, slack, channel, slack_user, _refuse(ctx, 200, reason, slack_user, action_id)
        )
    if current != digest:
        reason = "the proposal changed since this message was posted; review the new version"
        return _tell(
            ctx, slack, channel, slack_user, _refuse(ctx, 200, reason, slack_user, action_id)
        )
    try:
        outcome = decide_then_resume(
            ctx, action_id=action_id, user=user, decision=decision, reason=f"{decision} in Slack"
        )
    except DecisionRefused as exc:
        return _tell(
            ctx, slack, channel, slack_user, _refuse(ctx, 200, str(exc), slack_user, action_id)
        )
    card = proposal_card(ctx, action_id=action_id)
    if slack is not None and card is not None and channel and ts:
        note = f"{user} chose {decision} ({outcome.approvals} of {outcome.quorum} approvals)"
        try:
            slack.update_proposal(channel=channel, ts=ts, card=card, note=note)
        except SlackError as exc:
            ctx.status(str(exc))
    return SlackReply(200, f"{user}: {decision} recorded; status {outcome.status.value}")


def _payload(body: bytes) -> dict[str, Any] | None:
    """Return the interaction payload of a block_actions request, or None."""
    form = urllib.parse.parse_qs(body.decode("utf-8", errors="replace"))
    try:
        payload = json.loads(form.get("payload", [""])[0])
    except json.JSONDecodeError:
        return None
    if not isinstance(payload, dict) or payload.get("type") != "block_actions":
        return None
    actions = payload.get("actions")
    if not isinstance(actions, list) or not actions or not isinstance(actions[0], dict):
        return None
    for key in ("user", "channel", "message", "container"):
        if not isinstance(payload.get(key, {}), dict):
            return None
    return payload


def _refuse(
    ctx: RunContext, status: int, reason: str, actor: str = "", action_id: str = ""
) -> SlackReply:
    """Audit a refused Slack request and return the reply saying why."""
    with ctx.sessions.begin() as session:
        append_event(
            session,
            actor=f"slack:{actor or 'unverified'}"[:100],
            kind="slack.refused",
            subject=(action_id or "slack")[:64],
            data={"reason": reason},
            now=ctx.clock(),
        )
    return SlackReply(status, reason)


def _tell(
    ctx: RunContext, slack: SlackChannel | None, channel: str, user: str, reply: SlackReply
) -> SlackReply:
    """Let the clicking user see why nothing was decided (best effort)."""
    if slack is not None and channel and user:
        try:
            slack.tell(channel=channel, user=user, text=f"Not recorded: {reply.text}")
        except SlackError as exc:
            ctx.status(str(exc))
    return reply
