"""Digests and weekly reviews by email, delivered to a real local SMTP server."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest

from agent.config import EmailSettings, Settings
from agent.notify.mail import MailError, email_digest, email_weekly
from tests.agent.notify.conftest import Seeded
from tests.support.smtp import SmtpServer

DIGEST: dict[str, object] = {
    "kind": "digest",
    "title": "journeyops scan to 2026-03-31: 1 breakdown(s), 1 new proposal(s)",
    "summary": "- checkout: Roll back <b>now</b> (act-1)",
    "new_proposals": [
        {"action_id": "act-1", "journey": "checkout", "title": "Roll back <b>now</b>"}
    ],
}


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    with SmtpServer() as server:
        yield server


def _mail(seeded: Seeded, smtp: SmtpServer, *, starttls: bool = False) -> Settings:
    email = EmailSettings(
        host="127.0.0.1",
        port=smtp.port,
        sender="journeyops@example.com",
        recipients={"checkout": ["council@example.com", "maria@example.com"]},
        starttls=starttls,
    )
    seeded.ctx.settings = seeded.ctx.settings.model_copy(update={"email": email})
    return seeded.ctx.settings


def test_the_digest_goes_to_the_journey_recipients_as_html_and_text(
    seeded: Seeded, smtp: SmtpServer
) -> None:
    _mail(seeded, smtp)
    assert email_digest(seeded.ctx, digest=DIGEST, environ={}) == "sent to 2"

    (got,) = smtp.received
    assert got.sender == "journeyops@example.com"
    assert got.recipients == ["council@example.com", "maria@example.com"]
    assert got.message["Subject"] == DIGEST["title"]
    html = got.message.get_body(("html",))
    text = got.message.get_body(("plain",))
    assert html is not None and text is not None
    assert "Roll back &lt;b&gt;now&lt;/b&gt;" in html.get_content()
    assert "<b>now</b>" not in html.get_content()
    assert "act-1" in text.get_content()


def test_the_weekly_review_is_mailed_per_journey_with_the_report_inline(
    seeded: Seeded, smtp: SmtpServer
) -> None:
    _mail(seeded, smtp)
    lines = email_weekly(seeded.ctx, as_of=dt.date(2026, 4, 1), environ={})

    assert lines == ["checkout: sent to council@example.com, maria@example.com"]
    (got,) = smtp.received
    assert got.message["Subject"].startswith("Weekly review: ")
    html = got.message.get_body(("html",))
    assert html is not None
    body = html.get_content()
    assert "What broke" in body and "Funding case" in body
    assert "<script>alert" not in body


def test_email_is_off_without_a_host_and_a_refusing_server_is_a_readable_failure(
    seeded: Seeded, smtp: SmtpServer
) -> None:
    assert email_digest(seeded.ctx, digest=DIGEST, environ={}) == "off"
    with pytest.raises(MailError, match="email is off"):
        email_weekly(seeded.ctx, as_of=None, environ={})
    # This local server offers no STARTTLS, so a config that requires it fails plainly.
    _mail(seeded, smtp, starttls=True)
    assert email_digest(seeded.ctx, digest=DIGEST, environ={}) == "failed"
    assert smtp.received == []
