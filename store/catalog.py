"""Metric catalog types: every metric is a ratio of sums over event columns.

Ratios of sums keep every metric decomposable by dimension: the numerator and the
denominator of any segment are sums of the same terms over its leaves.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

_IDENT = r"[a-z_][a-z0-9_]*"
_TERM = re.compile(
    rf"^(?:(?P<rows>visits)|count:(?P<count>{_IDENT})|(?P<wcol>{_IDENT})\s*(?P<op>>=|<=|>|<|=)\s*(?P<thr>-?\d+(?:\.\d+)?)|(?P<sum>{_IDENT}))$"
)


class Term(BaseModel):
    """One side of a metric ratio, parsed from the catalog's small term language.

    `visits` counts rows; `count:col` counts rows where `col` is present; `col>1` counts
    rows meeting the condition (rows where `col` is absent do not count); `col` sums it.
    """

    model_config = ConfigDict(frozen=True)

    kind: Literal["rows", "count", "where", "sum"]
    column: str | None = None
    op: Literal[">", ">=", "<", "<=", "="] | None = None
    threshold: float | None = None

    @classmethod
    def parse(cls, text: str) -> Term:
        """Parse a term such as `visits`, `completed`, `count:csat` or `contacts>1`."""
        m = _TERM.match(text.strip())
        if m is None:
            raise ValueError(
                f"invalid term {text!r}: use `visits`, a column name, `count:COLUMN` or "
                "`COLUMN>NUMBER`"
            )
        if m["rows"]:
            return cls(kind="rows")
        if m["count"]:
            return cls(kind="count", column=m["count"])
        if m["wcol"]:
            return cls(kind="where", column=m["wcol"], op=m["op"], threshold=float(m["thr"]))
        return cls(kind="sum", column=m["sum"])

    @property
    def text(self) -> str:
        """Return the canonical source form of the term."""
        if self.kind == "rows":
            return "visits"
        if self.kind == "count":
            return f"count:{self.column}"
        if self.kind == "where":
            thr = self.threshold if self.threshold is None else f"{self.threshold:g}"
            return f"{self.column}{self.op}{thr}"
        return str(self.column)


class MetricDef(BaseModel):
    """A metric of the catalog: Σnumerator / Σdenominator, a direction and a money model."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = ""
    label: str
    numerator: Term
    denominator: Term
    direction: Literal["higher", "lower"]
    unit: str = ""
    unit_value: float = Field(
        ge=0,
        description="Money per visit for a one-unit change of the metric (fallback when "
        "`unit_value_column` is absent from the data).",
    )
    unit_value_column: str | None = Field(
        default=None,
        description="Column whose mean per visit gives the money per unit of change "
        "(e.g. order value).",
    )
    min_effect: float = Field(
        default=0.0, ge=0, description="Smallest absolute change worth reporting, in metric units."
    )

    @field_validator("numerator", "denominator", mode="before")
    @classmethod
    def _parse_term(cls, v: object) -> object:
        return Term.parse(v) if isinstance(v, str) else v

    @property
    def columns(self) -> set[str]:
        """Return the event columns this metric needs; absent columns skip the metric."""
        return {t.column for t in (self.numerator, self.denominator) if t.column is not None}

    def worse(self, baseline: float, current: float) -> bool:
        """Return whether moving from `baseline` to `current` is a degradation."""
        return current < baseline if self.direction == "higher" else current > baseline
