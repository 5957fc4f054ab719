"""What a delivery attempt reports: each HTTP attempt, the outcome, and the retry policy."""

from __future__ import annotations

from pydantic import BaseModel, Field


class Delivery(BaseModel):
    """The outcome of one delivery, successful or not, as the outbox records it."""

    target: str
    status_code: int | None
    attempts: int
    ok: bool
    retryable: bool
    response_excerpt: str
    external_id: str | None = None


class Attempt(BaseModel):
    """One HTTP attempt of a delivery: its answer, or the transport error that replaced it."""

    number: int
    status_code: int | None
    response_excerpt: str
    elapsed_s: float


class DeliveryError(Exception):
    """A delivery that failed; `delivery.retryable` tells exhausted retries from permanent."""

    def __init__(self, message: str, delivery: Delivery) -> None:
        super().__init__(message)
        self.delivery = delivery


class RetryPolicy(BaseModel):
    """Bounds for one delivery: attempts, backoff, per-request timeout, Retry-After cap."""

    attempts: int = Field(default=4, ge=1, le=20)
    base_delay_s: float = Field(default=0.5, ge=0)
    max_delay_s: float = Field(default=10.0, ge=0)
    timeout_s: float = Field(default=10.0, gt=0)
    max_retry_after_s: float = Field(default=30.0, ge=0)
