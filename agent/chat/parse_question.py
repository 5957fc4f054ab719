"""Offline understanding of a journey owner's question: journey, stage, metric and window.

Names are matched fuzzily against the catalog (journeys and stages from the store, metrics
from the config, with their common synonyms); relative dates resolve against the newest
day of data, so "last week" means the last full window the warehouse has.
"""

from __future__ import annotations

import datetime as dt
import difflib
import itertools
import re
from collections.abc import Mapping, Sequence

from pydantic import BaseModel

_METRIC_WORDS: dict[str, tuple[str, ...]] = {
    "conversion": (
        "conversion",
        "convert",
        "converting",
        "completion",
        "success rate",
        "drop off",
        "dropoff",
        "abandon",
        "funnel",
    ),
    "duration": (
        "duration",
        "time to resolution",
        "resolution time",
        "slow",
        "slower",
        "time in stage",
        "took longer",
        "handling time",
        "wait",
    ),
    "csat": ("csat", "satisfaction", "satisfied", "happy", "unhappy", "survey score"),
    "nps": ("nps", "net promoter", "recommend"),
    "repeat_contact_rate": (
        "repeat contact",
        "repeat contacts",
        "call back",
        "called again",
        "contacts again",
        "recontact",
    ),
    "transfer_rate": ("transfer", "transfers", "transferred", "handoff"),
    "cost_to_serve": ("cost to serve", "cost", "expensive", "costs"),
}
_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_MONTHS = (
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
)


class Question(BaseModel):
    """What the offline planner understood; unset fields were not named."""

    journey: str | None = None
    stage: str | None = None
    metric: str | None = None
    as_of: dt.date | None = None
    window_days: int | None = None

    @property
    def understood(self) -> bool:
        return any((self.journey, self.stage, self.metric))


def parse_question(
    text: str,
    *,
    journeys: Mapping[str, Sequence[str]],
    metrics: Sequence[str],
    today: dt.date,
    default_window: int = 7,
) -> Question:
    """Return the journey, stage, metric and time window a question names, if any."""
    words = _tokens(text)
    lowered = " ".join(words)
    journey, stage = _match_place(words, journeys)
    metric = _match_metric(lowered, metrics)
    as_of, window = _match_window(lowered, today, default_window)
    return Question(journey=journey, stage=stage, metric=metric, as_of=as_of, window_days=window)


def _tokens(text: str) -> list[str]:
    return re.findall(r"[a-z0-9_\-.]+", text.lower())


def _similar(word: str, name: str) -> bool:
    """Equal, or a typo of a word of five letters or more ("rest" is not "reset")."""
    variants = {name, name.replace("_", " "), name.replace("_", ""), name.replace("-", "")}
    return any(
        word == v or (len(word) >= 5 and difflib.SequenceMatcher(None, word, v).ratio() >= 0.82)
        for v in variants
    )


def _match_place(
    words: list[str], journeys: Mapping[str, Sequence[str]]
) -> tuple[str | None, str | None]:
    grams = words + [f"{a}_{b}" for a, b in itertools.pairwise(words)]
    journey = next((j for j in journeys for g in grams if _similar(g, j)), None)
    if journey is None:
        # Parts of a journey id also count ("claim" for insurance_claim, "dispute").
        journey = next(
            (
                j
                for j in journeys
                for g in words
                for part in j.split("_")
                if len(part) > 4 and _similar(g, part)
            ),
            None,
        )
    candidates = [journey] if journey else list(journeys)
    for j in candidates:
        assert j is not None
        for s in journeys[j]:
            if any(_similar(g, s) for g in grams) or any(
                len(part) > 4 and _similar(g, part) for g in words for part in s.split("_")
            ):
                return j, s
    return journey, None


def _match_metric(lowered: str, metrics: Sequence[str]) -> str | None:
    best: tuple[int, str] | None = None
    for name in metrics:
        for phrase in (*_METRIC_WORDS.get(name, ()), name.replace("_", " ")):
            pos = lowered.find(phrase)
            if pos >= 0 and (best is None or len(phrase) > best[0]):
                best = (len(phrase), name)
    return best[1] if best else None


def _match_window(lowered: str, today: dt.date, default: int) -> tuple[dt.date | None, int | None]:
    if "yesterday" in lowered:
        return today - dt.timedelta(days=1), 1
    if "today" in lowered:
        return today, 1
    m = re.search(r"last (\d+) days", lowered)
    if m:
        return today, int(m.group(1))
    if "last week" in lowered or "past week" in lowered or "this week" in lowered:
        return today, default
    if "last month" in lowered or "past month" in lowered:
        return today, 28
    m = re.search(r"(\d{4}-\d{2}-\d{2})", lowered)
    if m:
        return dt.date.fromisoformat(m.group(1)), default
    for i, day in enumerate(_WEEKDAYS):
        if f"on {day}" in lowered or f"last {day}" in lowered:
            back = (today.weekday() - i) % 7 or 7
            return today - dt.timedelta(days=back), 1
    for i, month in enumerate(_MONTHS, start=1):
        if f"in {month}" in lowered:
            year = today.year if i <= today.month else today.year - 1
            last = (dt.date(year + (i == 12), i % 12 + 1, 1)) - dt.timedelta(days=1)
            return min(last, today), 28
    return None, None
