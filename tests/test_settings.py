"""Settings are declared once: each is documented in the README, offered as a flag of
`ai45kg serve` unless it is a secret, and shown by /settings.json without secrets; and the
settings that only `ai45kg serve` reads do what they say (ACCESS_LOG)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from ai45kg.kg import paths
from ai45kg.service.cli import main
from ai45kg.service.settings import SECRET_SETTINGS, SETTINGS

from .hostile.dists import tiny_dist
from .hostile.server import http, serving


def test_every_setting_is_in_the_readme() -> None:
    readme = (paths.ROOT / "README.md").read_text(encoding="utf-8")
    missing = [s.name for s in SETTINGS if f"`{s.name}`" not in readme]
    assert missing == []


def test_every_setting_but_the_secrets_is_a_serve_flag() -> None:
    help_text = CliRunner().invoke(main, ["serve", "--help"]).output
    for s in SETTINGS:
        flag = "--" + s.name.lower().replace("_", "-")
        assert (flag in help_text) == (s.name not in SECRET_SETTINGS), s.name


@pytest.mark.slow
@pytest.mark.parametrize("access_log", [True, False])
def test_access_log_logs_each_request_or_none(access_log: bool, built_dist: Path,
                                              tmp_path: Path) -> None:
    """`ai45kg serve` with ACCESS_LOG on writes a line per request (its path and status) on
    stderr; off (AI45_ACCESS_LOG=false), none, and it still answers."""
    dist = tiny_dist(built_dist.resolve(), tmp_path / "dist")
    settings: dict[str, str | int] = {"STORE": "memory", "QUERY_WORKERS": 1}
    if not access_log:
        settings["ACCESS_LOG"] = "false"
    with serving(dist, tmp_path / "serve.log", settings=settings) as server:
        status, _, _ = http(f"{server.base}/ontology", headers={"Accept": "text/turtle"})
        assert status == 200
        logged = [line for line in server.log_text().splitlines() if '"GET /ontology' in line]
    assert len(logged) == (1 if access_log else 0), server.log_text()[-2000:]
    if access_log:
        assert " 200 " in logged[0]
