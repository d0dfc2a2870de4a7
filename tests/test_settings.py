"""Settings are declared once: each is documented in the README, offered as a flag of
`ai45kg serve` unless it is a secret, and shown by /settings.json without secrets."""

from __future__ import annotations

from click.testing import CliRunner

from ai45kg.kg import paths
from ai45kg.service.cli import main
from ai45kg.service.settings import SECRET_SETTINGS, SETTINGS


def test_every_setting_is_in_the_readme() -> None:
    readme = (paths.ROOT / "README.md").read_text(encoding="utf-8")
    missing = [s.name for s in SETTINGS if f"`{s.name}`" not in readme]
    assert missing == []


def test_every_setting_but_the_secrets_is_a_serve_flag() -> None:
    help_text = CliRunner().invoke(main, ["serve", "--help"]).output
    for s in SETTINGS:
        flag = "--" + s.name.lower().replace("_", "-")
        assert (flag in help_text) == (s.name not in SECRET_SETTINGS), s.name
