"""The audit chain's key and its head anchored outside the store.

The key turns each event's hash into an HMAC, so that someone who can write the database
but does not hold the key cannot append, edit or re-chain events that verify. The anchor
is a small file outside the database holding the newest committed event's `seq hash`; it
only ever moves forward (under an exclusive file lock), and `verify_chain` reports a chain
that no longer contains it, i.e. newest events deleted. Both travel with the session
factory (`store.db.session_factory(engine, audit=...)`) in `Session.info`.

Without a key (`UNKEYED`) events are chained with plain sha256, the format of stores that
predate keying; the chain then shows accidents, not forgeries.
"""

from __future__ import annotations

import fcntl
import os
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.orm import Session, sessionmaker

__all__ = [
    "UNKEYED",
    "AuditKeying",
    "advance_anchor",
    "install_anchor",
    "keying_of",
    "note_new_head",
    "read_anchor",
    "session_info",
]

_INFO = "journeyops_audit"
_PENDING = "journeyops_audit_pending_head"


@dataclass(frozen=True)
class AuditKeying:
    """The HMAC key of the chain (None: unkeyed sha256), where it came from, the anchor."""

    key: bytes | None
    source: str
    anchor: Path | None = None

    @property
    def keyed(self) -> bool:
        return self.key is not None


UNKEYED = AuditKeying(key=None, source="none (unkeyed sha256 chain)")


def keying_of(session: Session) -> AuditKeying:
    """Return the keying the session's factory was built with (UNKEYED if none)."""
    found = session.info.get(_INFO)
    return found if isinstance(found, AuditKeying) else UNKEYED


def session_info(keying: AuditKeying) -> dict[str, object]:
    """Return the `Session.info` entries that carry `keying`."""
    return {_INFO: keying}


def note_new_head(session: Session, *, seq: int, digest: str) -> None:
    """Remember the newest event of this transaction; the anchor moves when it commits."""
    session.info[_PENDING] = (seq, digest)


def install_anchor(factory: sessionmaker[Session], keying: AuditKeying) -> None:
    """Move the anchor after every commit that appended events; forget them on rollback."""
    anchor = keying.anchor
    if anchor is None:
        return

    def after_commit(session: Session) -> None:
        head = session.info.pop(_PENDING, None)
        if head is not None:
            advance_anchor(anchor, seq=head[0], digest=head[1])

    def after_rollback(session: Session) -> None:
        session.info.pop(_PENDING, None)

    event.listen(factory, "after_commit", after_commit)
    event.listen(factory, "after_rollback", after_rollback)


def read_anchor(path: Path) -> tuple[int, str] | None:
    """Return the anchored (seq, hash), or None when there is no anchor yet."""
    try:
        text = path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        return None
    seq, _, digest = text.partition(" ")
    if not seq.isdigit() or len(digest) != 64:
        # A damaged anchor must fail verification, never silently disable it.
        return (2**62, "unreadable anchor file " + str(path))
    return int(seq), digest


def advance_anchor(path: Path, *, seq: int, digest: str) -> None:
    """Write `seq hash` to the anchor unless it already holds a newer event."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    with os.fdopen(fd, "r+", encoding="ascii") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        current = fh.read().strip().partition(" ")[0]
        if current.isdigit() and int(current) >= seq:
            return
        fh.seek(0)
        fh.truncate()
        fh.write(f"{seq} {digest}\n")
        fh.flush()
        os.fsync(fh.fileno())
