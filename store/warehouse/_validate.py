"""Validate an events file with SQL in DuckDB staging tables and type it for loading.

The file never goes through pandas: DuckDB reads it into a VARCHAR staging table, one scan
finds the first bad row for every check, and a typed staging copy is made for the loader
(store.warehouse._load).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Connection

from store.errors import InputError, InputLimits
from store.warehouse._funnel import funnel_order
from store.warehouse._schema import (
    DERIVED,
    MEASURES,
    REQUIRED,
    events_clause,
)
from store.warehouse._staging import RAW, Run, kind_of, load_raw, quote_ident, sql_string

CLEAN = "__jo_clean"
# Share of the progress bar given to reading, validating and typing the file.
STAGING_SHARE = 0.7
_SLUG = "[a-z0-9][a-z0-9_-]*"
_BOOL = "('1', '0', 'true', 'false', '1.0', '0.0')"


def _checks(
    names: list[str],
    known_stages: Mapping[str, Collection[str]] | None,
    limits: InputLimits,
    now: datetime,
) -> list[tuple[str, str, str]]:
    """Return (field, SQL condition that marks a bad row, reason) in reporting order."""

    def blank(c: str) -> str:
        return f"({c} IS NULL OR trim({c}) = '')"

    latest = limits.latest_allowed(now).astimezone(UTC)
    ranges = limits.ranges()

    checks = [
        (
            "ts",
            f"{blank('ts')} OR try_cast(trim(ts) AS TIMESTAMPTZ) IS NULL",
            "not an ISO-8601 timestamp",
        ),
        (
            "journey",
            f"NOT coalesce(regexp_full_match(journey, '{_SLUG}'), false)",
            "not a slug (lowercase letters, digits, '-', '_')",
        ),
        (
            "stage",
            f"NOT coalesce(regexp_full_match(stage, '{_SLUG}'), false)",
            "not a slug (lowercase letters, digits, '-', '_')",
        ),
        (
            "ts",
            f"try_cast(trim(ts) AS TIMESTAMPTZ) > {sql_string(latest.isoformat())}::TIMESTAMPTZ",
            f"dated after {latest:%Y-%m-%d %H:%M} UTC (now + [inputs] future_tolerance_hours)",
        ),
        ("customer_id", blank("customer_id"), "missing value"),
        ("completed", f"coalesce(lower(trim(completed)), '') NOT IN {_BOOL}", "not 1/0/true/false"),
    ]
    for m in (n for n in names if n in MEASURES):
        c = quote_ident(m)
        num = f"try_cast(trim({c}) AS DOUBLE)"
        checks.append(
            (m, f"NOT {blank(c)} AND ({num} IS NULL OR NOT isfinite({num}))", "not a number")
        )
        low, high = ranges.get(m, (None, None))
        if low is not None:
            checks.append((m, f"{num} < {low!r}", _range_reason(m, low, high)))
        if high is not None:
            checks.append((m, f"{num} > {high!r}", _range_reason(m, low, high)))
    for journey, stages in (known_stages or {}).items():
        allowed = ", ".join(sql_string(s) for s in stages)
        unknown = f"stage NOT IN ({allowed})" if allowed else "true"
        checks.append(
            (
                "stage",
                f"journey = {sql_string(journey)} AND {unknown}",
                f"unknown stage of journey '{journey}' (not in the journeys file)",
            )
        )
    return checks


def _range_reason(measure: str, low: float | None, high: float | None) -> str:
    if high is None:
        return "must not be negative"
    return f"outside the {measure} scale {low:g}..{high:g} ([inputs] {measure}_scale)"


def _check_distinct(run: Run, path: Path, names: list[str], limits: InputLimits) -> None:
    """Refuse a dimension column with more distinct values than the limit (ids, free text)."""
    dims = [n for n in names if n not in REQUIRED and n not in MEASURES]
    if not dims:
        return
    # approx_count_distinct keeps this one bounded-memory pass, however wide the values.
    probes = ", ".join(f"approx_count_distinct({quote_ident(d)})" for d in dims)
    counts = run(f"SELECT {probes} FROM {RAW}")[0]
    for dim, count in zip(dims, counts, strict=True):
        if int(str(count)) > limits.max_distinct_values:
            raise InputError(
                path.name,
                None,
                dim,
                f"about {int(str(count)):,} distinct values; a dimension may have at most "
                f"{limits.max_distinct_values:,} per file ([inputs] max_distinct_values; "
                "an id column is not a dimension: leave it out of the file)",
            )


def _validate(run: Run, path: Path, names: list[str], checks: list[tuple[str, str, str]]) -> None:
    probes = ", ".join(f"min(CASE WHEN {cond} THEN rowid END)" for _, cond, _ in checks)
    firsts = run(f"SELECT {probes} FROM {RAW}")[0]
    bad = [(int(str(r)), i) for i, r in enumerate(firsts) if r is not None]
    if not bad:
        return
    rowid, i = min(bad)
    field, _, reason = checks[i]
    value = run(f"SELECT {quote_ident(field)} FROM {RAW} WHERE rowid = {rowid}")[0][0]
    if value is None or str(value).strip() == "":
        reason = "missing value"
    elif reason != "missing value":
        reason = f"{reason} ({str(value)!r})"
    if kind_of(path) == "csv":
        raise InputError(path.name, rowid + 2, field, reason)
    raise InputError(path.name, None, field, reason, row=rowid + 1)


def _check_columns(path: Path, names: list[str]) -> None:
    line = 1 if kind_of(path) == "csv" else None
    for req in REQUIRED:
        if req not in names:
            raise InputError(path.name, line, req, "required column is missing")
    for derived in DERIVED:
        if derived in names:
            raise InputError(path.name, line, derived, "reserved column (derived from ts)")


def _stage_clean(run: Run, names: list[str]) -> list[str]:
    """Create the typed staging table; return its columns in insert order."""
    ts = "CAST(CAST(trim(ts) AS TIMESTAMPTZ) AS TIMESTAMP)"
    cols = [
        f"{ts} AS ts",
        f"CAST({ts} AS DATE) AS day",
        "journey",
        "stage",
        "trim(customer_id) AS customer_id",
        "CASE WHEN lower(trim(completed)) IN ('1', 'true', '1.0') THEN 1 ELSE 0 END AS completed",
    ]
    out = ["ts", "day", "journey", "stage", "customer_id", "completed"]
    for n in names:
        if n in REQUIRED:
            continue
        c = quote_ident(n)
        if n in MEASURES:
            cols.append(f"CAST(NULLIF(trim({c}), '') AS DOUBLE) AS {c}")
        else:
            cols.append(f"NULLIF(trim({c}), '') AS {c}")
        out.append(n)
    run(f"DROP TABLE IF EXISTS {CLEAN}")
    # Stored in (journey, stage, day) order, a stage's rows share few row groups, so the
    # per-stage queries of a scan skip the rest by their min/max statistics.
    run(
        f"CREATE TEMP TABLE {CLEAN} AS SELECT {', '.join(cols)} FROM {RAW} "
        "ORDER BY journey, stage, day"
    )
    run(f"DROP TABLE {RAW}")
    return out


def stage_file(
    staging: Connection,
    run: Run,
    path: Path,
    known_stages: Mapping[str, Collection[str]] | None,
    progress: Callable[[int, int], None] | None = None,
    *,
    limits: InputLimits | None = None,
    now: datetime | None = None,
) -> tuple[list[str], int, dict[str, list[str]]]:
    """Read, validate and type the file in staging; return (columns, rows, journeys).

    Staging is committed on its own: rows of a table still inside a DuckDB transaction
    carry provisional rowids, and committed rowids are what give file line numbers.
    Call `drop_staging` afterwards whatever happens. `progress` sees the staging passes
    as the first STAGING_SHARE of the rows (the write pass does the rest).
    """

    def step(share: float) -> None:
        if progress is not None:
            progress(int(total * share), total)

    limits = limits or InputLimits()
    run("SET TimeZone = 'UTC'")
    names = load_raw(run, path, limits)
    staging.commit()
    total = int(str(run(f"SELECT count(*) FROM {RAW}")[0][0]))
    step(0.0)
    _check_columns(path, names)
    checks = _checks(names, known_stages, limits, now or datetime.now(UTC))
    _validate(run, path, names, checks)
    _check_distinct(run, path, names, limits)
    step(0.3)
    columns = _stage_clean(run, names)
    staging.commit()
    step(0.55)
    journeys = funnel_order(staging, events_clause(columns, CLEAN))
    staging.commit()
    step(STAGING_SHARE)
    return columns, total, journeys


def drop_staging(staging: Connection) -> None:
    """Drop the staging tables of this connection (after success or failure)."""
    staging.rollback()
    for name in (RAW, CLEAN):
        staging.exec_driver_sql(f"DROP TABLE IF EXISTS {name}")
    staging.commit()
