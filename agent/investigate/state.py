"""Graph state: facts and references only (it is checkpointed), never frames or clients.

`InvestigationState` is what the graph holds; `InvestigationUpdate` is what a node
returns: the same keys, each optional, so a misspelt key fails mypy.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from typing import TypedDict

from pydantic import BaseModel, Field, model_validator

from store.findings import Breakdown, Incident, Suppressed


class InvestigationState(BaseModel):
    """What one investigation (a scan, or one question) knows so far."""

    as_of: dt.date | None = None
    journey: str | None = None
    stage: str | None = None
    metric: str | None = None
    shard: Shard | None = None
    series_tested: int = 0
    breakdowns: list[Breakdown] = []
    incidents: list[Incident] = []
    suppressed: list[Suppressed] = []
    proposed: list[str] = []
    existing: list[str] = []
    notices: list[str] = []


class InvestigationUpdate(TypedDict, total=False):
    """The keys of `InvestigationState` a node changes, with the same types."""

    as_of: dt.date | None
    journey: str | None
    stage: str | None
    metric: str | None
    shard: Shard | None
    series_tested: int
    breakdowns: list[Breakdown]
    incidents: list[Incident]
    suppressed: list[Suppressed]
    proposed: list[str]
    existing: list[str]
    notices: list[str]


# Which journeys one of n scan workers owns (`journeyops scan --shard i/n`).

_FORM = re.compile(r"^\s*(\d+)\s*/\s*(\d+)\s*$")


class Shard(BaseModel):
    """Shard `index` (1-based) of `count`."""

    index: int = Field(ge=1)
    count: int = Field(ge=1)

    @model_validator(mode="after")
    def _in_range(self) -> Shard:
        if self.index > self.count:
            raise ValueError(f"shard {self.index} of {self.count} does not exist")
        return self

    @classmethod
    def parse(cls, text: str) -> Shard:
        """Read "i/n" (1 ≤ i ≤ n); raise ValueError with a one-line reason otherwise."""
        match = _FORM.match(text)
        if match is None:
            raise ValueError(f"expected i/n such as 1/4, got {text!r}")
        index, count = int(match.group(1)), int(match.group(2))
        if not 1 <= index <= count:
            raise ValueError(f"expected 1 ≤ i ≤ n in i/n, got {text!r}")
        return cls(index=index, count=count)

    def owns(self, journey: str) -> bool:
        """Return whether this shard scans the journey."""
        digest = hashlib.sha256(journey.encode("utf-8")).digest()
        return int.from_bytes(digest[:8], "big") % self.count == self.index - 1

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"
