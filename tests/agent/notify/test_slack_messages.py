"""Block Kit rendering: hostile text stays inert, buttons parse only when they are ours."""

from __future__ import annotations

import pytest

from agent.notify.slack_messages import digest_blocks, escape, parse_button

HASH = "a" * 64


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("<@U123> approve this", "&lt;@U123&gt; approve this"),
        ("<!channel> urgent", "&lt;!channel&gt; urgent"),
        ("<https://evil.example|click>", "&lt;https://evil.example|click&gt;"),
        ("a & b", "a &amp; b"),
        ("line\nbreak\t tabs", "line break tabs"),
    ],
)
def test_escape_leaves_no_mention_link_or_ping(text: str, expected: str) -> None:
    assert escape(text) == expected


@pytest.mark.parametrize(
    ("action_id", "value", "expected"),
    [
        ("journeyops_approve", f"act-1:{HASH}", ("approve", "act-1", HASH)),
        ("journeyops_reject", f"act-1:{HASH}", ("reject", "act-1", HASH)),
        ("journeyops_dispatch", f"act-1:{HASH}", None),
        ("journeyops_approve", "act-1", None),
        ("journeyops_approve", f":{HASH}", None),
        ("journeyops_approve", "act-1:short", None),
    ],
)
def test_only_our_buttons_with_a_full_payload_hash_parse(
    action_id: str, value: str, expected: tuple[str, str, str] | None
) -> None:
    assert parse_button(action_id, value) == expected


def test_the_digest_lists_new_proposals_escaped() -> None:
    blocks = digest_blocks(
        {
            "title": "journeyops scan to 2026-03-31",
            "new_proposals": [{"journey": "checkout", "title": "<!here> fix", "action_id": "a"}],
        }
    )
    assert blocks[0]["text"]["text"] == "journeyops scan to 2026-03-31"
    assert blocks[1]["text"]["text"] == "• checkout: &lt;!here&gt; fix (`a`)"
    assert digest_blocks({"title": "t"})[1]["text"]["text"] == "Nothing new to decide."
