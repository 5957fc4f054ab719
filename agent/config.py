"""Settings: `config.toml` loaded once into a validated model, one table per concern."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any, Literal

from croniter import croniter
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from store.catalog import MetricDef
from tools.causes import LocalizationSettings
from tools.detect import DetectionSettings
from tools.recommend import Playbook
from tools.watch import LiveSettings
from tools.workflows import WorkflowTarget

DEFAULT_CONFIG = Path(__file__).resolve().parents[1] / "config.toml"


class ConfigError(Exception):
    """A configuration file that cannot be used; the message names the file and key path."""


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class MoneySettings(_Section):
    currency: str = Field(default="USD", pattern=r"^[A-Z]{3}$")


class WarehouseSettings(_Section):
    url: str = ""
    parquet_dir: str = ""
    ignore_columns: list[str] = []
    max_dimension_cardinality: int = Field(default=200, ge=2)


class StoreSettings(_Section):
    url: str = ""


class InsightSettings(_Section):
    url: str = ""
    embedder: Literal["minilm", "hashing"] = "minilm"
    max_text_chars: int = Field(default=2000, ge=100)


class LLMSettings(_Section):
    provider: Literal["offline", "openai"] = "offline"
    base_url: str = ""
    model: str = "gpt-4o-mini"
    api_key_env: str = "OPENAI_API_KEY"
    timeout_s: float = Field(default=60.0, gt=0)
    max_retries: int = Field(default=3, ge=0, le=10)


class ApprovalSettings(_Section):
    proposer: str = "journeyops-agent"
    default_quorum: int = Field(default=1, ge=1)
    expiry_days: int = Field(default=14, ge=1)
    # A proposal waiting longer than this goes to the parent journey's council.
    escalate_after_days: int = Field(default=3, ge=1)


class SchedulerSettings(_Section):
    """`journeyops schedule`: cron expressions (UTC) and where the digest goes."""

    scan_cron: str = "0 6 * * *"
    outcome_cron: str = "30 6 * * *"
    # One live-watch cycle per firing ("" = off; `journeyops watch` is the other way).
    watch_cron: str = ""
    digest_targets: list[str] = []

    @model_validator(mode="after")
    def _check_crons(self) -> SchedulerSettings:

        for key in ("scan_cron", "outcome_cron", "watch_cron"):
            if key == "watch_cron" and not self.watch_cron:
                continue
            if not croniter.is_valid(getattr(self, key)):
                raise ValueError(f"{key}: not a valid cron expression")
        return self


class WebSettings(_Section):
    """`journeyops serve`: bind address, session and confirmation lifetimes."""

    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    secret_env: str = "JOURNEYOPS_WEB_SECRET"
    session_minutes: int = Field(default=480, ge=5)
    confirm_minutes: int = Field(default=10, ge=1)
    secure_cookie: bool = False


class CatalogSettings(_Section):
    """More metric tables: TOML files of `[metrics.*]`, e.g. written by `metrics import dbt`."""

    include: list[str] = []


class Settings(_Section):
    """Everything journeyops reads from `config.toml`."""

    money: MoneySettings = MoneySettings()
    warehouse: WarehouseSettings = WarehouseSettings()
    store: StoreSettings = StoreSettings()
    insights: InsightSettings = InsightSettings()
    detection: DetectionSettings = DetectionSettings()
    localization: LocalizationSettings = LocalizationSettings()
    llm: LLMSettings = LLMSettings()
    approval: ApprovalSettings = ApprovalSettings()
    catalog: CatalogSettings = CatalogSettings()
    metrics: dict[str, MetricDef]
    playbooks: dict[str, Playbook]
    workflows: dict[str, WorkflowTarget] = {}
    schedule: SchedulerSettings = SchedulerSettings()
    web: WebSettings = WebSettings()
    live: LiveSettings = LiveSettings()

    @model_validator(mode="before")
    @classmethod
    def _name_entries(cls, data: object) -> object:
        if isinstance(data, dict):
            for table, key in (("metrics", "name"), ("playbooks", "id")):
                entries = data.get(table)
                if isinstance(entries, dict):
                    for name, entry in entries.items():
                        if isinstance(entry, dict):
                            entry.setdefault(key, name)
        return data

    @model_validator(mode="after")
    def _check_references(self) -> Settings:
        for pid, pb in self.playbooks.items():
            for m in pb.metrics:
                if m not in self.metrics:
                    raise ValueError(f"playbooks.{pid}.metrics: unknown metric {m!r}")
            if pb.workflow not in self.workflows:
                raise ValueError(f"playbooks.{pid}.workflow: unknown workflow {pb.workflow!r}")
        if self.live.alert_target and self.live.alert_target not in self.workflows:
            raise ValueError(f"live.alert_target: unknown workflow {self.live.alert_target!r}")
        for name in self.schedule.digest_targets:
            if name not in self.workflows:
                raise ValueError(f"schedule.digest_targets: unknown workflow {name!r}")
        return self


def load_settings(path: Path | None = None) -> Settings:
    """Load and validate the configuration, failing with the file, key path and reason."""
    path = path or Path(os.environ.get("JOURNEYOPS_CONFIG", "") or _default_path())
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(f"{path}: config file not found") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from exc
    _include_metrics(path, raw)
    try:
        return Settings.model_validate(raw)
    except ValidationError as exc:
        reasons = []
        for err in exc.errors():
            key = ".".join(str(p) for p in err["loc"]) or "(top level)"
            reasons.append(f"  {key}: {err['msg']}")
        raise ConfigError(f"{path}: invalid configuration\n" + "\n".join(reasons)) from exc


def _include_metrics(path: Path, raw: dict[str, Any]) -> None:
    """Merge the `[metrics.*]` tables of `[catalog] include` files into `raw`."""
    catalog = raw.get("catalog")
    includes = catalog.get("include", []) if isinstance(catalog, dict) else []
    if not isinstance(includes, list) or not all(isinstance(i, str) for i in includes):
        raise ConfigError(f"{path}: catalog.include: expected a list of file names")
    metrics = raw.setdefault("metrics", {})
    if not isinstance(metrics, dict):
        return
    for name in includes:
        extra = (path.parent / name).resolve()
        try:
            table = tomllib.loads(extra.read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            raise ConfigError(f"{path}: catalog.include: {extra} not found") from exc
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{extra}: not valid TOML: {exc}") from exc
        if set(table) - {"metrics"} or not isinstance(table.get("metrics"), dict):
            raise ConfigError(f"{extra}: an included catalog holds only [metrics.*] tables")
        for metric, definition in table["metrics"].items():
            if metric in metrics:
                raise ConfigError(f"{extra}: metrics.{metric} is already defined in {path}")
            metrics[metric] = definition


def _default_path() -> Path:
    local = Path.cwd() / "config.toml"
    return local if local.exists() else DEFAULT_CONFIG
