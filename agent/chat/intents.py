"""What a turn asks for beyond "investigate this": follow-ups, comparisons, other windows.

The offline planner reads these from the (translated) question and from the conversation
so far: which breakdown "it" is, which window "the week before" is relative to.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Literal

from agent.chat.tools.breakdowns import BreakdownSummary, Causes, Detection
from agent.chat.tools.registry import ToolOutcome

Intent = Literal["evidence", "fix", "compare"]

_EVIDENCE = re.compile(
    r"\b(customers? (say|said|saying|think|complain\w*|write|wrote|tell)|"
    r"(people|users) (say|said|think)|quotes?|verbatims?|feedback|complaints?|evidence)\b"
)
_FIX = re.compile(
    r"\b((which|what|best|top) (fix|fixes|solution|action|playbook)|fix (first|to start)|"
    r"which one first|why (this|that) fix|what should (we|i) do( first)?|prioriti[sz]e)\b"
)
_COMPARE = re.compile(r"\b(compare|comparison|versus|vs\.?|difference between)\b")
_WEEK_BEFORE = re.compile(
    r"\b(week before|previous week|prior week|week earlier|the week prior|a week earlier)\b"
)
_PERIOD_WORDS = re.compile(
    r"\b(week|weeks|month|months|period|periods|before|earlier|previous|yesterday|today)\b"
    r"|\d{4}-\d{2}-\d{2}"
)


def intent_of(text: str) -> Intent | None:
    """Return the follow-up a (translated, lowercase) question asks for, if any."""
    if _COMPARE.search(text):
        return "compare"
    if _FIX.search(text):
        return "fix"
    if _EVIDENCE.search(text):
        return "evidence"
    return None


def asks_week_before(text: str) -> bool:
    """Return whether the question moves to the week before the one discussed."""
    return bool(_WEEK_BEFORE.search(text))


def compares_periods(text: str) -> bool:
    """Return whether a comparison is between windows of time (else between segments)."""
    return bool(_PERIOD_WORDS.search(text))


def focus(outcomes: Sequence[ToolOutcome]) -> BreakdownSummary | None:
    """Return the breakdown the conversation is about: the last one explained, else found."""
    detections = [o.result for o in outcomes if isinstance(o.result, Detection)]
    explained = [o.result.breakdown_id for o in outcomes if isinstance(o.result, Causes)]
    summaries = {b.breakdown_id: b for d in detections for b in d.breakdowns}
    for bid in reversed(explained):
        if bid in summaries:
            return summaries[bid]
    for d in reversed(detections):
        if d.breakdowns:
            return d.breakdowns[0]
    return None


def last_window_end(outcomes: Sequence[ToolOutcome]) -> str | None:
    """Return the last day of the window the conversation last looked at (ISO date)."""
    for o in reversed(outcomes):
        if isinstance(o.result, Detection):
            return o.result.as_of.isoformat()
    return None
