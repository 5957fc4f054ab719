"""Journeys in SQL: declared and inferred journeys, councils and their inheritance."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from store.journeys import (
    council_for,
    get_journey,
    list_journeys,
    register_inferred,
    revoke_member,
    save_journeys,
)
from store.journeys.file import CouncilSpec, JourneySpec, MemberSpec, load_journeys_file
from tests.support.store_fixtures import BACKENDS, store_sessions

NOW = dt.datetime(2026, 4, 1, 9, 0, tzinfo=dt.UTC)
FILE = """
[[journeys]]
id = "checkout"
name = "Online checkout"
parent = "commerce"
owner = "maria"
stages = ["browse", "cart", { id = "payment", name = "Payment" }, "confirmation"]
[journeys.council]
quorum = 2
members = [
  { user = "maria", role = "journey_owner" },
  { user = "li", role = "council_member" },
  { user = "sam", role = "council_member" },
  { user = "ops-admin", role = "admin" },
  { user = "viewer1", role = "viewer" },
]

[[journeys]]
id = "commerce"
name = "Commerce"
owner = "maria"
[journeys.council]
quorum = 1
members = [{ user = "maria", role = "journey_owner" }, { user = "li", role = "council_member" }]

[[journeys]]
id = "returns"
parent = "commerce"
stages = ["request", "refund"]
"""


@pytest.fixture(params=BACKENDS)
def sessions(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[sessionmaker[Session]]:
    url = os.environ.get("JOURNEYOPS_TEST_PG_URL")
    for factory in store_sessions(request.param, tmp_path, url):
        path = tmp_path / "journeys.toml"
        path.write_text(FILE, encoding="utf-8")
        with factory.begin() as s:
            save_journeys(s, specs=load_journeys_file(path))
        yield factory


def test_declared_journeys_are_stored_parents_first(sessions: sessionmaker[Session]) -> None:
    with sessions() as s:
        rows = list_journeys(s)
        checkout = get_journey(s, journey_id="checkout")
    assert [r.id for r in rows] == ["commerce", "checkout", "returns"]
    assert checkout is not None and checkout.declared and checkout.parent_id == "commerce"
    assert checkout.stages == ["browse", "cart", "payment", "confirmation"]


def test_own_council_has_members_roles_and_quorum(sessions: sessionmaker[Session]) -> None:
    with sessions() as s:
        view = council_for(s, journey_id="checkout")
    assert (view.source_journey, view.quorum) == ("checkout", 2)
    assert {m.user: m.role for m in view.members}["ops-admin"] == "admin"
    assert view.deciders() == {"maria", "li", "sam"}


def test_child_without_a_council_inherits_the_nearest_ancestors(
    sessions: sessionmaker[Session],
) -> None:
    with sessions() as s:
        view = council_for(s, journey_id="returns")
    assert (view.journey_id, view.source_journey, view.quorum) == ("returns", "commerce", 1)
    assert view.deciders() == {"maria", "li"}


def test_journey_without_any_council_gets_nobody_who_can_decide(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as s:
        assert register_inferred(s, journey_id="onboarding", stages=["signup", "verify"])
    with sessions() as s:
        view = council_for(s, journey_id="onboarding", default_quorum=2)
    assert (view.source_journey, view.quorum, view.members, view.deciders()) == (None, 2, [], set())


def test_inferred_journey_is_created_once_and_never_overrides_a_declared_one(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as s:
        assert not register_inferred(s, journey_id="checkout", stages=["x"])
        assert register_inferred(s, journey_id="onboarding", stages=["signup", "verify"])
        assert not register_inferred(s, journey_id="onboarding", stages=["other"])
    with sessions() as s:
        onboarding = get_journey(s, journey_id="onboarding")
        checkout = get_journey(s, journey_id="checkout")
    assert onboarding is not None and not onboarding.declared
    assert onboarding.stages == ["signup", "verify"]
    assert checkout is not None and checkout.stages[0] == "browse"


def test_reloading_declares_inferred_journeys_and_replaces_councils(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as s:
        register_inferred(s, journey_id="onboarding", stages=["signup"])
    council = CouncilSpec(quorum=1, members=[MemberSpec(user="ana", role="journey_owner")])
    with sessions.begin() as s:
        saved = save_journeys(
            s,
            specs=[
                JourneySpec(id="checkout", parent="commerce", stages=["cart"], council=council),
                JourneySpec(id="onboarding", name="Onboarding", stages=["signup", "kyc"]),
            ],
        )
    assert saved == ["checkout", "onboarding"]
    with sessions() as s:
        view = council_for(s, journey_id="checkout")
        onboarding = get_journey(s, journey_id="onboarding")
        assert [j.id for j in list_journeys(s)].count("checkout") == 1
    assert (view.quorum, view.deciders()) == (1, {"ana"})
    assert onboarding is not None and onboarding.declared and onboarding.name == "Onboarding"


def test_revoked_member_keeps_the_seat_but_loses_the_decision_right(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as s:
        assert revoke_member(s, journey_id="checkout", user="li", now=NOW)
        assert not revoke_member(s, journey_id="checkout", user="nobody", now=NOW)
    with sessions() as s:
        view = council_for(s, journey_id="checkout")
    assert [m.revoked for m in view.members if m.user == "li"] == [True]
    assert view.deciders() == {"maria", "sam"}


def test_high_risk_playbooks_need_the_high_risk_quorum(sessions: sessionmaker[Session]) -> None:
    council = CouncilSpec(
        quorum=1,
        high_risk_playbooks=["reprice"],
        high_risk_quorum=2,
        members=[
            MemberSpec(user="ana", role="journey_owner"),
            MemberSpec(user="bo", role="council_member"),
        ],
    )
    with sessions.begin() as s:
        save_journeys(s, specs=[JourneySpec(id="pricing", council=council)])
    with sessions() as s:
        view = council_for(s, journey_id="pricing")
    assert (view.quorum_for("reprice"), view.quorum_for("fix_copy")) == (2, 1)
