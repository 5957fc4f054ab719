"""Customer words for the demo: constant background themes plus incident surges."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import numpy as np

from evals.demo._events import VALUES
from evals.demo._journeys import JOURNEYS
from evals.demo.truth import Incident

BACKGROUND: dict[str, list[str]] = {
    "checkout": [
        "delivery took longer than promised",
        "love the product range",
        "prices went up again",
        "the coupon code did not apply",
        "site is easy to use",
        "payment options are limited",
        "wish there was gift wrapping",
        "search results are not relevant",
    ],
    "returns": [
        "the return label was easy to print",
        "refund arrived quickly",
        "drop-off point was closed",
        "returning sizes is a hassle",
    ],
    "insurance_claim": [
        "the claim form is long",
        "the agent was polite and helpful",
        "premium is too high",
        "uploading photos was easy",
        "I did not understand my coverage",
    ],
    "billing_dispute": [
        "my bill is confusing",
        "the refund took a while",
        "agent explained the charge well",
        "too many fees on my invoice",
        "I was charged twice once last year",
    ],
    "password_reset": [
        "password rules are annoying",
        "the reset email went to spam",
        "reset worked fine",
        "I forget my password every month",
        "two-factor codes arrive late",
    ],
}
OPENERS = ["", "Honestly, ", "Not happy: ", "FYI ", "Ugh, ", "Hi, ", "Feedback: "]
CLOSERS = ["", ".", "!", " Please fix.", " Very frustrating.", " Not acceptable.", " Thanks."]
SURGE: dict[str, tuple[list[str], list[str]]] = {
    "conversion": (
        [
            "my card was declined",
            "payment failed twice",
            "the pay button did nothing",
            "checkout kept spinning at the payment step",
            "got an error when paying",
            "the payment page froze",
            "could not complete my purchase, card rejected",
            "payment screen crashes",
        ],
        [
            "after updating the app",
            "since the latest app update",
            "on version {app_version}",
            "in the new app version {app_version}",
            "on the mobile app",
            "since yesterday's update",
        ],
    ),
    "duration": (
        [
            "my claim assessment is taking forever",
            "still waiting for the assessor",
            "no update on my claim for days",
            "the assessment is so slow",
            "it has been a week and no assessor called",
            "claim stuck in assessment",
        ],
        ["here in the {region}", "in my area", "", "and nobody answers", "compared to last time"],
    ),
    "csat": (
        [
            "the chat agent closed my dispute without fixing it",
            "had to contact you again about the same charge",
            "chat support did not resolve anything",
            "third time I message the chat about this bill",
            "the chat kept sending me in circles",
            "had to call back after the chat",
        ],
        ["", "still not sorted", "had to repeat everything", "nobody follows up", "waste of time"],
    ),
}
SOURCES = ["ticket", "survey", "review", "chat"]
# Off-topic complaints that reuse the words a keyword search for the incident would use
# (its metric, stage, problem words and segment values) but are about something else.
LOOKALIKE: dict[str, list[str]] = {
    "conversion": [
        "the app {app_version} dark mode is broken, small problem with contrast",
        "error in the address autocomplete, could not complete my street name",
        "the promo banner is stuck on the app screen",
        "currency conversion of prices is broken in the app",
        "the payment confirmation email has an error in my name",
        "problem with the app {app_version} font size, text looks broken",
    ],
    "duration": [
        "the waiting room music on the phone line is slow and annoying",
        "the assessment letter took forever to read, too much jargon",
        "parking at the {region} office is a problem, stuck in traffic",
        "no update to the app icon in ages, looks dated",
        "the time zone on my claim portal is wrong, delay shown in UTC",
    ],
    "csat": [
        "the chat window font is bad, frustrating to read",
        "the chat bot greeting sounds unhappy, bad experience but billing is fine",
        "contact details page in chat is hard to find, frustrating",
        "I could not resolve the chat window size on my phone",
        "chat transcript emails have a bad layout",
    ],
}


def _one(rng: np.random.Generator, text: str) -> str:
    return (
        OPENERS[rng.integers(len(OPENERS))] + text + CLOSERS[rng.integers(len(CLOSERS))]
    ).strip()


def _dims(rng: np.random.Generator, fixed: dict[str, str]) -> dict[str, str]:
    out = {d: str(v[rng.integers(len(v) - (d == "app_version"))]) for d, v in VALUES.items()}
    out.update(fixed)
    return out


def insights(
    rng: np.random.Generator,
    *,
    days: Sequence[dt.date],
    scale: float,
    incidents: Sequence[Incident],
) -> list[dict[str, object]]:
    """Return every insight of the demo, in time order; incidents get their evidence ids."""
    rows: list[dict[str, object]] = []
    per_day = max(1, round(90 * scale))
    for day in days:
        for _ in range(int(rng.poisson(per_day))):
            j = JOURNEYS[rng.integers(len(JOURNEYS))]
            stage = j.stages[rng.integers(len(j.stages))].id
            text = BACKGROUND[j.id][rng.integers(len(BACKGROUND[j.id]))]
            rows.append(_row(rng, day, j.id, stage, _one(rng, text), _dims(rng, {})))
        for inc in incidents:
            if (
                not (inc.start <= day <= inc.end)
                or inc.metric not in SURGE
                or inc.kind != "rate_change"
            ):
                continue
            problems, details = SURGE[inc.metric]
            for _ in range(int(rng.poisson(max(2.0, 22 * scale**0.5)))):
                dims = _dims(rng, inc.segment)
                detail = details[rng.integers(len(details))].format(**dims)
                text = f"{problems[rng.integers(len(problems))]} {detail}".strip()
                rows.append(
                    _row(rng, day, inc.journey, inc.stage, _one(rng, text), dims, incident=inc.id)
                )
    rows.sort(key=lambda r: str(r["ts"]))
    for i, row in enumerate(rows, start=1):
        row["id"] = f"ins-{i:06d}"
    return rows


def _row(
    rng: np.random.Generator,
    day: dt.date,
    journey: str,
    stage: str,
    text: str,
    dims: dict[str, str],
    *,
    incident: str = "",
) -> dict[str, object]:
    seconds = int(rng.integers(8 * 3600, 22 * 3600))
    ts = dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC) + dt.timedelta(seconds=seconds)
    source = SOURCES[rng.integers(len(SOURCES))]
    score = (
        float(rng.integers(1, 3) if incident else rng.integers(2, 6))
        if source == "survey"
        else None
    )
    return {
        "id": "",
        "ts": ts.isoformat(),
        "journey": journey,
        "stage": stage,
        "source": source,
        "text": text,
        "score": score,
        **dims,
        "_incident": incident,
    }


def hard_negatives(
    rng: np.random.Generator,
    *,
    days: Sequence[dt.date],
    scale: float,
    incidents: Sequence[Incident],
) -> list[dict[str, object]]:
    """Return insights that look like an incident's evidence to a keyword search but are not.

    Both kinds sit in the incident's journey and stage at a steady daily rate over the
    incident window and the 28 days before it (so they are always there, not a surge):
    "echo" repeats the incident's own complaint wording with a segment that conflicts with
    the incident's (one of its dimensions takes another value); "lookalike" is an off-topic
    complaint in the incident's segment that shares its search words. Rows carry
    `_negative` (the kind) and an empty `_incident`; ids are left to the caller.
    """
    rows: list[dict[str, object]] = []
    rate = max(1.5, 4 * scale**0.5)
    for inc in incidents:
        if inc.metric not in SURGE or inc.kind != "rate_change":
            continue
        problems, details = SURGE[inc.metric]
        first = inc.start - dt.timedelta(days=28)
        for day in (d for d in days if first <= d <= inc.end):
            for _ in range(int(rng.poisson(rate))):
                dims = _dims(rng, inc.segment)
                dim = sorted(inc.segment)[rng.integers(len(inc.segment))]
                others = [v for v in VALUES[dim] if v not in (inc.segment[dim], "n/a")]
                dims[dim] = others[rng.integers(len(others))]
                detail = details[rng.integers(len(details))].format(**dims)
                text = f"{problems[rng.integers(len(problems))]} {detail}".strip()
                row = _row(rng, day, inc.journey, inc.stage, _one(rng, text), dims)
                rows.append(row | {"_negative": "echo"})
            for _ in range(int(rng.poisson(rate))):
                dims = _dims(rng, inc.segment)
                look = LOOKALIKE[inc.metric]
                text = look[rng.integers(len(look))].format(**dims)
                row = _row(rng, day, inc.journey, inc.stage, _one(rng, text), dims)
                rows.append(row | {"_negative": "lookalike"})
    return rows
