"""Chat graph state: plain JSON (messages as dicts), so any SQL checkpointer stores it as is."""

from __future__ import annotations

import operator
from typing import Annotated, Any, TypedDict


class ChatState(TypedDict, total=False):
    """One conversation: its messages and what the current turn has done."""

    messages: Annotated[list[dict[str, Any]], operator.add]
    turn_start: int
    steps: int
    retried: bool
    answer: str
    grounded: bool
    known: dict[str, str]
    offered: list[dict[str, Any]]
    proposed: Annotated[list[str], operator.add]
    events: Annotated[list[str], operator.add]
    tools_called: list[str]
