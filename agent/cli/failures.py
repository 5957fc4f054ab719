"""One-line descriptions of failures no command expects: locked or corrupted stores, full disks.

`main` prints these instead of a traceback (which `--debug` shows). The driver's own
message is kept to its first line, with the cause in words a user can act on.
"""

from __future__ import annotations

import errno
import re

_LOCKED = re.compile(r"could not set lock|database is locked|conflicting lock", re.I)
_CORRUPT = re.compile(
    r"not a valid duckdb|file is not a database|database disk image is malformed|"
    r"corrupt|checksum|serializ|unable to open database|no such table",
    re.I,
)
_FULL = re.compile(r"disk is full|no space left", re.I)
_FILE = re.compile(r'(?:file|database) "?([^"\s]+\.(?:duckdb|sqlite3?|db))"?', re.I)


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in seen:
        seen.append(current)
        orig = getattr(current, "orig", None)
        current = orig if isinstance(orig, BaseException) else current.__cause__
    return seen


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0].strip() if text else type(exc).__name__


def describe_failure(exc: BaseException) -> str:
    """Return one line saying what failed and what to do about it."""
    chain = _chain(exc)
    deepest = chain[-1]
    message = " ".join(_first_line(e) for e in chain)
    where = _FILE.search(message)
    name = f" ({where.group(1)})" if where else ""
    if _LOCKED.search(message):
        return (
            f"a database{name} is locked by another process; retry when it finishes, "
            "or stop the process holding it"
        )
    if (isinstance(deepest, OSError) and deepest.errno == errno.ENOSPC) or _FULL.search(message):
        return f"no space left on the device{name}: free some space and retry"
    if _CORRUPT.search(message) and type(deepest).__module__.startswith(
        ("duckdb", "_duckdb", "sqlite3", "psycopg", "sqlalchemy")
    ):
        return (
            f"a database file{name} is corrupted or not a database: "
            f"{_first_line(deepest)[:200]}; restore it from a backup or point --home elsewhere"
        )
    if isinstance(deepest, OSError) and deepest.strerror:
        target = f": {deepest.filename}" if deepest.filename else ""
        return f"{deepest.strerror}{target}"
    return f"{type(deepest).__name__}: {_first_line(deepest)[:300]}"
