"""Quorum progress and decision rights: the one rule the gate and every reader share.

An action's progress is computed for its current version and payload hash: which distinct
members' approvals count (bound to that hash, given by members who still have a decision
right, and never by the proposer or the author of the current version), how many are
needed (the governing council's quorum for the playbook), and who may still decide. The
gate (`decide`, `approval_problem`), the web app and the CLI all read it from here.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from store.journeys import CouncilView, councils_for
from store.models import ActionRow, DecisionRow
from store.states import ActionStatus, Decision

__all__ = [
    "QuorumProgress",
    "authors",
    "governing_council",
    "progress_for",
    "progress_of",
    "quorum_progress",
]


class QuorumProgress(BaseModel):
    """Where an action's current version stands with its council, and who may decide."""

    action_id: str
    version: int
    payload_sha256: str
    status: ActionStatus
    council: CouncilView
    quorum: int
    approvers: list[str]
    decided: list[str]
    authors: list[str]

    @property
    def approvals(self) -> int:
        """How many distinct approvals count for the current payload."""
        return len(self.approvers)

    @property
    def met(self) -> bool:
        """Whether the counted approvals reach the quorum."""
        return self.approvals >= self.quorum

    @property
    def deciders(self) -> list[str]:
        """Members of the governing council whose decisions count, sorted."""
        return sorted(self.council.deciders())

    @property
    def may_approve(self) -> list[str]:
        """Deciders whose approval could still be recorded and count, sorted."""
        if self.status != ActionStatus.PROPOSED:
            return []
        return sorted(self.council.deciders() - set(self.decided) - set(self.authors))

    @property
    def nobody_can_decide(self) -> bool:
        """Whether the action waits for a council that has nobody with a decision right."""
        return self.status == ActionStatus.PROPOSED and self.quorum > 0 and not self.deciders

    def status_problem(self) -> str | None:
        """Return why the action takes no decision in its status, or None if it does."""
        if self.status != ActionStatus.PROPOSED:
            return f"action {self.action_id} is {self.status}, not awaiting a decision"
        return None

    def rights_problem(self, user: str, decision: Decision = "approve") -> str | None:
        """Return why `user` may not record `decision` on this version, or None if they may."""
        journey = self.council.journey_id
        if self.council.source_journey is None:
            return (
                f"journey {journey} has no council (nor has any parent journey): nobody can "
                "decide until a journeys file gives it one"
            )
        member = next((m for m in self.council.members if m.user == user), None)
        if member is None:
            return f"{user} is not a member of the council of journey {journey}"
        if member.revoked:
            return f"{user}'s membership of the council of {journey} was revoked"
        if not member.can_decide:
            return f"{user} is a {member.role} and has no decision right on {journey}"
        if decision == "approve" and user in self.authors:
            return f"{user} proposed {self.action_id} and cannot approve it"
        if user in self.decided:
            return f"{user} already decided on {self.action_id} v{self.version}"
        return None

    def refusal(self, user: str, decision: Decision = "approve") -> str | None:
        """Return why `user` may not decide now (status first), or None if they may."""
        return self.status_problem() or self.rights_problem(user, decision)


def authors(action: ActionRow) -> set[str]:
    """Return who proposed the action or filed its current version: they cannot approve it."""
    return {action.proposed_by} | ({action.revised_by} if action.revised_by else set())


def progress_of(
    action: ActionRow, *, council: CouncilView, decisions: Iterable[DecisionRow]
) -> QuorumProgress:
    """Return the progress of `action` from its governing council and its decisions.

    Decisions on other versions of the action are ignored.
    """
    current = [
        d for d in decisions if d.action_id == action.id and d.action_version == action.version
    ]
    deciders, excluded = council.deciders(), authors(action)
    approvers = {
        d.user_name
        for d in current
        if d.decision == "approve"
        and d.payload_sha256 == action.payload_sha256
        and d.user_name in deciders
        and d.user_name not in excluded
    }
    return QuorumProgress(
        action_id=action.id,
        version=action.version,
        payload_sha256=action.payload_sha256,
        status=action.status,
        council=council,
        quorum=council.quorum_for(action.playbook),
        approvers=sorted(approvers),
        decided=sorted({d.user_name for d in current}),
        authors=sorted(excluded),
    )


def quorum_progress(session: Session, *, actions: Sequence[ActionRow]) -> dict[str, QuorumProgress]:
    """Return each action's progress by id, in four queries whatever the number of actions."""
    if not actions:
        return {}
    ids = [a.id for a in actions]
    query = select(DecisionRow).where(DecisionRow.action_id.in_(ids)).order_by(DecisionRow.id)
    by_action: dict[str, list[DecisionRow]] = {}
    for d in session.execute(query).scalars():
        by_action.setdefault(d.action_id, []).append(d)
    councils = councils_for(session, journey_ids={_council_journey(a) for a in actions})
    return {
        a.id: progress_of(
            a, council=councils[_council_journey(a)], decisions=by_action.get(a.id, [])
        )
        for a in actions
    }


def progress_for(session: Session, *, action: ActionRow) -> QuorumProgress:
    """Return one action's progress (see `quorum_progress`)."""
    return quorum_progress(session, actions=[action])[action.id]


def governing_council(session: Session, *, action: ActionRow) -> CouncilView:
    """Return the council that decides on an action: its journey's, or the escalated one."""
    journey = _council_journey(action)
    return councils_for(session, journey_ids=[journey])[journey]


def _council_journey(action: ActionRow) -> str:
    return action.council_journey or action.journey_id
