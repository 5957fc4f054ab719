"""Block Kit messages: a proposal card with Approve / Reject buttons, and the scan digest.

Every piece of text that did not come from our own numbers (titles, hypotheses, journey
names, user names) is escaped for Slack's mrkdwn, so it can neither mention anyone nor
forge a link. A button's value binds the click to the exact payload hash on the card.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    HeaderBlock,
    MarkdownTextObject,
    PlainTextObject,
    SectionBlock,
)

from agent.notify.proposal_card import ProposalCard
from store.states import ActionStatus

APPROVE, REJECT = "journeyops_approve", "journeyops_reject"
ButtonKind = Literal["approve", "reject"]
_BUTTONS: dict[str, ButtonKind] = {APPROVE: "approve", REJECT: "reject"}
_MAX_TEXT = 2800
_MAX_DIGEST_LINES = 20


def escape(text: str) -> str:
    """Escape text for mrkdwn: no mentions, links or channel pings survive."""
    flat = " ".join(text.split())
    return flat.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")[:_MAX_TEXT]


def button_value(card: ProposalCard) -> str:
    """Return what a button carries: the action and the payload hash the card shows."""
    return f"{card.action_id}:{card.payload_sha256}"


def parse_button(action_id: str, value: str) -> tuple[ButtonKind, str, str] | None:
    """Return (decision, action id, payload hash) of one of our buttons, or None."""
    kind = _BUTTONS.get(action_id)
    target, _, digest = value.partition(":")
    if kind is None or not target or len(digest) != 64:
        return None
    return kind, target, digest


def progress_line(card: ProposalCard) -> str:
    """Return the quorum progress as one line, e.g. `1 of 2 approvals (maria)`."""
    who = f" ({escape(', '.join(card.approvers))})" if card.approvers else ""
    return f"{card.approvals} of {card.quorum} approvals{who} · status *{card.status.value}*"


def proposal_blocks(card: ProposalCard, *, note: str = "") -> list[dict[str, Any]]:
    """Return the card as blocks; the buttons show only while it awaits a decision."""
    evidence = (
        f"*{escape(card.change)}*\n"
        f"Segment: {escape(card.segment)} ({escape(card.cause_kind)}) · "
        f"customer quotes: {card.quotes}\n"
        f"Hypothesis (may quote customers; untrusted): _{escape(card.hypothesis) or 'none'}_"
    )
    blocks: list[Block] = [
        HeaderBlock(text=PlainTextObject(text=f"Proposal: {card.title}"[:150])),
        SectionBlock(text=MarkdownTextObject(text=evidence)),
        SectionBlock(
            fields=[
                MarkdownTextObject(text=f"*Verdict*\n{card.verdict}"),
                MarkdownTextObject(text=f"*Expected value*\n{card.value_per_week} per week"),
                MarkdownTextObject(text=f"*Playbook*\n{escape(card.playbook)}"),
                MarkdownTextObject(text=f"*Journey*\n{escape(card.journey)}"),
            ]
        ),
        ContextBlock(
            elements=[
                MarkdownTextObject(
                    text=f"`{card.action_id}` proposed by {escape(card.proposed_by)} · "
                    + progress_line(card)
                )
            ]
        ),
    ]
    if note:
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=escape(note))]))
    if card.status == ActionStatus.PROPOSED:
        value = button_value(card)
        blocks.append(
            ActionsBlock(
                elements=[
                    ButtonElement(text="Approve", action_id=APPROVE, value=value, style="primary"),
                    ButtonElement(text="Reject", action_id=REJECT, value=value, style="danger"),
                ]
            )
        )
    return [b.to_dict() for b in blocks]


def proposal_text(card: ProposalCard) -> str:
    """Return the notification text (shown where blocks are not)."""
    return f"Proposal for {card.journey}: {card.title} ({card.value_per_week} per week)"


def digest_blocks(digest: Mapping[str, object]) -> list[dict[str, Any]]:
    """Return the scheduled scan digest as blocks: the title and the new proposals."""
    raw = digest.get("new_proposals")
    proposals: Sequence[object] = raw if isinstance(raw, list) else []
    lines = [
        f"• {escape(str(p.get('journey', '')))}: {escape(str(p.get('title', '')))} "
        f"(`{escape(str(p.get('action_id', '')))}`)"
        for p in proposals[:_MAX_DIGEST_LINES]
        if isinstance(p, dict)
    ]
    more = len(proposals) - len(lines)
    body = "\n".join(lines) or "Nothing new to decide."
    if more > 0:
        body += f"\n…and {more} more"
    blocks: list[Block] = [
        HeaderBlock(text=PlainTextObject(text=str(digest.get("title", "journeyops digest"))[:150])),
        SectionBlock(text=MarkdownTextObject(text=body)),
    ]
    return [b.to_dict() for b in blocks]
