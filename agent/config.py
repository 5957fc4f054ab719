"""Settings: `config.toml` loaded once into a validated model, one table per concern."""

from __future__ import annotations

import os
import re
import tomllib
from pathlib import Path
from typing import Any, Literal

from croniter import croniter
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from store.catalog import MetricDef
from store.errors import InputLimits
from tools.causes import LocalizationSettings
from tools.data_quality import DataQualitySettings
from tools.detect import DetectionSettings
from tools.recommend import Playbook
from tools.watch import LiveSettings
from tools.workflows import WorkflowTarget

DEFAULT_CONFIG = Path(__file__).resolve().parents[1] / "config.toml"
_ADDRESS = re.compile(r"[^@\s,;<>\"]+@[^@\s,;<>\"]+\.[^@\s,;<>\"]+")


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
    # How long a command waits for another process's hold on the embedded DuckDB file.
    lock_wait_s: float = Field(default=60.0, ge=0)


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
    digest_targets: list[str] = []
    # Optional ("" = off): a live-watch cycle per firing; the weekly review by email.
    watch_cron: str = ""
    weekly_cron: str = ""

    @model_validator(mode="after")
    def _check_crons(self) -> SchedulerSettings:
        for key in ("scan_cron", "outcome_cron", "weekly_cron", "watch_cron"):
            value = getattr(self, key)
            if (value or key in ("scan_cron", "outcome_cron")) and not croniter.is_valid(value):
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


class SlackSettings(_Section):
    """Slack: where proposals go per journey, and which journeyops user each Slack user is."""

    # Slack user id (U…) -> journeyops user name; an unmapped clicker decides nothing.
    users: dict[str, str] = {}
    # Journey id -> channel id (C…); `default` catches journeys without their own.
    channels: dict[str, str] = {}
    bot_token_env: str = "SLACK_BOT_TOKEN"
    signing_secret_env: str = "SLACK_SIGNING_SECRET"
    # Empty: Slack's own Web API; set for Enterprise Grid proxies (and local tests).
    api_url: str = ""


class EmailSettings(_Section):
    """Digests and weekly reviews by SMTP; the password only from the environment."""

    host: str = ""
    port: int = Field(default=587, ge=1, le=65535)
    sender: str = ""
    # Journey id -> addresses; `default` receives every journey without its own list.
    recipients: dict[str, list[str]] = {}
    username: str = ""
    password_env: str = "JOURNEYOPS_SMTP_PASSWORD"
    starttls: bool = True
    timeout_s: float = Field(default=30.0, gt=0)

    @model_validator(mode="after")
    def _check_addresses(self) -> EmailSettings:
        # One plain address per entry: no display names, lists or line breaks in headers.
        for where, address in [("sender", self.sender)] + [
            (f"recipients.{j}", a) for j, addresses in self.recipients.items() for a in addresses
        ]:
            if address and not _ADDRESS.fullmatch(address):
                raise ValueError(f"{where}: {address!r} is not a plain email address")
        return self


class SecuritySettings(_Section):
    """Audit key, CLI deciders' credentials and sign-in limits (see docs/security.md)."""

    # The HMAC key of the audit chain; unset = a key file in the workspace, with a warning.
    audit_key_env: str = "JOURNEYOPS_AUDIT_KEY"
    # The CLI decides as the owner of a token: this variable, or `--token-file`.
    token_env: str = "JOURNEYOPS_TOKEN"
    # True lets `--as USER` decide without a token: one person at one shell plays the whole
    # council. For local demos only; the shipped config keeps it off.
    single_operator: bool = False
    login_attempts: int = Field(default=5, ge=1)
    login_window_minutes: int = Field(default=15, ge=1)


class IncidentSettings(_Section):
    """`[incidents]`: how many fixes are filed per incident, and who owns data problems."""

    # The top-ranked fix is filed; the others show as alternatives on its action page.
    file_per_incident: int = Field(default=1, ge=1, le=10)
    # Tracking gaps are routed here: a data-pipeline problem, not the journey council's.
    data_owner: str = Field(default="data-owner", min_length=1, max_length=100)


class CatalogSettings(_Section):
    """More metric tables: TOML files of `[metrics.*]`, e.g. written by `metrics import dbt`."""

    include: list[str] = []


class ChatSettings(_Section):
    """Words the offline chat planner reads in other languages.

    `synonyms.<language>.<meaning> = [phrases]`: each phrase (any case, accents optional)
    is read as `meaning`, an English word or phrase, a journey or stage id, or a metric name.
    """

    synonyms: dict[str, dict[str, list[str]]] = {}

    @model_validator(mode="after")
    def _check_synonyms(self) -> ChatSettings:
        for lang, table in self.synonyms.items():
            if not (len(lang) == 2 and lang.isascii() and lang.isalpha() and lang.islower()):
                raise ValueError(f"chat.synonyms.{lang}: name a language by its two-letter code")
            meaning_of: dict[str, str] = {}
            for meaning, phrases in table.items():
                where = f"chat.synonyms.{lang}.{meaning}"
                if not meaning.strip() or not phrases:
                    raise ValueError(f"{where}: give a meaning and at least one phrase")
                for phrase in phrases:
                    key = " ".join(phrase.casefold().split())
                    if not key or len(key) > 60:
                        raise ValueError(f"{where}: {phrase!r} must be 1 to 60 characters")
                    if meaning_of.setdefault(key, meaning) != meaning:
                        raise ValueError(f"{where}: {phrase!r} already means {meaning_of[key]!r}")
        return self


class Settings(_Section):
    """Everything journeyops reads from `config.toml`."""

    money: MoneySettings = MoneySettings()
    warehouse: WarehouseSettings = WarehouseSettings()
    inputs: InputLimits = InputLimits()
    store: StoreSettings = StoreSettings()
    insights: InsightSettings = InsightSettings()
    detection: DetectionSettings = DetectionSettings()
    localization: LocalizationSettings = LocalizationSettings()
    data_quality: DataQualitySettings = DataQualitySettings()
    llm: LLMSettings = LLMSettings()
    approval: ApprovalSettings = ApprovalSettings()
    catalog: CatalogSettings = CatalogSettings()
    metrics: dict[str, MetricDef]
    playbooks: dict[str, Playbook]
    workflows: dict[str, WorkflowTarget] = {}
    schedule: SchedulerSettings = SchedulerSettings()
    web: WebSettings = WebSettings()
    slack: SlackSettings = SlackSettings()
    email: EmailSettings = EmailSettings()
    security: SecuritySettings = SecuritySettings()
    chat: ChatSettings = ChatSettings()
    incidents: IncidentSettings = IncidentSettings()
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
