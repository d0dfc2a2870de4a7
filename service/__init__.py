"""The ai45kg web service: a Flask app factory with one blueprint per concern.

- `sparql`    the SPARQL 1.1 Protocol endpoint (/sparql)
- `resources` linked data: /id/..., /ontology, /graph/...
- `queries`   named analyst queries (/queries)
- `pages`     the web UI (home, query editor)
- `health`    /health (answered in front of Flask by its middleware: monitors poll it)
- `meta`      VoID/DCAT, OpenAPI, settings, dumps
- `reports`   the literature map and exports
- `suggest`   ranked, explained concept suggestions for a work (/suggest)

The built dataset is opened once per app and kept in `app.extensions["ai45kg"]` (a
`service.backend.Backend`); the service never reasons or validates at request time.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask

from ai45kg.kg import paths

from .settings import defaults


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    # the instance folder is given, not found: Flask cannot find it for a subpackage of a
    # namespace package installed in editable mode (and the service keeps nothing in it)
    app = Flask(__name__, instance_path=str(paths.data_home() / "instance"))
    app.config.from_mapping(defaults())
    if test_config is None:
        app.config.from_prefixed_env("AI45")
    else:
        app.config.from_mapping(test_config)

    from .backend import Backend

    app.extensions["ai45kg"] = Backend.from_config(app.config)

    from . import admin, health, meta, pages, queries, reports, resources, sparql, suggest

    for module in (sparql, resources, queries, pages, health, meta, admin, reports, suggest):
        app.register_blueprint(module.bp)
    from .security import install as install_security

    install_security(app)
    from .cache import CacheMiddleware

    backend = app.extensions["ai45kg"]
    app.wsgi_app = CacheMiddleware(  # type: ignore[method-assign]
        app.wsgi_app, lambda: (backend.cache, backend.content_hash))
    app.wsgi_app = health.HealthMiddleware(app.wsgi_app, app)  # type: ignore[method-assign]
    return app
