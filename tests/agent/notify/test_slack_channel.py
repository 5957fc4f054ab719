"""Proposals and digests reach the journey's Slack channel as Block Kit messages."""

from __future__ import annotations

import json

from agent.notify.slack_channel import post_new_proposals
from store.gate.actions import get_action
from tests.agent.notify.conftest import CHANNEL, TOKEN, Seeded


def test_a_new_proposal_is_posted_with_evidence_money_and_buttons(seeded: Seeded) -> None:
    digest = {"title": "journeyops scan: 1 new proposal", "new_proposals": []}
    account = post_new_proposals(
        seeded.ctx,
        action_ids=[seeded.action_id],
        digest=digest,
        environ={"SLACK_BOT_TOKEN": TOKEN},
    )

    assert account == "1 proposal(s), 1 digest(s)"
    card, digest_post = seeded.slack.of("chat.postMessage")
    assert card.authorization == f"Bearer {TOKEN}"
    assert card.body["channel"] == CHANNEL == digest_post.body["channel"]
    text = json.dumps(card.body["blocks"], ensure_ascii=False)
    with seeded.ctx.sessions() as session:
        action = get_action(session, action_id=seeded.action_id)
        assert action is not None
    buttons = next(b for b in card.body["blocks"] if b["type"] == "actions")["elements"]
    assert [b["text"]["text"] for b in buttons] == ["Approve", "Reject"]
    assert {b["value"] for b in buttons} == {f"{action.id}:{action.payload_sha256}"}
    assert "USD 41,000 per week" in text
    assert "payment Conversion: 82.0% → 71.0%" in text
    assert "*Verdict*\\nconfirmed" in text
    assert "0 of 2 approvals" in text
    # Customer markup in the hypothesis is escaped: no tag, mention or link survives.
    assert "<script>" not in text and "&lt;script&gt;" in text


def test_slack_is_off_without_a_bot_token(seeded: Seeded) -> None:
    account = post_new_proposals(seeded.ctx, action_ids=[seeded.action_id], digest=None, environ={})
    assert account == "off"
    assert seeded.slack.calls == []
