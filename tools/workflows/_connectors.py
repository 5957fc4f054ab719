"""Request shapes per workflow kind, canonical JSON and webhook signatures (private)."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass, field

from tools.workflows.targets import WorkflowTarget

_JIRA_SUMMARY_MAX = 255


class ConnectorError(ValueError):
    """A request that cannot be built (bad secret, unserializable payload); never retryable."""


@dataclass(frozen=True)
class Outbound:
    """One HTTP request ready to send; the URL always comes from the configured target."""

    url: str
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    auth: tuple[str, str] | None = None


def canonical_json(value: object) -> bytes:
    """Serialize with sorted keys and compact separators so signatures are reproducible."""
    try:
        text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    except (TypeError, ValueError) as exc:
        raise ConnectorError(f"payload is not JSON-serializable: {exc}") from exc
    return text.encode("ascii")


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """Return `sha256=<hex>` of HMAC-SHA256 over `"{timestamp}.{body}"`."""
    mac = hmac.new(secret.encode("utf-8"), f"{timestamp}.".encode("ascii") + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def verify_signature(
    secret: str,
    timestamp: str | int,
    body: bytes | str,
    signature: str,
    *,
    now: float,
    tolerance_s: float = 300,
) -> bool:
    """Check a webhook signature and that its timestamp is within `tolerance_s` of `now`."""
    try:
        ts = int(timestamp)
    except (TypeError, ValueError):
        return False
    if abs(now - ts) > tolerance_s:
        return False
    raw = body.encode("utf-8") if isinstance(body, str) else body
    return hmac.compare_digest(sign(secret, ts, raw), signature)


def build_request(
    target: WorkflowTarget,
    *,
    target_name: str,
    action_id: str,
    payload: Mapping[str, object],
    secret: str,
    timestamp: int,
) -> Outbound:
    """Build the request for the target's kind; nothing in `payload` can change the URL."""
    headers = {
        "Content-Type": "application/json",
        "Idempotency-Key": action_id,
        "User-Agent": "journeyops-workflows/1",
    }
    if target.kind == "webhook":
        body = canonical_json(
            {"action_id": action_id, "target": target_name, "payload": dict(payload)}
        )
        headers["X-Journeyops-Timestamp"] = str(timestamp)
        headers["X-Journeyops-Signature"] = sign(secret, timestamp, body)
        return Outbound(target.url, body, headers)
    if target.kind == "slack":
        body = canonical_json({"text": slack_text(action_id, payload)})
        return Outbound(target.url, body, headers)
    user, sep, token = secret.partition(":")
    if not sep or not user or not token:
        raise ConnectorError(f"{target.secret_env} must hold 'user:token' for Jira basic auth")
    fields = {
        "project": {"key": target.project},
        "summary": _title(action_id, payload)[:_JIRA_SUMMARY_MAX],
        "description": _describe(action_id, payload),
        "issuetype": {"name": "Task"},
        "labels": ["journeyops", action_id],
    }
    url = target.url.rstrip("/") + "/rest/api/2/issue"
    return Outbound(url, canonical_json({"fields": fields}), headers, auth=(user, token))


def slack_text(action_id: str, payload: Mapping[str, object]) -> str:
    """Render the Slack message; `<`, `>` and `&` are escaped so payload text cannot ping."""
    return _slack_escape(_describe(action_id, payload, heading=True))


def _title(action_id: str, payload: Mapping[str, object]) -> str:
    title = payload.get("title")
    return str(title) if title else f"journeyops action {action_id}"


def _describe(action_id: str, payload: Mapping[str, object], *, heading: bool = False) -> str:
    lines = [f"*{_title(action_id, payload)}*"] if heading else []
    journey, stage = payload.get("journey"), payload.get("stage")
    if journey:
        lines.append(f"Journey: {journey}" + (f" / {stage}" if stage else ""))
    if payload.get("metric"):
        lines.append(f"Metric: {payload['metric']}")
    expected = payload.get("expected_value_per_week", payload.get("expected_value"))
    if expected is not None:
        currency = payload.get("currency", "")
        lines.append(f"Expected value: {expected} {currency}/week".replace("  ", " "))
    if payload.get("summary"):
        lines.append(str(payload["summary"]))
    lines.append(f"Action: {action_id}")
    return "\n".join(lines)


def _slack_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
