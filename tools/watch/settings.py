"""The `[live]` table of config.toml: how `journeyops watch` feeds, tests and alerts."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator


class LiveSettings(BaseModel):
    """Live watch: drop folder, time grid, sensitivity, confirmation and the alert target."""

    model_config = ConfigDict(extra="forbid")

    # Folder a pipeline drops micro-batch files into ("" = none; `watch --drop-dir` wins).
    drop_dir: str = ""
    interval_minutes: float = Field(default=5.0, gt=0)
    # Width of the CUSUM's time bins; divides an hour so bins nest in hour-of-week slots.
    bin_minutes: int = Field(default=10, ge=1, le=60)
    # Recent hours read each cycle: the longest an incident's CUSUM looks back.
    window_hours: int = Field(default=6, ge=1, le=24)
    baseline_weeks: int = Field(default=4, ge=2, le=12)
    # Segments (one dimension = one value) holding at least this share of a stage.
    min_segment_share: float = Field(default=0.05, gt=0, le=1)
    # Series expecting fewer visits an hour than this are not tested.
    min_visits_per_hour: float = Field(default=5.0, ge=0)
    # The relative change the CUSUM is tuned to catch fastest (its reference shift).
    reference_change: float = Field(default=0.25, gt=0, lt=1)
    # Mean days between false alarms on one stage, all its metrics and segments together.
    stage_false_alarm_days: float = Field(default=200.0, ge=1)
    # A developing incident is confirmed once its CUSUM reaches this multiple of the threshold.
    confirm_factor: float = Field(default=2.0, ge=1)
    # Resolved when the last `resolve_minutes` look healthy for `resolve_cycles` cycles.
    resolve_minutes: int = Field(default=60, ge=10)
    resolve_cycles: int = Field(default=3, ge=1)
    # A [workflows.*] name: the journey owner's alert goes there ("" = no alert).
    alert_target: str = ""

    @field_validator("bin_minutes")
    @classmethod
    def _divides_hour(cls, v: int) -> int:
        if 60 % v:
            raise ValueError("must divide 60 (e.g. 5, 10, 15, 30, 60)")
        return v
