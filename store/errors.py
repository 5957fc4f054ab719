"""Bad user input: the error that names file, line and field, and the limits input must keep."""

from __future__ import annotations

import datetime as dt
import difflib
from collections.abc import Iterable

from pydantic import BaseModel, ConfigDict, Field, model_validator


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


# Limits on what an input file may bring: the `[inputs]` table of config.toml.


class InputLimits(BaseModel):
    """What one events or insights file may contain."""

    model_config = ConfigDict(extra="forbid")

    # Rows dated later than now + this are refused (clock skew, time zones ahead of UTC).
    future_tolerance_hours: float = Field(default=36.0, ge=0)
    # Dimension columns one events file may bring (the warehouse keeps every one for good).
    max_dimension_columns: int = Field(default=64, ge=1)
    # Distinct values one dimension column may hold in one file (ids are not dimensions).
    max_distinct_values: int = Field(default=50_000, ge=2)
    # Longest line (header included) an events or insights file may have, in bytes.
    max_line_bytes: int = Field(default=1_000_000, ge=1024)
    # Survey scales: a score outside them is refused with its file, line and field.
    csat_scale: tuple[float, float] = (1.0, 5.0)
    nps_scale: tuple[float, float] = (0.0, 10.0)

    @model_validator(mode="after")
    def _ordered_scales(self) -> InputLimits:
        for name in ("csat_scale", "nps_scale"):
            low, high = getattr(self, name)
            if low >= high:
                raise ValueError(f"{name}: the lower end must be below the upper end")
        return self

    def latest_allowed(self, now: dt.datetime) -> dt.datetime:
        """Return the latest timestamp a row may carry when ingested at `now`."""
        return now + dt.timedelta(hours=self.future_tolerance_hours)

    def ranges(self) -> dict[str, tuple[float | None, float | None]]:
        """Return each measure column's allowed (low, high); None is unbounded."""
        return {
            "duration_s": (0.0, None),
            "cost": (0.0, None),
            "contacts": (0.0, None),
            "transfers": (0.0, None),
            "csat": self.csat_scale,
            "nps": self.nps_scale,
        }
