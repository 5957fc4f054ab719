"""The shipped config loads; a broken one fails with the file, key path and reason."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.config import DEFAULT_CONFIG, ConfigError, Settings, load_settings

CATALOG = {
    "conversion",
    "duration",
    "csat",
    "nps",
    "repeat_contact_rate",
    "transfer_rate",
    "cost_to_serve",
}


def test_shipped_config_loads_with_the_default_catalog(settings: Settings) -> None:
    assert set(settings.metrics) == CATALOG
    assert settings.llm.provider == "offline"
    assert all(pb.workflow in settings.workflows for pb in settings.playbooks.values())


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("window_days = 7", 'window_days = "seven"', "detection.window_days"),
        ('numerator = "completed"', 'numerator = "completed +"', "metrics.conversion.numerator"),
        ('provider = "offline"', 'provider = "magic"', "llm.provider"),
        ('workflow = "engineering"', 'workflow = "nowhere"', "unknown workflow 'nowhere'"),
        ("[money]", "[money]\nsurprise = 1", "money.surprise"),
        ('sender = ""', 'sender = "a@b.io\\nBcc: x@evil.io"', "email: Value error, sender"),
        (
            "recipients = {}",
            'recipients = { checkout = ["x@y.io, z@w.io"] }',
            "recipients.checkout",
        ),
        ("[chat.synonyms.es]", "[chat.synonyms.spanish]", "chat.synonyms.spanish: name a"),
        ('payment = ["pago", "pagos"]', "payment = []", "chat.synonyms.es.payment: give"),
        ('cart = ["carrito"]', 'cart = ["pago"]', "'pago' already means 'cart'"),
        ('cart = ["carrito"]', 'cart = [" "]', "chat.synonyms.es.cart: ' ' must be"),
    ],
)
def test_broken_config_names_the_key_path(
    tmp_path: Path, old: str, new: str, expected: str
) -> None:
    text = DEFAULT_CONFIG.read_text(encoding="utf-8").replace(old, new, 1)
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_settings(path)
    assert str(path) in str(err.value)
    assert expected in str(err.value)


def test_invalid_toml_is_reported_with_the_file(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text("[detection\nwindow_days = 7\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_settings(path)
