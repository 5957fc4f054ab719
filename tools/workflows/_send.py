"""Send one built request with bounded retries on timeouts, connection errors, 429 and 5xx."""

from __future__ import annotations

import email.utils
import time
from collections.abc import Callable

import httpx
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
    wait_random_exponential,
)

from tools.workflows._connectors import Outbound
from tools.workflows.delivery import Attempt, Delivery, DeliveryError, RetryPolicy
from tools.workflows.targets import WorkflowTarget

_EXCERPT_CHARS = 300


class _RetryableStatus(Exception):
    def __init__(self, response: httpx.Response, retry_after: float | None) -> None:
        super().__init__(f"HTTP {response.status_code}")
        self.response = response
        self.retry_after = retry_after


def send_with_retries(
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
