"""What the model's tools share within one conversation: the run context and scan cache."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping

from agent.chat.tools.errors import ToolError
from agent.context import RunContext
from agent.investigate.detect_breakdowns import newest_allowed_day
from agent.investigate.scan import run_scan
from store.catalog import MetricDef
from store.errors import InputError, unknown_name
from store.findings import Breakdown, ScanResult


class ToolSession:
    """Per-conversation state of the tools; rebuilt after a restart from `known`.

    Investigations run the same graph as `journeyops scan` (never proposing), once per
    window end, so a question answered in chat names the same breakdowns a scan would.
    """

    def __init__(self, ctx: RunContext, *, known: Mapping[str, str] | None = None) -> None:
        self.ctx = ctx
        self.known: dict[str, str] = dict(known or {})
        self._scans: dict[dt.date, ScanResult] = {}
        self._newest: dt.date | None = None

    def newest_day(self) -> dt.date:
        """Return the newest day of data in the warehouse."""
        if self._newest is None:
            span = self.ctx.warehouse.date_range(until=newest_allowed_day(self.ctx))
            if span is None:
                raise ToolError("the warehouse holds no events yet")
            self._newest = span[1]
        return self._newest

    def day(self, value: dt.date | None) -> dt.date:
        """Return `value`, defaulting to the newest day, refusing days without data."""
        newest = self.newest_day()
        if value is None:
            return newest
        if value > newest:
            raise ToolError(f"as_of {value} is after the newest data ({newest})")
        return value

    def scan(self, as_of: dt.date) -> ScanResult:
        """Return the investigation of the window ending `as_of` (cached per conversation)."""
        if as_of not in self._scans:
            # The chat's model writes its own answer; the scan's hypotheses stay templated.
            try:
                outcome = run_scan(
                    dataclasses.replace(self.ctx, llm=None), as_of=as_of, propose=False
                )
            except InputError as exc:
                raise ToolError(exc.reason) from None
            self._scans[as_of] = outcome.result
            for bd in outcome.result.breakdowns:
                self.known[bd.id] = as_of.isoformat()
        return self._scans[as_of]

    def breakdown(self, breakdown_id: str) -> tuple[Breakdown, dt.date]:
        """Return a breakdown found earlier in this conversation, with its window end."""
        day = self.known.get(breakdown_id)
        if day is None:
            raise ToolError(
                f"unknown breakdown_id {breakdown_id!r}: call detect_breakdowns first and use "
                "an id it returned"
            )
        as_of = dt.date.fromisoformat(day)
        for bd in self.scan(as_of).breakdowns:
            if bd.id == breakdown_id:
                return bd, as_of
        raise ToolError(f"breakdown {breakdown_id!r} is no longer detected for {as_of}")

    def check_place(self, journey: str | None, stage: str | None = None) -> None:
        """Refuse journeys and stages the warehouse does not have, listing the known ones."""
        journeys = self.ctx.warehouse.journeys()
        if journey is not None and journey not in journeys:
            raise ToolError(unknown_name("journey", "journey", journey, journeys).reason)
        if stage is not None:
            stages = (
                journeys[journey] if journey else sorted({s for v in journeys.values() for s in v})
            )
            if stage not in stages:
                raise ToolError(unknown_name("stage", "stage", stage, stages).reason)

    def metric(self, name: str) -> MetricDef:
        """Return a catalog metric, or a readable error listing the catalog."""
        metrics = self.ctx.settings.metrics
        if name not in metrics:
            raise ToolError(unknown_name("metric", "metric", name, metrics).reason)
        return metrics[name]
