"""`ai45kg serve`: the app under gunicorn, a production WSGI server.

Process layout: the gunicorn arbiter forks WORKERS HTTP processes (gthread, THREADS request threads
each); each creates its own app after the fork, and so its own `Backend` with QUERY_WORKERS query
processes (see service.executor). HTTP threads only parse, negotiate and serialise; the query work
happens in the query processes, so one HTTP process with a few threads keeps up with its query
processes, and a runaway query never blocks another request.

Settings come, in increasing precedence, from the defaults in service.settings, the environment
(AI45_<NAME>) and the command line (one flag per setting, e.g. `--query-timeout-ms 2000`).

Before serving, the dataset is built when dist/ is missing or older than its sources, and the
store is made ready once, in the arbiter, before any HTTP process starts: an Oxigraph store is
bulk-loaded from the build unless it already holds it (a restart reopens it without loading), and
a remote endpoint must hold the build (`ai45kg push`). DIST stays the `dist` link, not the build
it points to, so that `Backend.reload()` (POST /admin/reload) finds a newer build there.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import click
from flask import Config

from ai45kg.kg import paths

from .settings import SECRET_SETTINGS, SETTINGS, Setting, defaults

#: gunicorn's own request-line limit (bytes); longer GET queries get 414: POST them
REQUEST_LINE_LIMIT = 8190


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


def gunicorn_options(config: Mapping[str, Any]) -> dict[str, Any]:
    """The gunicorn settings for `config` (documented in the README's serve section)."""
    timeout_s = int(config["QUERY_TIMEOUT_MS"]) / 1000.0
    return {
        "bind": f"{config['HOST']}:{int(config['PORT'])}",
        "workers": max(1, int(config["WORKERS"])),
        "worker_class": "gthread",
        "threads": max(1, int(config["THREADS"])),
        # gthread workers heartbeat independently of requests; this only catches a wedged worker
        "timeout": int(max(30.0, timeout_s * 3 + 10)),
        "graceful_timeout": int(max(10.0, timeout_s + 5)),
        "keepalive": 5,
        "limit_request_line": REQUEST_LINE_LIMIT,
        "accesslog": "-",
        "errorlog": "-",
        "loglevel": "info",
        "proc_name": "ai45kg",
        "preload_app": False,  # each HTTP process starts its own query processes after the fork
        # gunicorn >= 25.1 opens a control socket at one fixed path per user: several servers
        # (tests, benchmarks, `make serve`) would fight over it, and nothing here uses it
        "control_socket_disable": True,
        "worker_exit": _worker_exit,
    }


def _worker_exit(server: Any, worker: Any) -> None:
    """Stop this HTTP process's query workers when it exits."""
    app = getattr(worker, "wsgi", None)
    backend = getattr(app, "extensions", {}).get("ai45kg") if app is not None else None
    if backend is not None:
        backend.close()


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
    """Build if needed, then run the app under gunicorn until interrupted."""
    from gunicorn.app.base import BaseApplication

    config = resolve_config(cli_options)
    dist = Path(config["DIST"])
    ensure_built(dist)
    config["DIST"] = str(dist.absolute())
    prepare(config)
    options = gunicorn_options(config)

    class Server(BaseApplication):  # type: ignore[misc]
        """gunicorn, configured from our settings instead of its own command line."""

        def load_config(self) -> None:
            for key, value in options.items():
                if key in self.cfg.settings:  # skip what an older gunicorn does not know
                    self.cfg.set(key, value)

        def load(self) -> Any:
            from . import create_app

            return create_app(config)

    # the app in each worker process reads the same settings, also when it re-reads them
    os.environ.setdefault("AI45_DIST", config["DIST"])
    click.echo(
        f"ai45kg: serving {config['DIST']} ({config.get('STORE') or 'memory'} store) at "
        f"http://{config['HOST']}:{config['PORT']}/sparql "
        f"({options['workers']} HTTP process(es) x {options['threads']} threads, "
        f"{config['QUERY_WORKERS']} query worker(s) each, timeout {config['QUERY_TIMEOUT_MS']} ms)"
    )
    Server().run()
