"""`ai45kg serve`: the app under granian, a production HTTP server written in Rust (WSGI).

Chosen by measurement (benchmarks/SERVERS.md, on this 2-core machine, against gunicorn gthread,
gunicorn sync and gevent, and uvicorn with a2wsgi): granian answers a bare Flask route several
times faster than gunicorn gthread, and its connections live in an async runtime, so clients
that send half a request head and wait cost no thread (64, 512 of them leave the server
answering in milliseconds, where gthread stops answering); it restarts workers gracefully on
SIGHUP, replaces a dead one (respawn_failed_workers) and stops on SIGTERM after the requests
in flight.

Process layout: granian starts WORKERS HTTP processes, each running the app's WSGI callable in
up to THREADS threads (granian's blocking threads); each creates its own app, and so its own
`Backend` with QUERY_WORKERS query processes (see service.executor). HTTP threads only read,
check, negotiate and move bytes; the query work happens in the query processes, so a runaway
query never blocks another request. What gunicorn did for the app and granian does not (a 414
for a request target over 8190 characters, a readable 413 for an oversized body sent in full)
the app does itself (service.security).

Settings come, in increasing precedence, from the defaults in service.settings, the environment
(AI45_<NAME>) and the command line (one flag per setting, e.g. `--query-timeout-ms 2000`); the
HTTP processes read them from the environment (AI45_SERVE_CONFIG, the resolved settings as
JSON).

Before serving, the dataset is built when dist/ is missing or older than its sources, and the
store is made ready once, in the main process, before any HTTP process starts: an Oxigraph store
is bulk-loaded from the build unless it already holds it (a restart reopens it without loading),
and a remote endpoint must hold the build (`ai45kg push`). DIST stays the `dist` link, not the
build it points to, so that `Backend.reload()` (POST /admin/reload) finds a newer build there.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import click
from flask import Config

from ai45kg.kg import paths

from .settings import MAIN_PID_ENV, SECRET_SETTINGS, SETTINGS, Setting, defaults

#: the environment variable that carries the resolved settings to the HTTP processes
CONFIG_ENV = "AI45_SERVE_CONFIG"
#: bytes granian buffers per HTTP/1 connection, which bounds a request head: a head of more
#: than this is refused (431), as gunicorn refused one beyond its limits
HEAD_BUFFER = 32 * 1024
#: how long a client may take to send its request head (ms) before the connection is closed
HEAD_READ_TIMEOUT_MS = 10_000


def _flag(setting: Setting) -> str:
    return "--" + setting.name.lower().replace("_", "-")


def setting_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """Decorate a click command with one option per setting (default None: not given).
    Secrets get no flag: a command line is visible to every user in `ps`."""
    for setting in reversed(SETTINGS):
        if setting.name in SECRET_SETTINGS:
            continue
        kind: Any
        if isinstance(setting.default, bool):
            command = click.option(
                _flag(setting) + "/" + _flag(setting).replace("--", "--no-", 1),
                setting.name.lower(), default=None, help=setting.help,
            )(command)
            continue
        kind = int if isinstance(setting.default, int) else str
        command = click.option(
            _flag(setting), setting.name.lower(), type=kind, default=None,
            help=f"{setting.help} [default: {setting.default!r}]",
        )(command)
    return command


def resolve_config(cli: Mapping[str, Any]) -> dict[str, Any]:
    """Defaults, then AI45_* environment variables, then the flags that were given."""
    config = Config(str(paths.ROOT))
    config.from_mapping(defaults())
    config.from_prefixed_env("AI45")
    for setting in SETTINGS:
        value = cli.get(setting.name.lower())
        if value is not None:
            config[setting.name] = value
    if not config.get("DIST"):
        config["DIST"] = str(paths.dist_dir())
    return dict(config)


def ensure_built(dist: Path, echo: Callable[[str], None] = click.echo) -> None:
    """Build the dataset into `dist` unless it holds a build of the current sources.

    Raises:
        click.ClickException: the build failed (the message says why).
    """
    from ai45kg.kg.build import build, is_up_to_date

    if is_up_to_date(dist):
        return
    echo(f"building the dataset into {dist} (missing or out of date) ...")
    from ai45kg.kg.load import SourceError
    from ai45kg.kg.validate import ValidationFailed

    try:
        report = build(dist)
    except (SourceError, ValidationFailed) as exc:
        raise click.ClickException(f"cannot serve: the build failed.\n{exc}") from exc
    echo(f"built {report.dist} (content hash {report.content_hash[:12]})")


def granian_options(config: Mapping[str, Any]) -> dict[str, Any]:
    """granian's settings for `config` (documented in the README's serve section)."""
    from granian.http import HTTP1Settings

    timeout_s = int(config["QUERY_TIMEOUT_MS"]) / 1000.0
    return {
        "address": str(config["HOST"]),
        "port": int(config["PORT"]),
        "interface": "wsgi",
        "workers": max(1, int(config["WORKERS"])),
        "blocking_threads": max(1, int(config["THREADS"])),
        "http": "1",
        "websockets": False,
        "backlog": 2048,
        # requests in flight per HTTP process; more wait in the socket backlog
        "backpressure": 4096,
        "http1_settings": HTTP1Settings(header_read_timeout=HEAD_READ_TIMEOUT_MS,
                                        max_buffer_size=HEAD_BUFFER),
        # a dead HTTP process is replaced; one that does not stop on SIGTERM is killed once
        # the longest query could have finished
        "respawn_failed_workers": True,
        "workers_kill_timeout": int(max(10.0, timeout_s + 5)),
        "log_access": bool(config["ACCESS_LOG"]),
        "factory": True,
    }


def app_factory() -> Any:
    """The app of one HTTP process, from the settings the main process resolved."""
    from . import create_app

    return create_app(json.loads(os.environ[CONFIG_ENV]))


def prepare(config: Mapping[str, Any], echo: Callable[[str], None] = click.echo) -> None:
    """Get the store ready for the build in DIST (see the module docstring).

    Raises:
        click.ClickException: the store cannot serve the build (the message says why).
    """
    from ai45kg.kg.stores import RemoteStore, StoreError, oxigraph_path, prepare_oxigraph

    from .backend import store_options

    kind = config.get("STORE") or "memory"
    dist = Path(config["DIST"])
    options = store_options(config)
    try:
        if kind == "oxigraph":
            path = oxigraph_path(dist, options.get("store_path") or None)
            marker = prepare_oxigraph(dist, path)
            echo(f"oxigraph store {path} ({marker.get('quads', '?')} quads)")
        elif kind == "remote":
            RemoteStore(dist, options["endpoint"], auth=options["auth"],
                        timeout_s=options["timeout_s"])
            echo(f"remote store {options['endpoint']} holds the build")
        elif kind != "memory":
            raise StoreError(f"unknown store {kind!r}; choose memory, oxigraph or remote")
    except StoreError as exc:
        raise click.ClickException(f"cannot serve: {exc}") from exc


def serve(cli_options: Mapping[str, Any]) -> None:
    """Build if needed, then run the app under granian until interrupted."""
    from granian import Granian

    config = resolve_config(cli_options)
    dist = Path(config["DIST"])
    ensure_built(dist)
    config["DIST"] = str(dist.absolute())
    prepare(config)
    options = granian_options(config)
    # each HTTP process builds its app from the same settings, also when it is respawned
    os.environ[CONFIG_ENV] = json.dumps(config, default=str)
    os.environ[MAIN_PID_ENV] = str(os.getpid())
    os.environ.setdefault("AI45_DIST", config["DIST"])
    click.echo(
        f"ai45kg: serving {config['DIST']} ({config.get('STORE') or 'memory'} store) at "
        f"http://{config['HOST']}:{config['PORT']}/sparql "
        f"({options['workers']} HTTP process(es) x {options['blocking_threads']} threads, "
        f"{config['QUERY_WORKERS']} query worker(s) each, timeout {config['QUERY_TIMEOUT_MS']} ms)"
    )
    Granian(f"{__name__}:app_factory", **options).serve()
