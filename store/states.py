"""The states an action, its delivery and its outcome can be in: one definition each.

Every layer (models, gate, graphs, chat tools, web app, CLI) names states through these
enums; they are `StrEnum`s, so they compare equal to the strings stored in SQL and in JSON.
`StatusColumn` stores one as a string and reads it back as the enum.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Literal

from sqlalchemy import String, TypeDecorator
from sqlalchemy.engine import Dialect


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


class StatusColumn(TypeDecorator[Any]):
    """A string column read back as its status Enum (an unknown value fails loudly)."""

    impl = String(16)
    cache_ok = True

    def __init__(self, enum: type[ActionStatus] | type[DeliveryStatus]) -> None:
        super().__init__()
        self.enum = enum

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        return None if value is None else self.enum(value).value

    def process_result_value(self, value: str | None, dialect: Dialect) -> Any:
        return None if value is None else self.enum(value)
