"""Chat graph state: plain JSON (messages as dicts), so any SQL checkpointer stores it as is.

Nodes return `ChatState` too (it is `total=False`, so a node names only the keys it
changes), which lets mypy catch a misspelt key.
"""

from __future__ import annotations

import operator
from typing import Annotated, Any, TypedDict


class Offer(TypedDict):
    """A fix the last answer offered, numbered as shown, for `/propose N`."""

    n: int
    breakdown_id: str
    playbook: str
    title: str


class ChatState(TypedDict, total=False):
    """One conversation: its messages and what the current turn has done."""

    messages: Annotated[list[dict[str, Any]], operator.add]
    turn_start: int
    steps: int
    retried: bool
    answer: str
    grounded: bool
    known: dict[str, str]
    offered: list[Offer]
    proposed: Annotated[list[str], operator.add]
    events: Annotated[list[str], operator.add]
    tools_called: list[str]
