"""The states an action, its delivery and its outcome can be in: one definition each.

Every layer (models, gate, graphs, chat tools, web app, CLI) names states through these
enums; they are `StrEnum`s, so they compare equal to the strings stored in SQL and in JSON.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Literal


class ActionStatus(StrEnum):
    """Where an action is on its way from proposal to outcome (see DESIGN.md)."""

    PROPOSED = "proposed"
    APPROVED = "approved"
    REJECTED = "rejected"
    EXPIRED = "expired"
    # The stored payload no longer matched its approval when the dispatcher re-checked it.
    BLOCKED = "blocked"
    DISPATCHED = "dispatched"
    DEAD_LETTERED = "dead_lettered"
    RECOVERED = "recovered"
    NOT_RECOVERED = "not_recovered"


# Waiting for a council decision (a blocked action waits for a new version to decide on).
AWAITING_COUNCIL = frozenset({ActionStatus.PROPOSED, ActionStatus.BLOCKED})
# Approved, and the outbox still owes the delivery.
AWAITING_DELIVERY = frozenset({ActionStatus.APPROVED, ActionStatus.DEAD_LETTERED})
# Delivered to its workflow target (and possibly checked since).
DELIVERED = frozenset({ActionStatus.DISPATCHED, ActionStatus.RECOVERED, ActionStatus.NOT_RECOVERED})
# Decided against, or never decided in time: nothing will ever run.
CLOSED_UNSENT = frozenset({ActionStatus.REJECTED, ActionStatus.EXPIRED})


class DeliveryStatus(StrEnum):
    """The state of one outbox row."""

    PENDING = "pending"
    SENDING = "sending"
    DELIVERED = "delivered"
    DEAD = "dead"
    REFUSED = "refused"


Decision = Literal["approve", "reject"]
Verdict = Literal["recovered", "not_recovered"]
