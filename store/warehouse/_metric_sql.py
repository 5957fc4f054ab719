"""Translate metric catalog terms (store.catalog.Term) into SQLAlchemy Core expressions.

Every expression is portable SQL (CASE, SUM, COUNT, CAST to DOUBLE) so the same aggregation runs on
DuckDB, PostgreSQL and any other SQLAlchemy warehouse.
"""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import Double, case, cast, func, literal
from sqlalchemy.sql import ColumnElement, FromClause

from store.catalog import MetricDef, Term


def metric_available(metric: MetricDef, columns: Collection[str]) -> bool:
    """Return whether every column the metric needs exists in the warehouse."""
    return metric.columns <= set(columns)


def _condition(term: Term, src: FromClause) -> ColumnElement[bool]:
    col = src.c[str(term.column)]
    thr: ColumnElement[float] = literal(term.threshold, Double())
    ops = {
        ">": col > thr,
        ">=": col >= thr,
        "<": col < thr,
        "<=": col <= thr,
        "=": col == thr,
    }
    return ops[str(term.op)]


def per_visit_value(term: Term, src: FromClause) -> ColumnElement[float]:
    """Return the term's value for one visit (row): its contribution to the sum."""
    if term.kind == "rows":
        return literal(1.0, Double())
    col = src.c[str(term.column)]
    if term.kind == "sum":
        return cast(col, Double())
    if term.kind == "count":
        return case((col.is_not(None), 1.0), else_=0.0)
    # A NULL fails the comparison, so absent values count as 0 as the catalog says.
    return case((_condition(term, src), 1.0), else_=0.0)


def term_sum(term: Term, src: FromClause) -> ColumnElement[float]:
    """Return the aggregate Σ term over the grouped rows (0 when nothing is present)."""
    if term.kind == "rows":
        return cast(func.count(), Double())
    if term.kind == "count":
        return cast(func.count(src.c[str(term.column)]), Double())
    return func.coalesce(func.sum(per_visit_value(term, src)), 0.0)


def term_sum_squares(term: Term, src: FromClause) -> ColumnElement[float]:
    """Return Σ over visits of the squared per-visit value (for variance estimates)."""
    if term.kind != "sum":
        # A row count, a presence count or a condition is 0 or 1 per visit: its square is
        # itself, and the same expression lets the engine compute the sum once.
        return term_sum(term, src)
    value = per_visit_value(term, src)
    return func.coalesce(func.sum(value * value), 0.0)
