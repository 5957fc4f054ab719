"""A dbt semantic layer mapped onto the catalog: every metric mapped or refused with a reason."""

from __future__ import annotations

from pathlib import Path

import pytest

from store.dbt_project import read_dbt_project
from tools.dbt_metrics import CatalogImport, map_project

PROJECT = Path(__file__).resolve().parents[1] / "support" / "dbt_project"


@pytest.fixture(scope="module")
def imported() -> CatalogImport:
    return map_project(read_dbt_project(PROJECT))


@pytest.mark.parametrize(
    ("name", "numerator", "denominator", "direction", "unit"),
    [
        # legacy spec: ratio of sum_boolean over a row count, money from meta
        ("stage_conversion", "completed", "visits", "higher", "rate"),
        # legacy spec: ratio of a sum over a count of a column; direction from the name
        ("avg_handle_time", "duration_s", "count:duration_s", "lower", ""),
        # a numeric filter on the numerator becomes a `where` term
        ("repeat_contact_share", "contacts>1", "visits", "lower", "rate"),
        # latest spec: simple sum (mean per visit), meta under config
        ("cost_per_visit", "cost", "visits", "lower", "money"),
        # latest spec: average → sum over count of the column
        ("avg_csat", "csat", "count:csat", "higher", ""),
        # latest spec: top-level ratio of two simple metrics, one a CASE expression
        ("transfer_share", "transfers>0", "visits", "lower", "rate"),
    ],
)
def test_ratios_of_sums_are_mapped(
    imported: CatalogImport,
    name: str,
    numerator: str,
    denominator: str,
    direction: str,
    unit: str,
) -> None:
    found = {m.name: m for m in imported.mapped}[name]
    assert found.metric.numerator.text == numerator
    assert found.metric.denominator.text == denominator
    assert found.metric.direction == direction
    assert found.metric.unit == unit


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("app_conversion", "is not one numeric column compared with a number"),
        ("conversion_wow", "a derived metric"),
        ("customers", "`count_distinct` is not a sum"),
        ("flux", "no direction"),
        ("net_value_per_visit", "SQL expression 'value - cost'"),
        ("p90_handle_time", "`percentile` is not a sum"),
        ("paid_conversion", "a conversion metric"),
        ("service_visits", "a count is a volume"),
        ("transferred_visits", "the same ratio of sums as transfer_share"),
        ("visit_count", "a count is a volume"),
    ],
)
def test_what_cannot_be_a_ratio_of_sums_is_listed_with_the_reason(
    imported: CatalogImport, name: str, reason: str
) -> None:
    refused = {u.name: u for u in imported.unmapped}[name]
    assert reason in refused.reason
    assert refused.source.startswith("models/")


def test_every_metric_is_either_mapped_or_refused(imported: CatalogImport) -> None:
    names = [m.name for m in imported.mapped] + [u.name for u in imported.unmapped]
    assert sorted(names) == sorted(read_dbt_project(PROJECT).metrics)


def test_money_and_notes_come_from_meta_or_say_what_is_missing(imported: CatalogImport) -> None:
    by_name = {m.name: m for m in imported.mapped}
    assert by_name["stage_conversion"].metric.unit_value_column == "value"
    assert by_name["stage_conversion"].metric.min_effect == 0.01
    assert by_name["stage_conversion"].notes == []
    assert any("no money model" in n for n in by_name["avg_csat"].notes)
    assert any("direction inferred" in n for n in by_name["avg_handle_time"].notes)


def test_dimensions_of_both_specs_are_reported(imported: CatalogImport) -> None:
    assert imported.dimensions == {"stage_visits": ["channel", "device"], "service": ["region"]}
