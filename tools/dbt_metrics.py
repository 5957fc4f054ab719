"""Map a dbt semantic layer onto the metric catalog: ratios of sums over event columns.

journeyops decomposes every metric by segment, so it can only use metrics that are a sum
over visits divided by a sum over visits. The mapping, metric by metric:

- `ratio` of two metrics: each side becomes a term — `sum(col)` → `col`, `sum_boolean(col)`
  → `col`, `count` of rows → `visits`, `count(col)` → `count:col`; a filter comparing one
  numeric column with a number (`{{ Dimension('x__contacts') }} > 1`) → `contacts>1`.
- `simple` with `average(col)` → `col / count:col`; `sum_boolean(col)` → `col / visits` (a
  rate); `sum(col)` → `col / visits` (the mean per visit).
- Not mappable, with the reason: counts alone (a volume, not a rate), `count_distinct`,
  `median`, `percentile`, `min`, `max` (not sums), SQL expressions that are not a column,
  filters on categories, and `derived`, `cumulative` and `conversion` metrics.

Direction, unit and money come from the metric's `meta` (`journeyops: {direction, unit,
unit_value, unit_value_column, min_effect}`, or the same keys flat). Without a direction
it is inferred from words in the name only when they are unambiguous, and the note says so.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from store.catalog import MetricDef, Term
from store.dbt_project import Aggregation, DbtMetric, DbtProject, InputMetric

_COLUMN = re.compile(r"^[a-z_][a-z0-9_]*$")
_FILTER = re.compile(
    r"^\s*\{\{\s*Dimension\(\s*'(?:\w+__)?(?P<col>[a-z_][a-z0-9_]*)'\s*\)\s*\}\}\s*"
    r"(?P<op>>=|<=|>|<|=)\s*(?P<num>-?\d+(?:\.\d+)?)\s*$"
)
_CASE = re.compile(
    r"^\s*case\s+when\s+(?P<col>[a-z_][a-z0-9_]*)\s*(?P<op>>=|<=|>|<|=)\s*"
    r"(?P<num>-?\d+(?:\.\d+)?)\s+then\s+1\s+else\s+0\s+end\s*$",
    re.IGNORECASE,
)
_LOWER_WORDS = ("cost", "duration", "time", "churn", "error", "fail", "abandon", "latency",
                "wait", "repeat", "transfer", "complaint", "refund", "drop")  # fmt: skip
_HIGHER_WORDS = ("conversion", "csat", "nps", "satisfaction", "completion", "success",
                 "retention", "revenue", "resolved", "activation")  # fmt: skip
_UNMAPPED_TYPES = {
    "derived": "a derived metric is an expression over other metrics, not one ratio of sums",
    "cumulative": "a cumulative metric runs over a time window; journeyops compares windows",
    "conversion": "a conversion metric joins two event streams by entity within a window; "
    "define stage conversion as a ratio of a completed flag over visits instead",
}


class Mapped(BaseModel):
    """A dbt metric that became a catalog metric, with what the user should check."""

    name: str
    source: str
    metric: MetricDef
    notes: list[str] = []


class Unmapped(BaseModel):
    """A dbt metric that cannot be a ratio of sums, and why."""

    name: str
    source: str
    reason: str


class CatalogImport(BaseModel):
    """What an import produced: catalog metrics, refusals, and the dimensions it expects."""

    mapped: list[Mapped]
    unmapped: list[Unmapped]
    dimensions: dict[str, list[str]]


class _NotMappable(Exception):
    """The metric cannot be expressed as a ratio of sums; the message says why."""


def map_project(project: DbtProject) -> CatalogImport:
    """Map every metric of a dbt project onto the catalog, or say why it cannot be."""
    mapped: dict[tuple[str, str], Mapped] = {}
    unmapped: list[Unmapped] = []
    # Ratios first, so a simple metric that only restates a ratio's numerator is the duplicate.
    order = sorted(project.metrics.values(), key=lambda m: (m.type != "ratio", m.name))
    for metric in order:
        source = f"{_relative(metric.file, project)}:{metric.line}"
        try:
            found = _map(metric, project, source)
        except _NotMappable as exc:
            unmapped.append(Unmapped(name=metric.name, source=source, reason=str(exc)))
            continue
        key = (found.metric.numerator.text, found.metric.denominator.text)
        if key in mapped:
            reason = f"the same ratio of sums as {mapped[key].name}, which is imported"
            unmapped.append(Unmapped(name=metric.name, source=source, reason=reason))
            continue
        mapped[key] = found
    return CatalogImport(
        mapped=sorted(mapped.values(), key=lambda m: m.name),
        unmapped=sorted(unmapped, key=lambda u: u.name),
        dimensions=project.dimensions,
    )


def _relative(file: str, project: DbtProject) -> str:
    path = Path(file)
    return path.relative_to(project.root).as_posix() if path.is_relative_to(project.root) else file


def _map(metric: DbtMetric, project: DbtProject, source: str) -> Mapped:
    if metric.type in _UNMAPPED_TYPES:
        raise _NotMappable(_UNMAPPED_TYPES[metric.type])
    if not _COLUMN.match(metric.name):
        raise _NotMappable("its name is not a lowercase identifier")
    notes: list[str] = []
    if metric.type == "ratio":
        if metric.numerator is None or metric.denominator is None:
            raise _NotMappable("a ratio needs a numerator and a denominator")
        if metric.filter:
            raise _NotMappable("a filter on the whole ratio selects a segment, not a metric")
        num = _term(metric.numerator, project)
        den = _term(metric.denominator, project)
        unit = "rate" if num.kind in ("where", "count", "rows") else ""
    elif metric.type == "simple":
        assert metric.aggregation is not None, "read_dbt_project resolves simple metrics"
        if metric.filter:
            raise _NotMappable(_filter_problem(metric.filter))
        num, den, unit, note = _simple(metric.aggregation)
        notes += [note] if note else []
    else:
        raise _NotMappable(f"unknown metric type {metric.type!r}")
    meta = _journeyops_meta(metric.meta)
    direction = meta.get("direction") or _infer_direction(metric, notes)
    values: dict[str, Any] = {
        "name": metric.name,
        "label": metric.label or metric.name.replace("_", " ").capitalize(),
        "numerator": num,
        "denominator": den,
        "direction": direction,
        "unit": meta.get("unit", unit),
        "unit_value": meta.get("unit_value", 0.0),
        "unit_value_column": meta.get("unit_value_column"),
        "min_effect": meta.get("min_effect", 0.0),
    }
    if "unit_value" not in meta and "unit_value_column" not in meta:
        notes.append("no money model: set meta.journeyops.unit_value to price its breakdowns")
    try:
        return Mapped(
            name=metric.name, source=source, metric=MetricDef.model_validate(values), notes=notes
        )
    except ValidationError as exc:
        err = exc.errors()[0]
        field = ".".join(str(p) for p in err["loc"])
        raise _NotMappable(f"meta.journeyops.{field}: {err['msg']}") from None


def _simple(agg: Aggregation) -> tuple[Term, Term, str, str]:
    if agg.agg == "count":
        raise _NotMappable(
            "a count is a volume, not a rate; journeyops watches volumes in its data-quality "
            "checks — use it as a ratio's denominator"
        )
    if agg.agg not in ("sum", "sum_boolean", "average"):
        raise _NotMappable(f"`{agg.agg}` is not a sum, so it cannot be split by segment")
    case = _CASE.match(agg.expr or "")
    if case is not None and agg.agg != "average":
        return _where(case), Term(kind="rows"), "rate", ""
    column = _column(agg)
    if agg.agg == "average":
        return Term(kind="sum", column=column), Term(kind="count", column=column), "", ""
    if agg.agg == "sum_boolean":
        return Term(kind="sum", column=column), Term(kind="rows"), "rate", ""
    note = f"mapped as the mean of {column} per visit (a sum is not a rate)"
    return Term(kind="sum", column=column), Term(kind="rows"), "", note


def _term(ref: InputMetric, project: DbtProject) -> Term:
    target = project.metrics.get(ref.name)
    agg = target.aggregation if target is not None else project.measures.get(ref.name)
    if agg is None:
        kind = f"a {target.type} metric" if target is not None else "unknown"
        raise _NotMappable(f"{ref.name!r} is {kind}; a ratio's sides must be simple metrics")
    condition = ref.filter or (target.filter if target is not None else None)
    if condition:
        m = _FILTER.match(condition)
        if m is None or agg.agg not in ("count", "sum_boolean"):
            raise _NotMappable(_filter_problem(condition))
        return _where(m)
    if agg.agg == "count":
        expr = (agg.expr or "1").strip()
        return Term(kind="rows") if expr == "1" else Term(kind="count", column=_column(agg))
    if agg.agg in ("sum", "sum_boolean"):
        case = _CASE.match(agg.expr or "")
        if case is not None:
            return _where(case)
        return Term(kind="sum", column=_column(agg))
    raise _NotMappable(f"{ref.name!r} aggregates with `{agg.agg}`, not a sum or a count")


def _column(agg: Aggregation) -> str:
    column = (agg.expr or agg.name).strip()
    if not _COLUMN.match(column):
        raise _NotMappable(f"{agg.name!r} aggregates the SQL expression {column!r}, not a column")
    return column


def _where(match: re.Match[str]) -> Term:
    """Return the term counting rows where a column compares with a number."""
    return Term.model_validate(
        {"kind": "where", "column": match["col"], "op": match["op"], "threshold": match["num"]}
    )


def _filter_problem(condition: str) -> str:
    return (
        f"its filter {condition.strip()!r} is not one numeric column compared with a number, "
        "so it cannot be a term of a ratio of sums"
    )


def _journeyops_meta(meta: Mapping[str, Any]) -> dict[str, Any]:
    nested = meta.get("journeyops")
    source = nested if isinstance(nested, dict) else meta
    keys = ("direction", "unit", "unit_value", "unit_value_column", "min_effect")
    return {k: source[k] for k in keys if k in source}


def _infer_direction(metric: DbtMetric, notes: list[str]) -> str:
    words = f"{metric.name} {metric.label}".lower()
    lower = any(w in words for w in _LOWER_WORDS)
    higher = any(w in words for w in _HIGHER_WORDS)
    if lower == higher:
        raise _NotMappable(
            "no direction: add meta: {journeyops: {direction: higher|lower}} to the metric"
        )
    notes.append("direction inferred from its name: confirm with meta.journeyops.direction")
    return "lower" if lower else "higher"
