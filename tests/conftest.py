"""Shared fixtures: the dataset built once per session from the real sources, and the Flask app
on top of it (`app`, `client`, `runner`), as in Flask's tutorial.

The app is session-scoped: the dataset is read-only, and each app starts query worker processes
that load it, which is worth doing once. Tests that need other settings use `make_app`, or change
a per-request setting (CORS_ORIGINS, STRICT_UTF8, CACHE_MAX_AGE) with `monkeypatch.setitem` on
`app.config`.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner

from kg.build import build


def pytest_configure(config: pytest.Config) -> None:
    # rdflib calls its own deprecated APIs (e.g. Dataset.contexts from its N-Quads serialiser and
    # its SPARQL GRAPH evaluation); those are not ours to fix. Our own calls to deprecated APIs
    # are attributed to our modules and still fail the tests.
    config.addinivalue_line("filterwarnings", "ignore::DeprecationWarning:rdflib")


@pytest.fixture(scope="session")
def built_dist(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A fresh build of the current sources; AI45_DIST points at it for the session (so that
    subprocesses and `create_app()` without a config find it)."""
    dist = tmp_path_factory.mktemp("dist") / "dist"
    build(dist)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("AI45_DIST", str(dist))
        yield dist


@pytest.fixture(scope="session")
def app_config(built_dist: Path) -> dict[str, Any]:
    """The settings of the shared test app."""
    return {
        "TESTING": True,
        "DIST": str(built_dist),
        "QUERY_WORKERS": 2,
        "QUERY_TIMEOUT_MS": 10_000,
    }


@pytest.fixture(scope="session")
def app(app_config: dict[str, Any]) -> Iterator[Flask]:
    from service import create_app

    application = create_app(app_config)
    yield application
    application.extensions["ai45kg"].close()


@pytest.fixture()
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture()
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()


@pytest.fixture()
def make_app(app_config: dict[str, Any]) -> Iterator[Callable[..., Flask]]:
    """A factory of apps with other settings (closed after the test)."""
    from service import create_app

    made: list[Flask] = []

    def factory(**overrides: Any) -> Flask:
        application = create_app({**app_config, **overrides})
        made.append(application)
        return application

    yield factory
    for application in made:
        application.extensions["ai45kg"].close()


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture()
def subprocess_env(built_dist: Path) -> dict[str, str]:
    """The environment for an `ai45kg` subprocess serving the session's build."""
    return {**os.environ, "AI45_DIST": str(built_dist), "PYTHONUNBUFFERED": "1"}
