"""A real SMTP server on 127.0.0.1 (aiosmtpd) that keeps every message it accepts."""

from __future__ import annotations

import socket
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage
from types import TracebackType

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session


@dataclass(frozen=True)
class Received:
    sender: str
    recipients: list[str]
    message: EmailMessage


class _Capture:
    def __init__(self) -> None:
        self.received: list[Received] = []

    async def handle_DATA(self, _server: SMTP, _session: Session, envelope: Envelope) -> str:
        content = envelope.original_content or b""
        parsed = message_from_bytes(content, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        self.received.append(
            Received(str(envelope.mail_from), [str(r) for r in envelope.rcpt_tos], parsed)
        )
        return "250 Message accepted for delivery"


class SmtpServer:
    """Use as a context manager; `received` lists what was delivered."""

    def __init__(self) -> None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port: int = s.getsockname()[1]
        self._capture = _Capture()
        self._controller = Controller(self._capture, hostname="127.0.0.1", port=self.port)

    @property
    def received(self) -> list[Received]:
        return self._capture.received

    def __enter__(self) -> SmtpServer:
        self._controller.start()
        return self

    def __exit__(
        self,
        _type: type[BaseException] | None,
        _value: BaseException | None,
        _tb: TracebackType | None,
    ) -> None:
        self._controller.stop()
