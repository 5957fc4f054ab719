"""Limits on what an input file may bring: the `[inputs]` table of config.toml.

Events and insights files are untrusted. These limits keep one file from moving the scan's
default window (future-dated rows), from writing impossible measures, and from widening
the warehouse or exhausting memory (columns, distinct values, line sizes).
"""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field, model_validator


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
