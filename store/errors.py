"""Errors raised by the store for bad user input (events, insights, journeys files)."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class InputError(Exception):
    """A user-supplied file or value is invalid; names the file, position and field.

    `line` is a text line number (CSV, JSONL, TOML); `row` is a 1-based record number for
    formats without lines (Parquet). `str()` reads like a compiler message, e.g.
    ``events.csv:17: field 'ts': not an ISO-8601 timestamp ('2026-13-01')``.
    """

    def __init__(
        self,
        file: str,
        line: int | None,
        field: str | None,
        reason: str,
        *,
        row: int | None = None,
    ) -> None:
        self.file = file
        self.line = line
        self.field = field
        self.reason = reason
        self.row = row
        super().__init__(str(self))

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where = f"{where}:{self.line}"
        elif self.row is not None:
            where = f"{where}: row {self.row}"
        field = f" field '{self.field}':" if self.field is not None else ""
        return f"{where}:{field} {self.reason}"

    def __reduce__(self) -> tuple[object, ...]:
        # Rebuild with the same arguments so the error survives pickling (e.g. xdist).
        return (_rebuild, (self.file, self.line, self.field, self.reason, self.row))


def _rebuild(
    file: str, line: int | None, field: str | None, reason: str, row: int | None
) -> InputError:
    return InputError(file, line, field, reason, row=row)


def unknown_name(argument: str, kind: str, value: str, known: Iterable[str]) -> InputError:
    """Return the error for a name that is not known, suggesting the closest known ones.

    E.g. ``--journey: unknown journey 'mortgage'; did you mean 'mortgages'? (known: …)``.
    """
    names = sorted(set(known))
    close = difflib.get_close_matches(value, names, n=3, cutoff=0.5)
    hint = f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
    listing = ", ".join(names[:20]) + (", …" if len(names) > 20 else "")
    return InputError(
        argument, None, None, f"unknown {kind} {value!r}{hint} (known: {listing or 'none'})"
    )


class WarehouseBusyError(Exception):
    """Another process held the warehouse file for longer than this one may wait."""

    def __init__(self, path: object, holder: str, waited_s: float) -> None:
        self.holder = holder
        super().__init__(
            f"warehouse {path} is held by {holder}; gave up after {waited_s:g} s "
            "(retry, or raise [warehouse] lock_wait_s)"
        )
