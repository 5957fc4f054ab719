"""Rows of an insights file (CSV or JSONL): reading, validation and sanitizing.

Every row is validated before anything is written, so a bad file changes nothing; errors
name the file, line and field.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from datetime import time as dtime
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator

from store.errors import InputError
from store.insights.sanitize import sanitize_text

if TYPE_CHECKING:
    from store.insights.embedding import Vectors

_SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
# The store's derived day keys (store.insights._chroma): never taken from input.
_DERIVED = {"jd", "jsd"}
Meta = dict[str, str | int | float]


@dataclass(frozen=True)
class InsightIngestReport:
    file: str
    rows: int
    added: int
    skipped_existing: int
    seconds: float


@dataclass(frozen=True)
class InsightRecord:
    id: str
    text: str
    metadata: Meta
    embedding: Vectors | None = field(default=None, compare=False)


@dataclass(frozen=True)
class InsightHit:
    id: str
    text: str
    metadata: Meta
    distance: float


@dataclass(frozen=True)
class Row:
    id: str
    text: str
    meta: Meta


def epoch(d: date, *, end: bool = False) -> int:
    moment = datetime.combine(d, dtime.max if end else dtime.min, tzinfo=UTC)
    return int(moment.timestamp())


def _parse_ts(raw: str) -> datetime:
    ts = datetime.fromisoformat(raw.strip().replace("Z", "+00:00"))
    return ts if ts.tzinfo else ts.replace(tzinfo=UTC)


def read_records(path: Path) -> Iterator[tuple[int, dict[str, object]]]:
    with path.open(encoding="utf-8", newline="") as fh:
        if path.suffix.lower() in {".jsonl", ".ndjson"}:
            for lineno, line in enumerate(fh, start=1):
                if not line.strip():
                    continue
                try:
                    obj = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise InputError(str(path), lineno, None, f"invalid JSON: {exc.msg}") from exc
                if not isinstance(obj, dict):
                    raise InputError(str(path), lineno, None, "expected a JSON object")
                yield lineno, obj
        else:
            reader = csv.DictReader(fh)
            for rec in reader:
                yield reader.line_num, dict(rec)


class InsightRow(BaseModel):
    """One insight as a file gives it; every other key is a dimension (checked below)."""

    model_config = ConfigDict(extra="allow", coerce_numbers_to_str=True)

    id: str = Field(min_length=1)
    ts: datetime
    journey: str = Field(pattern=_SLUG.pattern)
    stage: str = Field(default="", pattern=r"^$|" + _SLUG.pattern)
    source: str = ""
    text: str = Field(min_length=1)
    score: float | None = None

    @field_validator("ts", mode="before")
    @classmethod
    def _iso_timestamp(cls, value: object) -> datetime:
        return _parse_ts(str(value))

    @field_validator("id", "journey", "stage", "source", "score", mode="before")
    @classmethod
    def _strip(cls, value: object, info: ValidationInfo) -> object:
        if value is None or (isinstance(value, str) and not value.strip()):
            return None if info.field_name == "score" else ""
        return value.strip() if isinstance(value, str) else value

    @field_validator("text", mode="before")
    @classmethod
    def _text_is_a_string(cls, value: object) -> object:
        # The text is kept as given (its hash is stored); only blank text is refused.
        if not isinstance(value, str) or not value.strip():
            raise ValueError("empty")
        return value


_REASONS: dict[str, Callable[[str], str]] = {
    "id": lambda raw: "missing",
    "ts": lambda raw: f"not an ISO-8601 timestamp ({raw!r})",
    "journey": lambda raw: f"not a slug ({raw!r})",
    "stage": lambda raw: f"not a slug ({raw!r})",
    "text": lambda raw: "empty",
    "score": lambda raw: f"not a number ({raw!r})",
}


def validate_row(path: Path, lineno: int, rec: Mapping[str, object], max_chars: int) -> Row:
    """Validate one record into a row; raise InputError naming file, line and field."""
    record = {str(k): v for k, v in rec.items() if k is not None}
    try:
        row = InsightRow.model_validate(record)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = str(first["loc"][0]) if first["loc"] else "record"
        raw = "" if record.get(field) is None else str(record.get(field)).strip()
        explain = _REASONS.get(field)
        reason = explain(raw) if explain is not None else str(first["msg"])
        raise InputError(str(path), lineno, field, reason) from None
    clean, digest = sanitize_text(row.text, max_chars=max_chars)
    if not clean:
        raise InputError(str(path), lineno, "text", "empty after sanitizing")
    meta: Meta = {
        "journey": row.journey,
        "stage": row.stage,
        "source": row.source,
        "ts": row.ts.isoformat(),
        "ts_epoch": int(row.ts.timestamp()),
        "original_sha256": digest,
    }
    if row.score is not None:
        meta["score"] = row.score
    for key, value in (row.model_extra or {}).items():
        if key in _DERIVED or value is None or str(value).strip() == "":
            continue
        meta[key] = sanitize_text(str(value), max_chars=200)[0]
    return Row(row.id, clean, meta)
