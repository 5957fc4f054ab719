"""Which journeys one of n scan workers owns (`journeyops scan --shard i/n`).

A journey belongs to exactly one shard, by a stable hash of its id, so every worker agrees
without talking to the others, and a journey's breakdowns (and so its incidents) stay with
one worker. Proposal and breakdown ids derive from the breakdown, so the workers' rows merge
into the same set one scan would have filed.
"""

from __future__ import annotations

import hashlib
import re

from pydantic import BaseModel, Field, model_validator

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
