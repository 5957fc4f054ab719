"""Journeys and their councils: keyword-only repository functions.

A journey without a council of its own is governed by the nearest ancestor's council; a
journey with none in its whole ancestry gets a memberless view, so nobody can decide on
its actions until a journeys file declares a council.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from pydantic import BaseModel
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from store.db import lock_writes
from store.journeys.file import DECIDING_ROLES, JourneySpec
from store.models import Council, CouncilMember, Journey


class MemberView(BaseModel):
    """A council member as the gate sees them."""

    user: str
    role: str
    revoked: bool = False

    @property
    def can_decide(self) -> bool:
        """Whether this member's approvals and rejections count (deciding role, active)."""
        return self.role in DECIDING_ROLES and not self.revoked


class CouncilView(BaseModel):
    """The council that decides for a journey (its own, or the nearest ancestor's).

    `source_journey` is None when no journey in the ancestry has a council: then there
    are no members and nobody can decide.
    """

    journey_id: str
    source_journey: str | None
    quorum: int
    members: list[MemberView] = []
    high_risk_playbooks: list[str] = []
    high_risk_quorum: int | None = None

    def quorum_for(self, playbook: str) -> int:
        """Return how many distinct approvals a playbook needs on this journey."""
        if playbook in self.high_risk_playbooks and self.high_risk_quorum:
            return self.high_risk_quorum
        return self.quorum

    def deciders(self) -> set[str]:
        """Return the users whose decisions count."""
        return {m.user for m in self.members if m.can_decide}


def save_journeys(session: Session, *, specs: list[JourneySpec]) -> list[str]:
    """Insert or update declared journeys and replace their councils; return their ids."""
    lock_writes(session)
    for spec in sorted(specs, key=lambda s: _depth(s, specs)):
        row = session.get(Journey, spec.id) or Journey(id=spec.id)
        row.name = spec.name or spec.id
        row.parent_id = spec.parent
        row.owner = spec.owner
        row.declared = True
        row.stages = list(spec.stages)
        session.add(row)
        session.flush()
        session.execute(delete(CouncilMember).where(CouncilMember.journey_id == spec.id))
        session.execute(delete(Council).where(Council.journey_id == spec.id))
        if spec.council is not None:
            session.add(
                Council(
                    journey_id=spec.id,
                    quorum=spec.council.quorum,
                    high_risk_playbooks=list(spec.council.high_risk_playbooks),
                    high_risk_quorum=spec.council.high_risk_quorum,
                )
            )
            for m in spec.council.members:
                session.add(CouncilMember(journey_id=spec.id, user_name=m.user, role=m.role))
    session.flush()
    return [s.id for s in specs]


def _depth(spec: JourneySpec, specs: list[JourneySpec]) -> int:
    by_id = {s.id: s for s in specs}
    depth, node = 0, spec.parent
    while node is not None and node in by_id and depth < len(specs):
        depth, node = depth + 1, by_id[node].parent
    return depth


def register_inferred(session: Session, *, journey_id: str, stages: list[str]) -> bool:
    """Create an undeclared journey seen in events, unless it exists; return whether created."""
    lock_writes(session)
    if session.get(Journey, journey_id) is not None:
        return False
    session.add(Journey(id=journey_id, name=journey_id, declared=False, stages=list(stages)))
    session.flush()
    return True


def list_journeys(session: Session) -> list[Journey]:
    """Return every journey, parents before children."""
    rows = list(session.execute(select(Journey).order_by(Journey.id)).scalars())
    by_id = {r.id: r for r in rows}

    def depth(r: Journey) -> int:
        d, node = 0, r.parent_id
        while node is not None and node in by_id and d < len(rows):
            d, node = d + 1, by_id[node].parent_id
        return d

    return sorted(rows, key=lambda r: (depth(r), r.id))


def get_journey(session: Session, *, journey_id: str) -> Journey | None:
    """Return one journey or None."""
    return session.get(Journey, journey_id)


def council_for(session: Session, *, journey_id: str, default_quorum: int = 1) -> CouncilView:
    """Return the council of a journey, inherited from the nearest ancestor that has one.

    Without any, return a memberless view with `default_quorum` (config
    `approval.default_quorum`) and `source_journey` None: nobody can decide.
    """
    return councils_for(session, journey_ids=[journey_id], default_quorum=default_quorum)[
        journey_id
    ]


def councils_for(
    session: Session, *, journey_ids: Iterable[str], default_quorum: int = 1
) -> dict[str, CouncilView]:
    """Return the council of each journey (as `council_for`), in three queries for any number.

    Journeys and councils are configuration (a few hundred rows at most), so all of them
    are read and each journey's ancestry is walked in memory.
    """
    rows = session.execute(select(Journey.id, Journey.parent_id)).tuples()
    parents = {journey: parent for journey, parent in rows}
    councils = {c.journey_id: c for c in session.execute(select(Council)).scalars()}
    members: dict[str, list[MemberView]] = {}
    query = select(CouncilMember).order_by(CouncilMember.id)
    for m in session.execute(query).scalars():
        view = MemberView(user=m.user_name, role=m.role, revoked=m.revoked_at is not None)
        members.setdefault(m.journey_id, []).append(view)
    found: dict[str, CouncilView] = {}
    for journey_id in journey_ids:
        node: str | None = journey_id
        seen: set[str] = set()
        while node is not None and node not in seen and node not in councils:
            seen.add(node)
            node = parents.get(node)
        council = councils.get(node) if node is not None else None
        if council is None:
            found[journey_id] = CouncilView(
                journey_id=journey_id, source_journey=None, quorum=default_quorum
            )
            continue
        found[journey_id] = CouncilView(
            journey_id=journey_id,
            source_journey=council.journey_id,
            quorum=council.quorum,
            members=list(members.get(council.journey_id, [])),
            high_risk_playbooks=list(council.high_risk_playbooks or []),
            high_risk_quorum=council.high_risk_quorum,
        )
    return found


def revoke_member(session: Session, *, journey_id: str, user: str, now: dt.datetime) -> bool:
    """Revoke a member's decision rights on a journey's own council; return whether found."""
    lock_writes(session)
    member = session.execute(
        select(CouncilMember).where(
            CouncilMember.journey_id == journey_id, CouncilMember.user_name == user
        )
    ).scalar_one_or_none()
    if member is None:
        return False
    member.revoked_at = now
    session.flush()
    return True


def escalation_council(session: Session, *, journey_id: str) -> CouncilView | None:
    """Return the council one level above the one deciding for `journey_id`, or None.

    The deciding council is the journey's own or the nearest ancestor's; escalation goes to
    the nearest council above that one, so `journey_id` may also be a council's journey.
    """
    current = council_for(session, journey_id=journey_id)
    if current.source_journey is None:
        return None
    source = session.get(Journey, current.source_journey)
    if source is None or source.parent_id is None:
        return None
    above = council_for(session, journey_id=source.parent_id)
    return above if above.source_journey is not None else None
