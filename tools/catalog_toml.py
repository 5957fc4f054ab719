"""Write catalog metrics as TOML `[metrics.*]` tables that config.toml can include."""

from __future__ import annotations

import re
from pathlib import Path

import tomli_w

from store.catalog import MetricDef
from tools.dbt_metrics import CatalogImport

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def metric_table(metric: MetricDef) -> dict[str, object]:
    """Return one metric as the TOML table config.toml uses (terms in their text form)."""
    table: dict[str, object] = {
        "label": metric.label,
        "numerator": metric.numerator.text,
        "denominator": metric.denominator.text,
        "direction": metric.direction,
        "unit": metric.unit,
        "unit_value": metric.unit_value,
        "min_effect": metric.min_effect,
    }
    if metric.unit_value_column:
        table["unit_value_column"] = metric.unit_value_column
    return table


def render_toml(result: CatalogImport, *, source: Path) -> str:
    """Return the mapped metrics as TOML, each with its source and notes as comments."""
    lines = [
        f"# Metrics imported from the dbt project {_comment(str(source))} by",
        "# `journeyops metrics import dbt`. Review the notes, then add this file to",
        "# include = [...] under [catalog] in config.toml.",
        "",
    ]
    for m in result.mapped:
        lines.append(f"# {m.name}: from {_comment(m.source)}")
        lines += [f"#   note: {_comment(n)}" for n in m.notes]
        lines.append(tomli_w.dumps({"metrics": {m.name: metric_table(m.metric)}}).rstrip())
        lines.append("")
    for u in result.unmapped:
        lines.append(f"# not mapped: {u.name} ({_comment(u.source)}): {_comment(u.reason)}")
    return "\n".join(lines).rstrip() + "\n"


def _comment(text: str) -> str:
    """Return untrusted text safe inside a one-line TOML comment."""
    return _CONTROL.sub(" ", text)
