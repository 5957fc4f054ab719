"""Workflow connectors against a real local receiver: signing, retries, idempotency, allowlist."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator

import httpx
import pytest

from tests.support.receiver import Fault, Receiver, RecordedRequest
from tools.workflows import (
    Attempt,
    Delivery,
    DeliveryError,
    RetryPolicy,
    WorkflowTarget,
    deliver,
    verify_signature,
)

SECRET = "s3cret"
ENV = {"HOOK_SECRET": SECRET, "JIRA_AUTH": "bot@example.com:tok"}
PAYLOAD: dict[str, object] = {
    "title": "Roll back app 5.2 payment SDK",
    "journey": "checkout",
    "stage": "payment",
    "metric": "conversion",
    "expected_value_per_week": 41000.0,
}
FAST = RetryPolicy(attempts=4, base_delay_s=0.01, max_delay_s=0.05, timeout_s=2.0)


class Sleeps:
    """Records requested sleeps instead of sleeping."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with httpx.Client(trust_env=False) as c:
        yield c


def _hook(rx: Receiver, name: str = "eng") -> dict[str, WorkflowTarget]:
    url = rx.url(f"/hooks/{name}")
    return {name: WorkflowTarget(kind="webhook", url=url, secret_env="HOOK_SECRET")}


def _send(rx: Receiver, client: httpx.Client, action_id: str = "act-1", **kw: object) -> Delivery:
    args: dict[str, object] = {
        "target_name": "eng",
        "targets": _hook(rx),
        "action_id": action_id,
        "payload": PAYLOAD,
        "environ": ENV,
        "policy": FAST,
        "client": client,
        "sleep": Sleeps(),
    }
    args.update(kw)
    return deliver(**args)  # type: ignore[arg-type]


def test_webhook_is_signed_and_keyed_by_action_id(client: httpx.Client) -> None:
    with Receiver(secret=SECRET) as rx:
        result = _send(rx, client)
    assert result.ok and result.attempts == 1 and result.status_code == 200
    [req] = rx.requests
    assert req.signature_ok is True
    assert req.headers["idempotency-key"] == "act-1"
    assert req.path == "/hooks/eng"
    assert json.loads(req.body) == {"action_id": "act-1", "target": "eng", "payload": PAYLOAD}
    canonical = json.dumps(json.loads(req.body), sort_keys=True, separators=(",", ":"))
    assert req.body == canonical.encode()
    ts = req.headers["x-journeyops-timestamp"]
    sig = req.headers["x-journeyops-signature"]
    assert verify_signature(SECRET, ts, req.body, sig, now=float(ts))
    assert not verify_signature("wrong", ts, req.body, sig, now=float(ts))
    assert not verify_signature(SECRET, ts, req.body, sig, now=float(ts) + 301)
    assert rx.effects == {"act-1": 1}


def test_bad_signature_is_refused_by_receiver_and_not_retried(client: httpx.Client) -> None:
    with Receiver(secret="other") as rx, pytest.raises(DeliveryError) as err:
        _send(rx, client)
    assert err.value.delivery.status_code == 401 and not err.value.delivery.retryable
    assert rx.effects == {} and len(rx.requests) == 1


def test_server_error_then_success_takes_two_attempts_and_one_effect(client: httpx.Client) -> None:
    with Receiver(secret=SECRET, faults=[Fault.http(500), Fault.ok()]) as rx:
        result = _send(rx, client)
    assert result.ok and result.attempts == 2
    assert rx.effects == {"act-1": 1} and len(rx.requests) == 2


@pytest.mark.parametrize(("header", "expected"), [("7", 7.0), ("120", 30.0)])
def test_429_honours_retry_after_capped(client: httpx.Client, header: str, expected: float) -> None:
    sleeps = Sleeps()
    with Receiver(faults=[Fault.http(429, header)]) as rx:
        result = _send(rx, client, sleep=sleeps)
    assert result.ok and result.attempts == 2
    assert sleeps.calls == [expected]


def test_429_retry_after_http_date_is_relative_to_now(client: httpx.Client) -> None:
    sleeps = Sleeps()
    with Receiver(faults=[Fault.http(429, "Thu, 01 Jan 2026 00:00:12 GMT")]) as rx:
        _send(rx, client, sleep=sleeps, now=lambda: 1767225600.0)  # 2026-01-01T00:00:00Z
    assert sleeps.calls == [12.0]


def test_client_error_is_permanent_and_not_retried(client: httpx.Client) -> None:
    sleeps = Sleeps()
    with Receiver(faults=[Fault.http(400)]) as rx, pytest.raises(DeliveryError) as err:
        _send(rx, client, sleep=sleeps)
    d = err.value.delivery
    assert (d.ok, d.retryable, d.status_code, d.attempts) == (False, False, 400, 1)
    assert sleeps.calls == [] and len(rx.requests) == 1


def test_timeouts_are_retried_up_to_the_bound_then_retryable_error(client: httpx.Client) -> None:
    policy = RetryPolicy(attempts=2, base_delay_s=0.01, max_delay_s=0.01, timeout_s=0.2)
    sleeps = Sleeps()
    with Receiver(faults=lambda i, r: Fault.slow(0.6)) as rx, pytest.raises(DeliveryError) as err:
        _send(rx, client, policy=policy, sleep=sleeps)
    d = err.value.delivery
    assert (d.ok, d.retryable, d.attempts, d.status_code) == (False, True, 2, None)
    assert len(sleeps.calls) == 1 and 0 <= sleeps.calls[0] <= 0.01
    assert "Timeout" in d.response_excerpt


def test_exhausted_server_errors_raise_retryable_error(client: httpx.Client) -> None:
    with Receiver(faults=lambda i, r: Fault.http(503)) as rx, pytest.raises(DeliveryError) as err:
        _send(rx, client)
    assert err.value.delivery.retryable and err.value.delivery.attempts == FAST.attempts
    assert len(rx.requests) == FAST.attempts and rx.effects == {}


def test_every_attempt_is_reported_with_its_answer_or_error(client: httpx.Client) -> None:
    seen: list[Attempt] = []
    with Receiver(secret=SECRET, faults=[Fault.http(503), Fault.drop(), Fault.ok()]) as rx:
        result = _send(rx, client, on_attempt=seen.append)
    assert result.ok and [a.number for a in seen] == [1, 2, 3]
    assert [a.status_code for a in seen] == [503, None, 200]
    assert "scripted" in seen[0].response_excerpt and seen[1].response_excerpt
    assert seen[2].response_excerpt == '{"ok":true}' and len(rx.requests) == 3


def test_lost_response_is_retried_and_applied_once(client: httpx.Client) -> None:
    with Receiver(secret=SECRET, faults=[Fault.lost(), Fault.drop()]) as rx:
        result = _send(rx, client)
    assert result.ok and result.attempts == 3
    assert rx.received == {"act-1": 3} and rx.effects == {"act-1": 1}


def test_unknown_target_name_is_refused_without_sending(client: httpx.Client) -> None:
    with Receiver() as rx, pytest.raises(DeliveryError) as err:
        _send(rx, client, target_name="http://evil.example/hook")
    assert not err.value.delivery.retryable and rx.requests == []


def test_payload_cannot_redirect_the_delivery(client: httpx.Client) -> None:
    evil = {**PAYLOAD, "url": "http://evil.example", "host": "evil.example", "target": "x"}
    seen: list[httpx.Request] = []
    hooks = {"request": [seen.append]}
    with Receiver() as rx, httpx.Client(trust_env=False, event_hooks=hooks) as spy:
        _send(rx, spy, payload=evil)
    assert [str(r.url) for r in seen] == [rx.url("/hooks/eng")]
    assert len(rx.requests) == 1


def test_redirect_is_not_followed(client: httpx.Client) -> None:
    def reply(_r: RecordedRequest) -> tuple[int, bytes]:
        return 302, b""

    with Receiver(reply=reply) as rx, pytest.raises(DeliveryError) as err:
        _send(rx, client)
    assert err.value.delivery.status_code == 302 and not err.value.delivery.retryable


def test_missing_secret_is_a_permanent_error(client: httpx.Client) -> None:
    with Receiver() as rx, pytest.raises(DeliveryError) as err:
        _send(rx, client, environ={})
    assert not err.value.delivery.retryable and rx.requests == []


def test_slack_message_shape(client: httpx.Client) -> None:
    with Receiver() as rx:
        targets = {"ops": WorkflowTarget(kind="slack", url=rx.url("/services/T/B/X"))}
        payload = {**PAYLOAD, "summary": "<!channel> please"}
        _send(rx, client, target_name="ops", targets=targets, payload=payload, environ={})
    [req] = rx.requests
    text = json.loads(req.body)["text"]
    assert req.headers["idempotency-key"] == "act-1"
    for part in ("Roll back app 5.2", "checkout / payment", "conversion", "41000.0", "act-1"):
        assert part in text
    assert "<!channel>" not in text and "&lt;!channel&gt;" in text


def test_jira_issue_shape_auth_and_external_id(client: httpx.Client) -> None:
    def reply(_r: RecordedRequest) -> tuple[int, bytes]:
        return 201, b'{"id":"10001","key":"OPS-1"}'

    with Receiver(reply=reply) as rx:
        targets = {
            "jira": WorkflowTarget(
                kind="jira", url=rx.url("/"), secret_env="JIRA_AUTH", project="OPS"
            )
        }
        result = _send(rx, client, target_name="jira", targets=targets)
    assert result.external_id == "OPS-1" and result.status_code == 201
    [req] = rx.requests
    assert req.path == "/rest/api/2/issue"
    assert req.headers["authorization"] == httpx.BasicAuth("bot@example.com", "tok")._auth_header
    fields = json.loads(req.body)["fields"]
    assert fields["project"] == {"key": "OPS"} and fields["issuetype"] == {"name": "Task"}
    assert fields["summary"] == PAYLOAD["title"] and fields["labels"] == ["journeyops", "act-1"]
    assert "act-1" in fields["description"] and req.headers["idempotency-key"] == "act-1"


def test_faulty_receiver_over_300_actions_is_bounded_and_effectively_once(
    client: httpx.Client,
) -> None:
    rng = random.Random(20261125)
    mix = [Fault.ok()] * 5 + [
        Fault.http(500),
        Fault.http(503),
        Fault.http(429, "1"),
        Fault.drop(),
        Fault.lost(),
    ]

    def script(_i: int, _r: RecordedRequest) -> Fault:
        return rng.choice(mix)  # the lock in Receiver serializes calls

    delivered: set[str] = set()
    failed: dict[str, Delivery] = {}
    with Receiver(secret=SECRET, faults=script) as rx:
        for n in range(300):
            action_id = f"act-{n:04d}"
            try:
                result = _send(rx, client, action_id=action_id)
                assert result.ok and 1 <= result.attempts <= FAST.attempts
                delivered.add(action_id)
            except DeliveryError as exc:
                assert exc.delivery.retryable and exc.delivery.attempts == FAST.attempts
                failed[action_id] = exc.delivery
    assert len(delivered) + len(failed) == 300 and delivered and failed
    assert len(rx.requests) <= 300 * FAST.attempts
    assert all(r.signature_ok for r in rx.requests)
    assert all(count == 1 for count in rx.effects.values())
    assert delivered <= set(rx.effects)
    assert any(n > 1 for n in rx.received.values())  # duplicates reached the wire
