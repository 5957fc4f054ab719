"""What a generated data set declares about itself: planted incidents and the manifest."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Literal

from pydantic import BaseModel


class Incident(BaseModel):
    """A planted incident. `magnitude` by kind: conversion rate_change = absolute rate drop;
    duration rate_change = relative slowdown (0.6 = +60%); csat rate_change = points lost;
    mix_shift = the segment's share of traffic during the incident; tracking_gap = unused
    (success events and measurements of the segment are lost)."""

    id: str
    journey: str
    stage: str
    metric: str
    kind: Literal["rate_change", "mix_shift", "tracking_gap"]
    segment: dict[str, str]
    start: dt.date
    end: dt.date
    magnitude: float = 0.0
    also_metrics: list[str] = []
    evidence_insight_ids: list[str] = []


class GroundTruth(BaseModel):
    as_of: dt.date
    window_start: dt.date
    window_end: dt.date
    incidents: list[Incident]
    clean_journeys: list[str]
    holidays: list[dt.date] = []


class DemoManifest(BaseModel):
    out: Path
    journeys_file: Path
    events_file: Path
    insights_file: Path
    ground_truth_file: Path
    events: int
    insights: int
    seconds: float
