"""The demo business: journeys, stages, dimensions and how each leaf behaves normally."""

from __future__ import annotations

from dataclasses import dataclass, field

DIMENSIONS: dict[str, tuple[list[str], list[float]]] = {
    "channel": (["web", "app", "phone", "chat"], [0.38, 0.40, 0.12, 0.10]),
    "device": (["ios", "android", "desktop", "tablet"], [0.30, 0.30, 0.32, 0.08]),
    "region": (["north", "south", "east", "west", "central"], [0.22, 0.20, 0.20, 0.20, 0.18]),
    "segment": (["new", "returning", "vip"], [0.35, 0.55, 0.10]),
    "plan": (["basic", "plus", "premium"], [0.5, 0.35, 0.15]),
}
APP_VERSIONS = ["5.0", "5.1", "5.2"]
# Logit offsets of completion by dimension value: mix matters, as in real journeys.
RATE_OFFSETS: dict[str, dict[str, float]] = {
    "channel": {"web": 0.0, "app": 0.1, "phone": -0.25, "chat": -0.1},
    "segment": {"new": -0.2, "returning": 0.05, "vip": 0.35},
    "plan": {"basic": -0.05, "plus": 0.0, "premium": 0.15},
    "device": {"ios": 0.05, "android": 0.0, "desktop": 0.0, "tablet": -0.1},
}
WEEKDAY_VOLUME = [1.0, 1.02, 1.0, 0.98, 0.95, 0.72, 0.68]
WEEKDAY_LOGIT = [0.0, 0.01, 0.0, -0.01, -0.02, 0.03, 0.04]


@dataclass(frozen=True)
class StageDef:
    id: str
    rate: float
    duration_s: float
    duration_sd: float = 0.6
    phone_slowdown: float = 1.4
    channel_rate: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class JourneyDef:
    id: str
    name: str
    parent: str
    daily_entrants: int
    stages: tuple[StageDef, ...]
    measures: frozenset[str]
    order_value: float = 0.0
    cost_per_visit: float = 0.0
    csat_share: float = 0.0
    csat_mean: float = 4.1
    repeat_contact: float = 0.12
    transfer_rate: float = 0.1
    channel_probs: tuple[float, ...] | None = None


JOURNEYS: tuple[JourneyDef, ...] = (
    JourneyDef(
        "checkout",
        "Online checkout",
        "commerce",
        3000,
        (
            StageDef("browse", 0.52, 240),
            StageDef("cart", 0.74, 150),
            StageDef("payment", 0.82, 90),
            StageDef("confirmation", 0.96, 20),
        ),
        frozenset({"duration_s", "value"}),
        order_value=78.0,
    ),
    JourneyDef(
        "returns",
        "Returns",
        "commerce",
        320,
        (
            StageDef("request", 0.9, 300),
            StageDef("label", 0.93, 600),
            StageDef("refund", 0.95, 3 * 86400),
        ),
        frozenset({"duration_s", "cost", "csat"}),
        cost_per_visit=4.0,
        csat_share=0.2,
    ),
    JourneyDef(
        "insurance_claim",
        "Insurance claim",
        "service",
        420,
        (
            StageDef("submit", 0.9, 1200),
            StageDef("assessment", 0.88, 36 * 3600, 0.5),
            StageDef("settlement", 0.93, 48 * 3600, 0.5),
        ),
        frozenset({"duration_s", "cost", "csat", "contacts", "transfers"}),
        cost_per_visit=35.0,
        csat_share=0.2,
        csat_mean=3.9,
    ),
    JourneyDef(
        "billing_dispute",
        "Billing dispute",
        "service",
        620,
        (
            StageDef("open", 0.92, 600),
            StageDef("investigation", 0.86, 24 * 3600, 0.6),
            StageDef("resolution", 0.9, 900),
        ),
        frozenset({"duration_s", "cost", "csat", "contacts", "transfers"}),
        cost_per_visit=12.0,
        csat_share=0.22,
        csat_mean=3.8,
        repeat_contact=0.14,
        channel_probs=(0.3, 0.25, 0.2, 0.25),
    ),
    JourneyDef(
        "password_reset",
        "Password reset",
        "service",
        820,
        (
            StageDef("request", 0.93, 60),
            StageDef("verify_identity", 0.86, 180, channel_rate={"phone": -1.3, "chat": -0.2}),
            StageDef("set_password", 0.95, 90),
        ),
        frozenset({"duration_s", "csat", "contacts"}),
        csat_share=0.15,
        csat_mean=4.0,
    ),
)
PARENTS = {"commerce": "Commerce", "service": "Customer service"}
COUNCILS: dict[str, tuple[int, list[tuple[str, str]]]] = {
    "commerce": (
        1,
        [
            ("maria", "journey_owner"),
            ("li", "council_member"),
            ("sam", "council_member"),
            ("ops-admin", "admin"),
            ("vera", "viewer"),
        ],
    ),
    "checkout": (
        2,
        [
            ("maria", "journey_owner"),
            ("li", "council_member"),
            ("sam", "council_member"),
            ("ops-admin", "admin"),
            ("vera", "viewer"),
        ],
    ),
    "service": (
        1,
        [
            ("omar", "journey_owner"),
            ("jun", "council_member"),
            ("ada", "council_member"),
            ("ops-admin", "admin"),
            ("vera", "viewer"),
        ],
    ),
}
OWNERS = {
    "commerce": "maria",
    "checkout": "maria",
    "returns": "maria",
    "service": "omar",
    "insurance_claim": "omar",
    "billing_dispute": "jun",
    "password_reset": "ada",
}


def journeys_toml() -> str:
    """Return the journeys file of the demo business (nested, with councils)."""
    lines: list[str] = []

    def council(jid: str) -> None:
        if jid not in COUNCILS:
            return
        quorum, members = COUNCILS[jid]
        lines.append("[journeys.council]")
        lines.append(f"quorum = {quorum}")
        lines.append("members = [")
        lines.extend(f'  {{ user = "{u}", role = "{r}" }},' for u, r in members)
        lines.append("]")

    for pid, name in PARENTS.items():
        lines += [
            "[[journeys]]",
            f'id = "{pid}"',
            f'name = "{name}"',
            f'owner = "{OWNERS[pid]}"',
            "stages = []",
        ]
        council(pid)
        lines.append("")
    for j in JOURNEYS:
        stages = ", ".join(f'"{s.id}"' for s in j.stages)
        lines += [
            "[[journeys]]",
            f'id = "{j.id}"',
            f'name = "{j.name}"',
            f'parent = "{j.parent}"',
            f'owner = "{OWNERS[j.id]}"',
            f"stages = [{stages}]",
        ]
        council(j.id)
        lines.append("")
    return "\n".join(lines)
