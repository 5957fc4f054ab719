"""Workflow connectors: the only code that sends anything outward, and all they do is send.

Three parts carry an approved action to its target, one job each: `store.gate.outbox`
leases due deliveries (re-checking the approval in SQL) and records their results;
this package sends one approved payload to one allowlisted target and reports what
happened, knowing nothing of approvals, leases or SQL; `agent.actions.dispatch`
orchestrates a pass (lease, send, record).

Delivery is at-least-once on the wire and effectively once at the receiver: every request
carries `Idempotency-Key: <action_id>`, retries are bounded and happen only on timeouts,
connection errors, 429 and 5xx; everything else fails at once as a permanent error.

Jira does not honour `Idempotency-Key`, so a retried create after a lost response can file
a second issue. The issue carries the action id as a label (searchable with
`labels = <action_id>`), and the outbox avoids duplicates by recording the returned
`external_id` and never re-dispatching an action it has recorded as delivered.

Every HTTP attempt is reported to the caller's `on_attempt` hook (the outbox records each
one in the audit log).

Public surface: `deliver`, `verify_signature`, the allowlist entry `WorkflowTarget`, and what
a delivery reports (`Attempt`, `Delivery`, `DeliveryError`, `RetryPolicy`).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping

import httpx

from tools.workflows._connectors import ConnectorError, build_request, verify_signature
from tools.workflows._send import send_with_retries
from tools.workflows.delivery import Attempt, Delivery, DeliveryError, RetryPolicy
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
        return send_with_retries(
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
