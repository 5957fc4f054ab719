"""Approve from Slack: signed clicks go through the gate; everything else is refused and audited.

Requests are posted to the council app's real `/slack/interactions` route, form-encoded
and signed exactly as Slack does; `chat.update` / `chat.postEphemeral` land on a local
stand-in for Slack's Web API.
"""

from __future__ import annotations

import json
import urllib.parse

import pytest
from fastapi.testclient import TestClient
from slack_sdk.signature import SignatureVerifier
from sqlalchemy import select

from agent.web import create_app
from store.gate.actions import decisions_for, get_action
from store.models import AuditEvent, OutboxRow
from store.signin.tokens import disable_user
from store.states import ActionStatus
from tests.agent.notify.conftest import CHANNEL, SECRET, Seeded
from tests.support.web import NOW


def _click(
    client: TestClient,
    seeded: Seeded,
    *,
    slack_user: str,
    button: str = "journeyops_approve",
    digest: str | None = None,
    age_s: int = 0,
    secret: str = SECRET,
) -> tuple[int, str]:
    with seeded.ctx.sessions() as session:
        action = get_action(session, action_id=seeded.action_id)
        assert action is not None
        value = f"{action.id}:{digest or action.payload_sha256}"
    payload = {
        "type": "block_actions",
        "user": {"id": slack_user},
        "channel": {"id": CHANNEL},
        "message": {"ts": "1700000000.000001"},
        "container": {"message_ts": "1700000000.000001"},
        "actions": [{"action_id": button, "value": value}],
    }
    body = urllib.parse.urlencode({"payload": json.dumps(payload)})
    stamp = str(int(NOW.timestamp()) - age_s)
    signature = SignatureVerifier(secret).generate_signature(timestamp=stamp, body=body)
    reply = client.post(
        "/slack/interactions",
        content=body,
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Slack-Request-Timestamp": stamp,
            "X-Slack-Signature": signature or "",
        },
    )
    return reply.status_code, reply.text


def _refusals(seeded: Seeded) -> list[dict[str, object]]:
    with seeded.ctx.sessions() as session:
        rows = session.execute(
            select(AuditEvent).where(AuditEvent.kind == "slack.refused").order_by(AuditEvent.seq)
        ).scalars()
        return [{"actor": r.actor, "subject": r.subject, **r.data} for r in rows]


def _decisions(seeded: Seeded) -> list[tuple[str, str]]:
    with seeded.ctx.sessions() as session:
        return [
            (d.user_name, d.decision) for d in decisions_for(session, action_id=seeded.action_id)
        ]


def test_two_council_clicks_reach_quorum_and_update_the_message(seeded: Seeded) -> None:
    with TestClient(create_app(lambda: seeded.ctx)) as client:
        first = _click(client, seeded, slack_user="U1")
        second = _click(client, seeded, slack_user="U3")

    assert first == (200, "li: approve recorded; status proposed")
    assert second == (200, "maria: approve recorded; status approved")
    assert _decisions(seeded) == [("li", "approve"), ("maria", "approve")]
    with seeded.ctx.sessions() as session:
        action = get_action(session, action_id=seeded.action_id)
        assert action is not None and action.status == ActionStatus.APPROVED
        outbox = session.execute(select(OutboxRow)).scalars().all()
        assert [o.action_id for o in outbox] == [seeded.action_id]
    halfway, done = seeded.slack.of("chat.update")
    assert halfway.body["channel"] == CHANNEL and halfway.body["ts"] == "1700000000.000001"
    assert "1 of 2 approvals (li)" in json.dumps(halfway.body["blocks"])
    assert any(b["type"] == "actions" for b in halfway.body["blocks"])
    assert "2 of 2 approvals (li, maria)" in json.dumps(done.body["blocks"])
    assert not any(b["type"] == "actions" for b in done.body["blocks"])


def test_a_second_click_cannot_make_a_second_decision(seeded: Seeded) -> None:
    with TestClient(create_app(lambda: seeded.ctx)) as client:
        _click(client, seeded, slack_user="U1")
        again = _click(client, seeded, slack_user="U1")
        reject = _click(client, seeded, slack_user="U1", button="journeyops_reject")

    assert _decisions(seeded) == [("li", "approve")]
    assert again[0] == reject[0] == 200
    assert [e["subject"] for e in _refusals(seeded)] == [seeded.action_id] * 2
    told = seeded.slack.of("chat.postEphemeral")
    assert [c.body["user"] for c in told] == ["U1", "U1"]
    assert all(c.body["text"].startswith("Not recorded:") for c in told)


def test_a_replay_older_than_five_minutes_is_refused_and_audited(seeded: Seeded) -> None:
    with TestClient(create_app(lambda: seeded.ctx)) as client:
        status, text = _click(client, seeded, slack_user="U1", age_s=301)

    assert (status, text) == (401, "stale or missing request timestamp (possible replay)")
    assert _decisions(seeded) == []
    assert _refusals(seeded) == [{"actor": "slack:unverified", "subject": "slack", "reason": text}]


def test_a_bad_signature_is_refused_and_audited(seeded: Seeded) -> None:
    with TestClient(create_app(lambda: seeded.ctx)) as client:
        status, text = _click(client, seeded, slack_user="U1", secret="not-the-secret")

    assert (status, text) == (401, "bad Slack signature")
    assert _decisions(seeded) == []
    assert [e["reason"] for e in _refusals(seeded)] == ["bad Slack signature"]
    assert seeded.slack.calls == []


def test_unknown_users_viewers_and_stale_buttons_decide_nothing(seeded: Seeded) -> None:
    with TestClient(create_app(lambda: seeded.ctx)) as client:
        unknown = _click(client, seeded, slack_user="U999")
        viewer = _click(client, seeded, slack_user="U4")
        stale = _click(client, seeded, slack_user="U1", digest="0" * 64)

    assert _decisions(seeded) == []
    assert unknown[1] == "Slack user U999 is not mapped to a journeyops user"
    assert "vera" in viewer[1]
    assert stale[1].startswith("the proposal changed since this message was posted")
    refused = _refusals(seeded)
    assert [e["actor"] for e in refused] == ["slack:U999", "slack:U4", "slack:U1"]
    assert len(seeded.slack.of("chat.postEphemeral")) == 3


def test_a_disabled_journeyops_user_cannot_decide_from_slack(seeded: Seeded) -> None:
    with seeded.ctx.sessions.begin() as session:
        disable_user(session, name="li", now=NOW)
    with TestClient(create_app(lambda: seeded.ctx)) as client:
        status, text = _click(client, seeded, slack_user="U1")

    assert (status, text) == (200, "journeyops user li is disabled or was never added")
    assert _decisions(seeded) == []
    assert [e["actor"] for e in _refusals(seeded)] == ["slack:U1"]


def test_without_a_signing_secret_the_endpoint_decides_nothing(
    seeded: Seeded, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SLACK_SIGNING_SECRET")
    with TestClient(create_app(lambda: seeded.ctx)) as client:
        status, text = _click(client, seeded, slack_user="U1")

    assert (status, text) == (404, "Slack is not configured: no signing secret")
    assert _decisions(seeded) == []
