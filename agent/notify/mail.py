"""Digests and weekly reviews by email: HTML inline with a plain-text alternative, over SMTP.

The password comes only from the environment variable `[email] password_env` names;
with no `[email] host` email is off. Recipients are chosen per journey (`default` for
the rest). Subjects are flattened to one line, so no field can inject a header; the HTML
comes from the autoescaped report templates.
"""

from __future__ import annotations

import datetime as dt
import html
import smtplib
import ssl
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from email.message import EmailMessage

from agent.config import EmailSettings
from agent.context import RunContext
from agent.reports.weekly import build_weekly
from agent.reports.weekly_files import render_html, render_markdown


class MailError(Exception):
    """The SMTP server refused or could not be reached; the message says which step."""


@dataclass(frozen=True)
class Mailer:
    """An SMTP sender bound to the [email] settings."""

    settings: EmailSettings
    password: str

    @classmethod
    def from_settings(cls, settings: EmailSettings, environ: Mapping[str, str]) -> Mailer | None:
        """Return the mailer, or None when email is off (no host or no sender)."""
        if not settings.host or not settings.sender:
            return None
        return cls(settings, environ.get(settings.password_env, ""))

    def recipients(self, journeys: Iterable[str]) -> list[str]:
        """Return the addresses for these journeys (each journey's list, else the default)."""
        table, default = self.settings.recipients, self.settings.recipients.get("default", [])
        chosen = [table.get(j) or default for j in journeys] or [default]
        return sorted({a for addresses in chosen for a in addresses})

    def send(self, *, to: Sequence[str], subject: str, text: str, body_html: str) -> None:
        """Send one message with a plain-text body and an inline HTML alternative."""
        message = EmailMessage()
        message["From"] = self.settings.sender
        message["To"] = ", ".join(to)
        message["Subject"] = " ".join(subject.split())[:200]
        message.set_content(text)
        message.add_alternative(body_html, subtype="html")
        s = self.settings
        try:
            with smtplib.SMTP(s.host, s.port, timeout=s.timeout_s) as smtp:
                if s.starttls:
                    smtp.starttls(context=ssl.create_default_context())
                if s.username:
                    smtp.login(s.username, self.password)
                smtp.send_message(message)
        except (smtplib.SMTPException, OSError) as exc:
            raise MailError(f"email to {s.host}:{s.port}: {exc}") from None


def digest_html(digest: Mapping[str, object]) -> str:
    """Return the scan digest as a small escaped HTML page."""
    title = html.escape(str(digest.get("title", "journeyops digest")))
    raw = digest.get("new_proposals")
    rows = [
        f"<li>{html.escape(str(p.get('journey', '')))}: {html.escape(str(p.get('title', '')))} "
        f"(<code>{html.escape(str(p.get('action_id', '')))}</code>)</li>"
        for p in (raw if isinstance(raw, list) else [])
        if isinstance(p, dict)
    ]
    items = f"<ul>{''.join(rows)}</ul>" if rows else "<p>Nothing new to decide.</p>"
    return f"<!doctype html><html><body><h1>{title}</h1>{items}</body></html>"


def email_digest(
    ctx: RunContext, *, digest: Mapping[str, object], environ: Mapping[str, str]
) -> str:
    """Email the scan digest to the recipients of its journeys; return a short account."""
    mailer = Mailer.from_settings(ctx.settings.email, environ)
    if mailer is None:
        return "off"
    raw = digest.get("new_proposals")
    journeys = [
        str(p.get("journey")) for p in (raw if isinstance(raw, list) else []) if isinstance(p, dict)
    ]
    to = mailer.recipients(journeys)
    if not to:
        return "no recipients"
    title = str(digest.get("title", "journeyops digest"))
    text = f"{title}\n\n{digest.get('summary', '')}\n"
    try:
        mailer.send(to=to, subject=title, text=text, body_html=digest_html(digest))
    except MailError as exc:
        ctx.status(str(exc))
        return "failed"
    return f"sent to {len(to)}"


def email_weekly(
    ctx: RunContext, *, as_of: dt.date | None, environ: Mapping[str, str]
) -> list[str]:
    """Email each journey's weekly review to its recipients; return one line per journey."""
    mailer = Mailer.from_settings(ctx.settings.email, environ)
    if mailer is None:
        raise MailError("email is off: set [email] host and sender in config.toml")
    lines = []
    for week in build_weekly(ctx, as_of=as_of):
        to = mailer.recipients([week.journey])
        if not to:
            lines.append(f"{week.journey}: no recipients")
            continue
        subject = f"Weekly review: {week.name} ({week.week_start} to {week.as_of})"
        mailer.send(to=to, subject=subject, text=render_markdown(week), body_html=render_html(week))
        lines.append(f"{week.journey}: sent to {', '.join(to)}")
    return lines
