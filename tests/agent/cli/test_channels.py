"""`journeyops slack post` and `journeyops report weekly --email` on a seeded workspace."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from agent.cli.app import app
from agent.config import DEFAULT_CONFIG, Settings
from tests.support.slack_api import FakeSlack
from tests.support.smtp import SmtpServer
from tests.support.web import seeded_context


def _config(tmp_path: Path, extra: str) -> Path:
    text = DEFAULT_CONFIG.read_text(encoding="utf-8")
    # Replace the shipped [slack] and [email] tables with the test's own.
    text = re.sub(r"\n\[slack\].*", "\n", text, flags=re.S)
    path = tmp_path / "config.toml"
    path.write_text(text + extra, encoding="utf-8")
    return path


def _run(home: Path, config: Path, *args: str, env: dict[str, str]) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["--home", str(home), "--config", str(config), *args], env=env)
    return result.exit_code, result.stdout, result.stderr


def test_slack_post_puts_a_proposal_in_its_journey_channel(
    settings: Settings, tmp_path: Path
) -> None:
    ctx, action_id = seeded_context(settings, tmp_path / "home")
    ctx.warehouse.close()
    with FakeSlack() as slack:
        config = _config(
            tmp_path, f'[slack]\napi_url = "{slack.url}"\nchannels = {{ checkout = "C-CO" }}\n'
        )
        code, out, _ = _run(
            tmp_path / "home", config, "slack", "post", action_id, env={"SLACK_BOT_TOKEN": "x"}
        )
        missing = _run(tmp_path / "home", config, "slack", "post", action_id, env={})
        unknown = _run(
            tmp_path / "home", config, "slack", "post", "act-nope", env={"SLACK_BOT_TOKEN": "x"}
        )

    assert code == 0 and f"{action_id}: posted to C-CO" in out
    (post,) = slack.of("chat.postMessage")
    assert action_id in json.dumps(post.body["blocks"])
    assert missing[0] == 2 and "SLACK_BOT_TOKEN is not set" in missing[2]
    assert unknown[0] == 2 and "no action act-nope" in unknown[2]


@pytest.mark.parametrize("with_host", [True, False])
def test_report_weekly_email_sends_the_review_or_says_email_is_off(
    settings: Settings, tmp_path: Path, with_host: bool
) -> None:
    ctx, _ = seeded_context(settings, tmp_path / "home")
    ctx.warehouse.close()
    with SmtpServer() as smtp:
        host = f'host = "127.0.0.1"\nport = {smtp.port}\n' if with_host else ""
        config = _config(
            tmp_path,
            f'[email]\n{host}sender = "jo@example.com"\nstarttls = false\n'
            'recipients = { default = ["council@example.com"] }\n',
        )
        code, out, err = _run(
            tmp_path / "home",
            config,
            "report",
            "weekly",
            "--as-of",
            "2026-04-01",
            "--email",
            env={},
        )

    if with_host:
        assert code == 0, err
        assert "emailed checkout: sent to council@example.com" in out
        assert [m.recipients for m in smtp.received] == [["council@example.com"]]
    else:
        assert code == 2 and "email is off" in err and "Traceback" not in err
        assert smtp.received == []
