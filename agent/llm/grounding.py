"""Grounding guard: a model-written answer may only state numbers and ids its tools returned.

Numbers are compared after rounding to the precision the answer wrote them with, in the
units a reader would expect (a rate 0.621 may be written 62.1 %; 12345.6 may be 12,346).
Small counting numbers (0-10) and numbers the user wrote are always allowed. ISO dates
must appear verbatim in the sources; bracketed citations must name ids the tools returned.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable, Iterator

from pydantic import BaseModel

log = logging.getLogger("journeyops.grounding")

_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")
_CITATION = re.compile(r"\[([A-Za-z][A-Za-z0-9_.:\-]*\d[A-Za-z0-9_.:\-]*)\]")
_ID = re.compile(r"\b(?:ins|bd|act|theme)-[A-Za-z0-9_\-]+")
_NUMBER = re.compile(
    r"(?<![\w.\-])(?P<sign>[-−–])?(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)"
    r"(?P<exp>[eE][-+]?\d+)?(?![\w])"
)
_ALWAYS_OK = 10.0
_ID_KEYS = {"id", "breakdown_id", "action_id", "insight_ids"}


class GroundingReport(BaseModel):
    """What the guard found: numbers and citations without a source in the tool results."""

    ungrounded_numbers: list[str] = []
    unknown_ids: list[str] = []
    undated: list[str] = []

    @property
    def ok(self) -> bool:
        return not (self.ungrounded_numbers or self.unknown_ids or self.undated)

    def describe(self) -> str:
        parts = []
        if self.ungrounded_numbers:
            parts.append("numbers not in any tool result: " + ", ".join(self.ungrounded_numbers))
        if self.undated:
            parts.append("dates not in any tool result: " + ", ".join(self.undated))
        if self.unknown_ids:
            parts.append("cited ids no tool returned: " + ", ".join(self.unknown_ids))
        return "; ".join(parts)


class Sources:
    """Every number, date and id the tools of one run returned (plus what the user wrote)."""

    def __init__(self) -> None:
        self.values: list[float] = []
        self.texts: list[str] = []
        self.ids: set[str] = set()

    def add(self, item: object, *, key: str = "") -> None:
        """Add a tool result (any JSON-like value) to the sources."""
        if isinstance(item, dict):
            for k, v in item.items():
                self.add(v, key=str(k))
        elif isinstance(item, list | tuple):
            for v in item:
                self.add(v, key=key)
        elif isinstance(item, bool) or item is None:
            return
        elif isinstance(item, int | float):
            self.values.append(float(item))
            self.texts.append(json.dumps(item))
        else:
            text = str(item)
            self.texts.append(text)
            self.values.extend(v for _, v, _ in _numbers(text))
            if key in _ID_KEYS:
                self.ids.add(text)
            self.ids.update(_ID.findall(text))
            self.ids.update(re.findall(r'id="([^"]+)"', text))

    def add_text(self, text: str) -> None:
        """Add free text (the user's own words) whose numbers are fair to repeat."""
        self.add(text)

    def grounded(self, value: float, decimals: int) -> bool:
        """Return whether some source value, in some natural unit, rounds to `value`."""
        if abs(value) <= _ALWAYS_OK and float(value).is_integer():
            return True
        tol = 0.5 * 10.0**-decimals + 1e-9
        for v in self.values:
            for c in (v, v * 100, v / 100):
                if abs(abs(c) - abs(value)) <= tol:
                    return True
        return False


def check(answer: str, sources: Sources) -> GroundingReport:
    """Return every number, date and citation in `answer` that the sources do not back."""
    report = GroundingReport()
    joined = "\n".join(sources.texts)
    for date in _DATE.findall(answer):
        if date not in joined:
            report.undated.append(date)
    for cited in _CITATION.findall(answer):
        if cited not in sources.ids:
            report.unknown_ids.append(cited)
    stripped = _ID.sub(" ", _DATE.sub(" ", answer))
    stripped = _CITATION.sub(" ", stripped)
    for raw, value, decimals in _numbers(stripped):
        if not sources.grounded(value, decimals) and raw not in report.ungrounded_numbers:
            report.ungrounded_numbers.append(raw)
    if not report.ok:
        log.warning("ungrounded answer: %s", report.describe())
    return report


def _numbers(text: str) -> Iterator[tuple[str, float, int]]:
    for m in _NUMBER.finditer(text):
        num = m["num"].replace(",", "")
        decimals = len(num.split(".")[1]) if "." in num else 0
        value = float(num + (m["exp"] or ""))
        if m["exp"]:
            decimals = max(decimals - int(m["exp"][1:]), 0)
        yield m.group(0), (-value if m["sign"] else value), decimals


def sources_from(results: Iterable[object], user_texts: Iterable[str] = ()) -> Sources:
    """Build sources from tool results and the user's messages."""
    src = Sources()
    for r in results:
        src.add(r)
    for t in user_texts:
        src.add_text(t)
    return src
