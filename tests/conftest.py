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

from ai45kg.kg.build import build
from ai45kg.kg.concepts import ConceptIndex
from ai45kg.kg.literature.imports import PaperWorks


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
        # the shared app stays on the memory store (STORE's default is oxigraph); the modules
        # that run on every store use `store_app` (see the end of this file)
        "STORE": "memory",
    }


@pytest.fixture(scope="session")
def app(app_config: dict[str, Any]) -> Iterator[Flask]:
    from ai45kg.service import create_app

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
    from ai45kg.service import create_app

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


# ---------------------------------------------------------------------------------------------
# stores (kg.stores): the service's tests run on each store. AI45_TEST_STORES (default
# memory,oxigraph,remote) chooses which; the remote store needs AI45_TEST_ENDPOINT (CI starts a
# Virtuoso: ci/virtuoso/start) and is skipped, saying so, without it. A test module runs on every
# store by overriding `app` with `store_app` (and `app_config` with `store_app_config`).

ALL_STORES = ("memory", "oxigraph", "remote")


def selected_stores() -> list[str]:
    raw = os.environ.get("AI45_TEST_STORES", ",".join(ALL_STORES))
    return [s.strip() for s in raw.split(",") if s.strip()]


def store_params() -> list[Any]:
    """One pytest.param per store kind, skipped with the reason when not selected or not
    configured."""
    out = []
    for kind in ALL_STORES:
        marks = []
        if kind not in selected_stores():
            marks.append(pytest.mark.skip(reason=f"the {kind} store is not in AI45_TEST_STORES"))
        elif kind == "remote" and not os.environ.get("AI45_TEST_ENDPOINT"):
            marks.append(pytest.mark.skip(
                reason="no remote SPARQL endpoint configured: set AI45_TEST_ENDPOINT (and "
                       "AI45_TEST_UPDATE_ENDPOINT, AI45_REMOTE_USER/PASSWORD/AUTH to push); "
                       ".ci/run starts a Virtuoso for this"))
        out.append(pytest.param(kind, marks=marks, id=kind))
    return out


@pytest.fixture(scope="session", params=store_params())
def store_kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def ensure_pushed(dist: Path) -> None:
    """Load the session's build into the test endpoint unless it holds it already."""
    from ai45kg.kg.push import is_pushed, push

    endpoint = os.environ["AI45_TEST_ENDPOINT"]
    auth = os.environ.get("AI45_REMOTE_AUTH", "basic")
    if not is_pushed(dist, endpoint, auth=auth):
        push(dist, endpoint, os.environ.get("AI45_TEST_UPDATE_ENDPOINT") or None,
             graph_store=os.environ.get("AI45_TEST_GRAPH_STORE") or None, auth=auth)


@pytest.fixture(scope="session")
def store_settings(store_kind: str, built_dist: Path,
                   tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The settings that select `store_kind` for the session's build."""
    if store_kind == "oxigraph":
        return {"STORE": "oxigraph", "STORE_PATH": str(tmp_path_factory.mktemp("oxigraph"))}
    if store_kind == "remote":
        ensure_pushed(built_dist)
        return {"STORE": "remote", "ENDPOINT": os.environ["AI45_TEST_ENDPOINT"],
                "REMOTE_AUTH": os.environ.get("AI45_REMOTE_AUTH", "basic")}
    return {"STORE": "memory"}


@pytest.fixture(scope="session")
def store_app_config(built_dist: Path, store_settings: dict[str, Any]) -> dict[str, Any]:
    """`app_config`'s settings plus the store's (not derived from `app_config`, which the
    modules that run on every store override with this)."""
    return {"TESTING": True, "DIST": str(built_dist), "QUERY_WORKERS": 2,
            "QUERY_TIMEOUT_MS": 10_000, **store_settings}


@pytest.fixture(scope="session")
def store_app(store_app_config: dict[str, Any]) -> Iterator[Flask]:
    """The shared test app on each store in turn."""
    from ai45kg.service import create_app

    application = create_app(store_app_config)
    yield application
    application.extensions["ai45kg"].close()


# ---------------------------------------------------------------------------------------------
# analyst imports (test_imports, test_reference_imports)

@pytest.fixture(scope="module")
def index() -> ConceptIndex:
    return ConceptIndex.load()


@pytest.fixture(scope="module")
def paper() -> PaperWorks:
    return PaperWorks.load()


@pytest.fixture()
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """An empty imports directory and a dist/ of the paper alone, both temporary."""
    monkeypatch.setenv("AI45_IMPORTS", str(tmp_path / "imports"))
    monkeypatch.setenv("AI45_DIST", str(tmp_path / "dist"))
    yield tmp_path


@pytest.fixture()
def built(workspace: Path) -> Path:
    build(workspace / "dist")
    return workspace / "dist"
