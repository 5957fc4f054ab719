"""Slack's Web API for journeyops: post proposal cards and digests, update them in place.

The bot token comes only from the environment variable `[slack] bot_token_env` names;
without it Slack is off and nothing is posted. Each journey posts to its own channel
(`[slack] channels`, with `default` for the rest).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web import SlackResponse

from agent.config import SlackSettings
from agent.context import RunContext
from agent.notify.proposal_card import ProposalCard, proposal_card
from agent.notify.slack_messages import digest_blocks, proposal_blocks, proposal_text

_TIMEOUT_S = 15


class SlackError(Exception):
    """Slack refused or could not be reached; the message names the call."""


@dataclass
class SlackChannel:
    """A Web API client bound to the [slack] settings."""

    settings: SlackSettings
    client: WebClient

    @classmethod
    def from_settings(
        cls, settings: SlackSettings, environ: Mapping[str, str]
    ) -> SlackChannel | None:
        """Return the channel, or None when no bot token is set (Slack is off)."""
        token = environ.get(settings.bot_token_env, "")
        if not token:
            return None
        base = settings.api_url or WebClient.BASE_URL
        return cls(settings, WebClient(token=token, base_url=base, timeout=_TIMEOUT_S))

    def channel_for(self, journey: str) -> str | None:
        """Return the journey's channel id, else the default one, else None."""
        return self.settings.channels.get(journey) or self.settings.channels.get("default")

    def post_proposal(self, card: ProposalCard) -> str | None:
        """Post a card to its journey's channel; return the message ts (None: no channel)."""
        channel = self.channel_for(card.journey)
        if channel is None:
            return None
        reply = _call(
            "chat.postMessage",
            lambda: self.client.chat_postMessage(
                channel=channel, text=proposal_text(card), blocks=proposal_blocks(card)
            ),
        )
        return str(reply.get("ts", ""))

    def post_digest(self, digest: Mapping[str, object], journeys: Iterable[str]) -> int:
        """Post the digest once to each channel of `journeys` (and the default); return count."""
        channels = {c for j in journeys if (c := self.channel_for(j))}
        default = self.settings.channels.get("default")
        channels |= {default} if default else set()
        title, blocks = str(digest.get("title", "journeyops digest")), digest_blocks(digest)
        for channel in sorted(channels):
            _call(
                "chat.postMessage",
                functools.partial(
                    self.client.chat_postMessage, channel=channel, text=title, blocks=blocks
                ),
            )
        return len(channels)

    def update_proposal(self, *, channel: str, ts: str, card: ProposalCard, note: str) -> None:
        """Replace a posted card with its current state (buttons gone once decided)."""
        _call(
            "chat.update",
            lambda: self.client.chat_update(
                channel=channel,
                ts=ts,
                text=proposal_text(card),
                blocks=proposal_blocks(card, note=note),
            ),
        )

    def tell(self, *, channel: str, user: str, text: str) -> None:
        """Show one Slack user a message only they see (why their click did nothing)."""
        _call(
            "chat.postEphemeral",
            lambda: self.client.chat_postEphemeral(channel=channel, user=user, text=text),
        )


def _call(method: str, send: Callable[[], SlackResponse]) -> Mapping[str, object]:
    """Run one Web API call; Slack's refusals and transport failures become `SlackError`."""
    try:
        reply = send()
    except SlackApiError as exc:
        raise SlackError(f"Slack {method}: {exc.response.get('error', 'failed')}") from None
    except (SlackClientError, OSError) as exc:
        raise SlackError(f"Slack {method}: {exc}") from None
    return reply.data if isinstance(reply.data, dict) else {}


def post_new_proposals(
    ctx: RunContext,
    *,
    action_ids: Iterable[str],
    digest: Mapping[str, object] | None,
    environ: Mapping[str, str],
) -> str:
    """Post new proposals (and the digest) to Slack; return a short account for the log."""
    slack = SlackChannel.from_settings(ctx.settings.slack, environ)
    if slack is None:
        return "off"
    posted, journeys = 0, set()
    try:
        for aid in action_ids:
            card = proposal_card(ctx, action_id=aid)
            if card is not None:
                journeys.add(card.journey)
                posted += slack.post_proposal(card) is not None
        digests = slack.post_digest(digest, journeys) if digest is not None else 0
    except SlackError as exc:
        ctx.status(str(exc))
        return f"failed after {posted} post(s)"
    return f"{posted} proposal(s), {digests} digest(s)"
