"""Incident feedback: only deciders give it, it is audited, dismissals last, snoozes end."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from store.audit import verify_chain
from store.incidents import (
    FeedbackKind,
    FeedbackRefused,
    active_feedback,
    list_feedback,
    pattern_id,
    record_feedback,
)
from store.journeys import save_journeys
from store.journeys.file import CouncilSpec, JourneySpec, MemberSpec
from tests.support.store_fixtures import BACKENDS, store_sessions

NOW = dt.datetime(2026, 4, 1, 9, 0, tzinfo=dt.UTC)
PHONE = {"channel": "phone"}


@pytest.fixture(params=BACKENDS)
def sessions(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[sessionmaker[Session]]:
    for made in store_sessions(request.param, tmp_path, os.environ.get("JOURNEYOPS_TEST_PG_URL")):
        members = [
            MemberSpec(user="jun", role="council_member"),
            MemberSpec(user="vera", role="viewer"),
        ]
        with made.begin() as s:
            council = CouncilSpec(quorum=1, members=members)
            save_journeys(s, specs=[JourneySpec(id="password_reset", council=council)])
        yield made


def _give(
    s: Session,
    feedback: FeedbackKind,
    *,
    by: str = "jun",
    until: dt.date | None = None,
    segment: dict[str, str] | None = None,
) -> None:
    record_feedback(
        s,
        incident_id="inc-1",
        journey="password_reset",
        kind="mix_shift",
        segment=segment or PHONE,
        feedback=feedback,
        reason="campaign moved phone traffic on purpose",
        by=by,
        until=until,
        now=NOW,
    )


@pytest.mark.parametrize(
    ("by", "feedback", "until", "problem"),
    [
        ("vera", "expected", None, "vera has no decision right"),
        ("mallory", "false_alarm", None, "mallory has no decision right"),
        ("jun", "snoozed", None, "needs an end date"),
        ("jun", "expected", dt.date(2026, 4, 9), "only a snooze has one"),
        ("jun", "snoozed", dt.date(2026, 4, 1), "not in the future"),
    ],
)
def test_feedback_is_refused_with_a_reason(
    sessions: sessionmaker[Session],
    by: str,
    feedback: FeedbackKind,
    until: dt.date | None,
    problem: str,
) -> None:
    with sessions.begin() as s, pytest.raises(FeedbackRefused, match=problem):
        _give(s, feedback, by=by, until=until)
    with sessions() as s:
        assert list_feedback(s) == []


def test_a_dismissal_is_audited_and_silences_its_pattern_for_good(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as s:
        _give(s, "expected")
    pattern = pattern_id("password_reset", "mix_shift", PHONE)
    with sessions() as s:
        [given] = list_feedback(s)
        assert (given.by, given.feedback, given.pattern) == ("jun", "expected", pattern)
        assert set(active_feedback(s, on=dt.date(2027, 1, 1))) == {pattern}
        assert verify_chain(s).ok


def test_a_snooze_ends_after_its_date_and_never_undoes_a_dismissal(
    sessions: sessionmaker[Session],
) -> None:
    other = {"channel": "web"}
    with sessions.begin() as s:
        _give(s, "snoozed", until=dt.date(2026, 4, 14))
        _give(s, "false_alarm", segment=other)
        _give(s, "snoozed", until=dt.date(2026, 4, 5), segment=other)
    phone = pattern_id("password_reset", "mix_shift", PHONE)
    web = pattern_id("password_reset", "mix_shift", other)
    with sessions() as s:
        assert set(active_feedback(s, on=dt.date(2026, 4, 14))) == {phone, web}
        assert set(active_feedback(s, on=dt.date(2026, 4, 15))) == {web}
        assert active_feedback(s, on=dt.date(2026, 4, 15))[web].feedback == "false_alarm"
