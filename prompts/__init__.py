"""Prompt and narrative templates, one file each, rendered by one strict function."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import jinja2

_DIR = Path(__file__).resolve().parent

__all__ = ["available", "render"]


@lru_cache(maxsize=1)
def _env() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(_DIR),
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        keep_trailing_newline=False,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render(name: str, /, **variables: object) -> str:
    """Render the template `name` (file name without `.j2`); a missing variable fails."""
    return _env().get_template(f"{name}.j2").render(**variables).strip()


def available() -> list[str]:
    """Return the names of every template shipped in this package."""
    return sorted(p.name.removesuffix(".j2") for p in _DIR.glob("*.j2"))
