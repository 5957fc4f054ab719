"""Read a dbt project's semantic layer (MetricFlow YAML) into typed definitions.

Both YAML specs are read: the legacy one (top-level `semantic_models:` with `measures:`, and
`metrics:` with `type_params:`) and the latest one (dbt 1.12+: a model's `semantic_model:`,
its `columns:` carrying `dimension:`/`entity:`, its `metrics:` of `type: simple`, and
top-level `metrics:` whose type parameters are direct keys). Only what the metric catalog
can use is kept; everything is untrusted text, and a file that is not YAML, or a definition
of the wrong shape, is an error naming the file and line.

`dbt-semantic-interfaces` would parse this too, but it pins `click` and `python-dateutil`
below what chromadb's dependencies need, so the subset we read is modelled here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict

from store.errors import InputError

MetricType = Literal["simple", "ratio", "derived", "cumulative", "conversion"]
_MAX_FILE_BYTES = 1 << 20
_MAX_FILES = 1000
_SKIPPED_DIRS = {"target", "dbt_packages", "logs", "node_modules"}
_LINE = "__line__"


class DbtDefinition(BaseModel):
    """Where a definition was read: the file and the line of its mapping."""

    model_config = ConfigDict(frozen=True)

    file: str
    line: int


class Aggregation(DbtDefinition):
    """A measure (legacy spec) or a simple metric's aggregation (latest spec)."""

    name: str
    agg: str
    expr: str | None = None
    semantic_model: str


class InputMetric(BaseModel):
    """A metric referenced by another one, with the filter applied to it."""

    model_config = ConfigDict(frozen=True)

    name: str
    filter: str | None = None


class DbtMetric(DbtDefinition):
    """A metric of the semantic layer, reduced to what the catalog can map."""

    name: str
    type: str
    label: str = ""
    description: str = ""
    filter: str | None = None
    aggregation: Aggregation | None = None
    numerator: InputMetric | None = None
    denominator: InputMetric | None = None
    meta: dict[str, Any] = {}


class DbtProject(BaseModel):
    """The semantic layer of one dbt project."""

    root: Path
    metrics: dict[str, DbtMetric]
    measures: dict[str, Aggregation]
    dimensions: dict[str, list[str]]
    files_read: int


class _LineLoader(yaml.SafeLoader):
    """A safe loader that remembers the line each mapping starts on."""


def _mapping_with_line(loader: _LineLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    mapping = loader.construct_mapping(node, deep=True)
    mapping[_LINE] = node.start_mark.line + 1
    return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping_with_line)


def read_dbt_project(root: Path) -> DbtProject:
    """Read every semantic model and metric under a dbt project's model paths."""
    if not root.is_dir():
        raise InputError(str(root), None, None, "not a folder (give the dbt project's root)")
    files = _yaml_files(root)
    measures: dict[str, Aggregation] = {}
    metrics: dict[str, DbtMetric] = {}
    dimensions: dict[str, list[str]] = {}
    for path in files:
        doc = _load(path)
        for sm in _entries(doc, "semantic_models", path):
            _legacy_semantic_model(sm, path, measures, dimensions)
        for model in _entries(doc, "models", path):
            _latest_model(model, path, metrics, measures, dimensions)
        for m in _entries(doc, "metrics", path):
            metric = _metric(m, path, measures)
            _add(metrics, metric.name, metric)
    for metric in metrics.values():
        if metric.type == "simple" and metric.aggregation is None:
            raise InputError(
                metric.file, metric.line, "measure", f"metric {metric.name!r}: unknown measure"
            )
    return DbtProject(
        root=root, metrics=metrics, measures=measures, dimensions=dimensions, files_read=len(files)
    )


def _yaml_files(root: Path) -> list[Path]:
    project = root / "dbt_project.yml"
    paths = ["models"]
    if project.is_file():
        config = _load(project)
        configured = config.get("model-paths") if isinstance(config, dict) else None
        if isinstance(configured, list) and all(isinstance(p, str) for p in configured):
            paths = configured
    found: list[Path] = []
    for sub in paths:
        base = (root / sub).resolve()
        if root.resolve() not in (base, *base.parents):
            raise InputError(str(project), None, "model-paths", f"{sub!r} leaves the project")
        for path in sorted(base.rglob("*")) if base.is_dir() else []:
            rel = path.relative_to(base).parts
            if path.suffix in (".yml", ".yaml") and not any(
                p.startswith(".") or p in _SKIPPED_DIRS for p in rel
            ):
                found.append(path)
    if len(found) > _MAX_FILES:
        raise InputError(str(root), None, None, f"more than {_MAX_FILES} YAML files")
    return found


def _load(path: Path) -> Any:
    if path.stat().st_size > _MAX_FILE_BYTES:
        raise InputError(str(path), None, None, "larger than 1 MiB; not a dbt YAML file")
    try:
        text = path.read_text(encoding="utf-8")
        return yaml.load(text, Loader=_LineLoader)
    except UnicodeDecodeError as exc:
        raise InputError(str(path), None, None, "not UTF-8 text") from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or type(exc).__name__
        raise InputError(str(path), line, None, f"not valid YAML: {problem}") from exc


def _entries(doc: Any, key: str, path: Path) -> list[dict[str, Any]]:
    if not isinstance(doc, dict) or key not in doc:
        return []
    value = doc[key]
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise InputError(str(path), doc.get(_LINE), key, "expected a list of mappings")
    return value


def _text(entry: dict[str, Any], key: str, path: Path, *, required: bool = False) -> str | None:
    value = entry.get(key)
    if value is None:
        if required:
            raise InputError(str(path), entry.get(_LINE), key, "missing")
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise InputError(str(path), entry.get(_LINE), key, "expected text")
    return str(value)


def _add(table: dict[str, Any], name: str, value: DbtDefinition) -> None:
    if name in table:
        first = table[name]
        raise InputError(
            value.file, value.line, "name", f"{name!r} is also defined at {first.file}:{first.line}"
        )
    table[name] = value


def _legacy_semantic_model(
    sm: dict[str, Any],
    path: Path,
    measures: dict[str, Aggregation],
    dimensions: dict[str, list[str]],
) -> None:
    name = _text(sm, "name", path, required=True) or ""
    for dim in _entries(sm, "dimensions", path):
        if dim.get("type") == "categorical":
            column = _text(dim, "expr", path) or _text(dim, "name", path, required=True) or ""
            dimensions.setdefault(name, []).append(column)
    for measure in _entries(sm, "measures", path):
        agg = Aggregation(
            file=str(path),
            line=int(measure.get(_LINE, 0)),
            name=_text(measure, "name", path, required=True) or "",
            agg=_text(measure, "agg", path, required=True) or "",
            expr=_text(measure, "expr", path),
            semantic_model=name,
        )
        _add(measures, agg.name, agg)


def _latest_model(
    model: dict[str, Any],
    path: Path,
    metrics: dict[str, DbtMetric],
    measures: dict[str, Aggregation],
    dimensions: dict[str, list[str]],
) -> None:
    semantic = model.get("semantic_model")
    enabled = semantic is True or (isinstance(semantic, dict) and semantic.get("enabled") is True)
    if not enabled:
        return
    name = _text(model, "name", path, required=True) or ""
    if isinstance(semantic, dict):
        name = _text(semantic, "name", path) or name
    for column in _entries(model, "columns", path):
        dim = column.get("dimension")
        if isinstance(dim, dict) and dim.get("type") == "categorical":
            dimensions.setdefault(name, []).append(_text(column, "name", path, required=True) or "")
    for m in _entries(model, "metrics", path):
        if m.get("type", "simple") == "simple":
            agg = Aggregation(
                file=str(path),
                line=int(m.get(_LINE, 0)),
                name=_text(m, "name", path, required=True) or "",
                agg=_text(m, "agg", path, required=True) or "",
                expr=_text(m, "expr", path),
                semantic_model=name,
            )
            _add(measures, agg.name, agg)
        metric = _metric(m, path, measures)
        _add(metrics, metric.name, metric)


def _metric(m: dict[str, Any], path: Path, measures: dict[str, Aggregation]) -> DbtMetric:
    name = _text(m, "name", path, required=True) or ""
    kind = _text(m, "type", path) or "simple"
    params = m.get("type_params") if isinstance(m.get("type_params"), dict) else {}
    assert isinstance(params, dict)

    def param(key: str) -> Any:
        return params.get(key, m.get(key))

    measure_ref = _input(param("measure"), path, m)
    aggregation = None
    if kind == "simple":
        ref = measure_ref.name if measure_ref else name
        aggregation = measures.get(ref)
    config = m.get("config")
    meta = m.get("meta") or (config.get("meta") if isinstance(config, dict) else None) or {}
    return DbtMetric(
        file=str(path),
        line=int(m.get(_LINE, 0)),
        name=name,
        type=kind,
        label=_text(m, "label", path) or "",
        description=_text(m, "description", path) or "",
        filter=_filter_text(m.get("filter"), path, m)
        or (measure_ref.filter if measure_ref else None),
        aggregation=aggregation,
        numerator=_input(param("numerator"), path, m),
        denominator=_input(param("denominator"), path, m),
        meta={k: v for k, v in meta.items() if k != _LINE} if isinstance(meta, dict) else {},
    )


def _input(value: Any, path: Path, owner: dict[str, Any]) -> InputMetric | None:
    if value is None:
        return None
    if isinstance(value, str):
        return InputMetric(name=value)
    ref = value.get("name", value.get("measure")) if isinstance(value, dict) else None
    if isinstance(value, dict) and isinstance(ref, str):
        return InputMetric(name=ref, filter=_filter_text(value.get("filter"), path, value))
    raise InputError(str(path), owner.get(_LINE), "numerator", "expected a metric name")


def _filter_text(value: Any, path: Path, owner: dict[str, Any]) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return " and ".join(value)
    raise InputError(str(path), owner.get(_LINE), "filter", "expected a filter expression")
