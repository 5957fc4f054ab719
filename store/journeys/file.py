"""Journeys file loader (TOML or YAML): nested journeys, ordered stages, owners, councils."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from store.errors import InputError

Role = Literal["viewer", "journey_owner", "council_member", "admin"]
DECIDING_ROLES: frozenset[str] = frozenset({"journey_owner", "council_member"})
_SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]*$")


class MemberSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    user: str = Field(min_length=1)
    role: Role


class CouncilSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    quorum: int = Field(default=1, ge=1)
    members: list[MemberSpec] = []
    high_risk_playbooks: list[str] = []
    high_risk_quorum: int | None = Field(default=None, ge=1)


class JourneySpec(BaseModel):
    """One journey as declared in a journeys file."""

    model_config = ConfigDict(extra="forbid")

    id: str
    name: str = ""
    parent: str | None = None
    owner: str | None = None
    stages: list[str] = []
    council: CouncilSpec | None = None

    @field_validator("stages", mode="before")
    @classmethod
    def _stage_ids(cls, v: object) -> object:
        if isinstance(v, list):
            return [s.get("id") if isinstance(s, dict) else s for s in v]
        return v


def load_journeys_file(path: Path) -> list[JourneySpec]:
    """Parse and validate a journeys file; errors name the file, line and field."""
    text = _read(path)
    if path.suffix.lower() not in (".toml", ".yaml", ".yml"):
        raise InputError(str(path), None, None, "a journeys file ends in .toml, .yaml or .yml")
    try:
        raw = (
            yaml.safe_load(text)
            if path.suffix.lower() in (".yaml", ".yml")
            else tomllib.loads(text)
        )
    except (tomllib.TOMLDecodeError, yaml.YAMLError) as exc:
        raise InputError(
            str(path), _error_line(exc), None, f"not valid {path.suffix[1:].upper()}: {exc}"
        ) from exc
    entries = _flatten((raw or {}).get("journeys"), parent=None) if isinstance(raw, dict) else None
    if not entries:
        raise InputError(str(path), 1, "journeys", "no journeys: expect a list under `journeys`")
    ids = [str(e.get("id", "")) for e in entries]
    specs: list[JourneySpec] = []
    for entry, ident in zip(entries, ids, strict=True):
        try:
            specs.append(JourneySpec.model_validate(entry))
        except ValidationError as exc:
            err = exc.errors()[0]
            field = ".".join(str(p) for p in err["loc"])
            keys = [str(p) for p in err["loc"] if not isinstance(p, int)]
            value = err["input"] if isinstance(err["input"], str | int) else None
            line = _line_in(text, ident, ids, keys[-1] if keys else "id", value)
            raise InputError(str(path), line, field, f"journey {ident!r}: {err['msg']}") from exc
    _check(specs, path, text)
    return specs


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(str(path), None, None, f"cannot read: {exc.strerror}") from exc


def _flatten(entries: object, *, parent: str | None) -> list[dict[str, object]]:
    """Turn nested `children` lists into flat entries that name their parent."""
    if not isinstance(entries, list):
        return []
    out: list[dict[str, object]] = []
    for entry in entries:
        if not isinstance(entry, dict):
            continue
        item = dict(entry)
        children = item.pop("children", [])
        if parent is not None:
            item.setdefault("parent", parent)
        out.append(item)
        out.extend(_flatten(children, parent=str(item.get("id"))))
    return out


def _check(specs: list[JourneySpec], path: Path, text: str) -> None:
    ids = [s.id for s in specs]
    by_id = {s.id: s for s in specs}
    for spec in specs:
        line = _line_of(text, spec.id)

        def at(key: str, value: str | int | None = None, spec: JourneySpec = spec) -> int | None:
            return _line_in(text, spec.id, ids, key, value)

        if not _SLUG.match(spec.id):
            raise InputError(str(path), line, "id", f"journey id {spec.id!r} is not a slug")
        if ids.count(spec.id) > 1:
            again = _line_of(text, spec.id, nth=2)
            raise InputError(str(path), again, "id", f"journey id {spec.id!r} is declared twice")
        if spec.parent is not None and spec.parent not in by_id:
            raise InputError(
                str(path),
                at("parent", spec.parent),
                "parent",
                f"journey {spec.id!r}: unknown parent {spec.parent!r}",
            )
        for stage in spec.stages:
            if not isinstance(stage, str) or not _SLUG.match(stage):
                raise InputError(
                    str(path),
                    at("stages", str(stage)),
                    "stages",
                    f"journey {spec.id!r}: stage {stage!r} is not a slug",
                )
        if len(set(spec.stages)) != len(spec.stages):
            twice = next(st for st in spec.stages if spec.stages.count(st) > 1)
            raise InputError(
                str(path),
                at("stages", twice),
                "stages",
                f"journey {spec.id!r}: stage {twice!r} is listed twice",
            )
        seen, node = {spec.id}, spec.parent
        while node is not None:
            if node in seen:
                raise InputError(
                    str(path),
                    at("parent", spec.parent),
                    "parent",
                    f"journey {spec.id!r}: parent cycle",
                )
            seen.add(node)
            node = by_id[node].parent
        council = spec.council
        if council is not None:
            users = [m.user for m in council.members]
            for user in users:
                if users.count(user) > 1:
                    raise InputError(
                        str(path),
                        at("user", user),
                        "council.members",
                        f"journey {spec.id!r}: council member {user!r} is listed twice",
                    )
            deciders = {m.user for m in council.members if m.role in DECIDING_ROLES}
            for q, name in (
                (council.quorum, "quorum"),
                (council.high_risk_quorum, "high_risk_quorum"),
            ):
                if q is not None and q > len(deciders):
                    raise InputError(
                        str(path),
                        at(name, q),
                        f"council.{name}",
                        f"journey {spec.id!r}: {name} {q} exceeds its "
                        f"{len(deciders)} deciding members",
                    )


def _line_of(text: str, needle: str, *, nth: int = 1) -> int | None:
    """Return the nth line that declares `needle` as an id (best effort)."""
    if not needle:
        return None
    pattern = re.compile(rf"""(^|\W)id\s*[=:]\s*["']?{re.escape(needle)}["']?\s*(#.*)?$""")
    found = [i for i, line in enumerate(text.splitlines(), start=1) if pattern.search(line.strip())]
    return found[nth - 1] if len(found) >= nth else (found[0] if found else None)


def _line_in(
    text: str, ident: str, ids: list[str], key: str, value: str | int | None = None
) -> int | None:
    """Return the line of `key` (holding `value`) within a journey's entry (best effort).

    The entry runs from the line declaring its id to the next line declaring another
    journey's id; when the key is not found there, the id's line is the answer.
    """
    start = _line_of(text, ident)
    if start is None:
        return None
    ends = [n for other in ids if other != ident and (n := _line_of(text, other)) and n > start]
    end = min(ends, default=len(text.splitlines()) + 1)
    key_re = re.compile(rf"""(^|[\s{{,])["']?{re.escape(key)}["']?\s*[=:]""")
    wanted = None if value is None else str(value)
    for number, line in enumerate(text.splitlines()[start - 1 : end - 1], start=start):
        if key_re.search(line) and (wanted is None or wanted in line):
            return number
    if wanted is not None:
        # A value on a continuation line of a multi-line list or table.
        for number, line in enumerate(text.splitlines()[start - 1 : end - 1], start=start):
            if re.search(rf"""["'\s]{re.escape(wanted)}["',\s\]]""", line + " "):
                return number
    return start


def _error_line(exc: Exception) -> int | None:
    mark = getattr(exc, "problem_mark", None)
    if mark is not None:
        return int(mark.line) + 1
    m = re.search(r"line (\d+)", str(exc))
    return int(m.group(1)) if m else None
