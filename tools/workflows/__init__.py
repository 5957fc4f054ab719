"""Workflow connectors: the only code that sends anything outward.

Delivery is at-least-once on the wire and effectively once at the receiver: every request
carries `Idempotency-Key: <action_id>`, retries are bounded and happen only on timeouts,
connection errors, 429 and 5xx; everything else fails at once as a permanent error.

Jira does not honour `Idempotency-Key`, so a retried create after a lost response can file
a second issue. The issue carries the action id as a label (searchable with
`labels = <action_id>`), and the outbox avoids duplicates by recording the returned
`external_id` and never re-dispatching an action it has recorded as delivered.

Every HTTP attempt is reported to the caller's `on_attempt` hook (the outbox records each
one in the audit log).

Public surface: `Attempt`, `Delivery`, `DeliveryError`, `RetryPolicy`, `deliver`,
`verify_signature`.
"""

from __future__ import annotations

import email.utils
import os
import time
from collections.abc import Callable, Mapping

import httpx
from pydantic import BaseModel, Field
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
    wait_random_exponential,
)

from tools.workflows._connectors import ConnectorError, Outbound, build_request, verify_signature
from tools.workflows.targets import WorkflowTarget

__all__ = [
    "Attempt",
    "Delivery",
    "DeliveryError",
    "RetryPolicy",
    "WorkflowTarget",
    "deliver",
    "verify_signature",
]

_EXCERPT_CHARS = 300


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


class _RetryableStatus(Exception):
    def __init__(self, response: httpx.Response, retry_after: float | None) -> None:
        super().__init__(f"HTTP {response.status_code}")
        self.response = response
        self.retry_after = retry_after


def deliver(
    *,
    target_name: str,
    targets: Mapping[str, WorkflowTarget],
    action_id: str,
    payload: Mapping[str, object],
    environ: Mapping[str, str] = os.environ,
    policy: RetryPolicy = RetryPolicy(),  # noqa: B008 - immutable in practice, never mutated
    client: httpx.Client | None = None,
    sleep: Callable[[float], None] = time.sleep,
    now: Callable[[], float] = time.time,
    on_attempt: Callable[[Attempt], None] | None = None,
) -> Delivery:
    """Send one approved action to the allowlisted target named `target_name`.

    The destination comes only from `targets`; keys in `payload` never change it.
    Raise `DeliveryError` on a permanent failure or once the bounded retries are spent.
    """

    def fail(message: str, *, retryable: bool = False, attempts: int = 0) -> DeliveryError:
        result = Delivery(
            target=target_name,
            status_code=None,
            attempts=attempts,
            ok=False,
            retryable=retryable,
            response_excerpt="",
        )
        return DeliveryError(f"{target_name}: {message}", result)

    target = targets.get(target_name)
    if target is None:
        raise fail("not a configured workflow target")
    if httpx.URL(target.url).scheme not in ("http", "https"):
        raise fail("only http(s) targets are allowed")
    secret = ""
    if target.kind in ("webhook", "jira") or target.secret_env:
        if not target.secret_env or not environ.get(target.secret_env):
            raise fail(f"secret environment variable {target.secret_env or '(unset)'!r} is empty")
        secret = environ[target.secret_env]
    try:
        request = build_request(
            target,
            target_name=target_name,
            action_id=action_id,
            payload=payload,
            secret=secret,
            timestamp=int(now()),
        )
    except ConnectorError as exc:
        raise fail(str(exc)) from exc

    own_client = client is None
    http = client or httpx.Client(follow_redirects=False, trust_env=False)
    try:
        return _send_with_retries(
            http,
            request,
            target=target,
            target_name=target_name,
            policy=policy,
            sleep=sleep,
            now=now,
            on_attempt=on_attempt or (lambda _a: None),
        )
    finally:
        if own_client:
            http.close()


def _send_with_retries(
    http: httpx.Client,
    request: Outbound,
    *,
    target: WorkflowTarget,
    target_name: str,
    policy: RetryPolicy,
    sleep: Callable[[float], None],
    now: Callable[[], float],
    on_attempt: Callable[[Attempt], None],
) -> Delivery:
    attempts = 0

    def attempt() -> httpx.Response:
        nonlocal attempts
        attempts += 1
        started = time.perf_counter()
        try:
            # Redirects are not followed: a 3xx must not move a delivery off the allowlist.
            response = http.post(
                request.url,
                content=request.body,
                headers=request.headers,
                auth=request.auth or httpx.USE_CLIENT_DEFAULT,
                timeout=policy.timeout_s,
                follow_redirects=False,
            )
        except httpx.TransportError as exc:
            error = f"{type(exc).__name__}: {exc}"[:_EXCERPT_CHARS]
            on_attempt(
                Attempt(
                    number=attempts,
                    status_code=None,
                    response_excerpt=error,
                    elapsed_s=round(time.perf_counter() - started, 3),
                )
            )
            raise
        on_attempt(
            Attempt(
                number=attempts,
                status_code=response.status_code,
                response_excerpt=response.text[:_EXCERPT_CHARS],
                elapsed_s=round(time.perf_counter() - started, 3),
            )
        )
        if response.status_code == 429 or response.status_code >= 500:
            retry_after = _retry_after(response, now=now, cap=policy.max_retry_after_s)
            raise _RetryableStatus(response, retry_after)
        return response

    backoff = wait_random_exponential(multiplier=policy.base_delay_s, max=policy.max_delay_s)

    def wait(state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome is not None else None
        if isinstance(exc, _RetryableStatus) and exc.retry_after is not None:
            return exc.retry_after
        return float(backoff(state))

    retrying = Retrying(
        stop=stop_after_attempt(policy.attempts),
        wait=wait,
        retry=retry_if_exception_type((httpx.TransportError, _RetryableStatus)),
        sleep=sleep,
        reraise=True,
    )
    try:
        response = retrying(attempt)
    except _RetryableStatus as exc:
        result = _result(target_name, exc.response, attempts, ok=False, retryable=True)
        raise DeliveryError(
            f"{target_name}: HTTP {exc.response.status_code} after {attempts} attempts", result
        ) from exc
    except httpx.TransportError as exc:
        result = Delivery(
            target=target_name,
            status_code=None,
            attempts=attempts,
            ok=False,
            retryable=True,
            response_excerpt=f"{type(exc).__name__}: {exc}"[:_EXCERPT_CHARS],
        )
        raise DeliveryError(
            f"{target_name}: {type(exc).__name__} after {attempts} attempts", result
        ) from exc

    if not response.is_success:
        result = _result(target_name, response, attempts, ok=False, retryable=False)
        raise DeliveryError(f"{target_name}: HTTP {response.status_code} (permanent)", result)
    external_id = _jira_key(response) if target.kind == "jira" else None
    return _result(
        target_name, response, attempts, ok=True, retryable=False, external_id=external_id
    )


def _result(
    target_name: str,
    response: httpx.Response,
    attempts: int,
    *,
    ok: bool,
    retryable: bool,
    external_id: str | None = None,
) -> Delivery:
    return Delivery(
        target=target_name,
        status_code=response.status_code,
        attempts=attempts,
        ok=ok,
        retryable=retryable,
        response_excerpt=response.text[:_EXCERPT_CHARS],
        external_id=external_id,
    )


def _retry_after(response: httpx.Response, *, now: Callable[[], float], cap: float) -> float | None:
    """Parse Retry-After as seconds or an HTTP-date, clamped to [0, cap]."""
    raw = response.headers.get("Retry-After")
    if raw is None:
        return None
    raw = raw.strip()
    try:
        seconds = float(raw)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(raw)
        except (TypeError, ValueError):
            return None
        seconds = when.timestamp() - now()
    return min(max(seconds, 0.0), cap)


def _jira_key(response: httpx.Response) -> str | None:
    try:
        data = response.json()
    except ValueError:
        return None
    key = data.get("key") if isinstance(data, dict) else None
    return str(key) if key else None
