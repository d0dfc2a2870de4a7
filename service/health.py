"""/health: whether the service can answer queries, and which dataset it serves.

Load balancers and monitors poll it many times a second, so it is answered in front of Flask
by `HealthMiddleware` (a GET or HEAD of exactly /health): the answer needs none of Flask's
request machinery, and costs a fraction of a routed request. The blueprint's route gives the
same answer (`health_answer`) for everything else that reaches Flask (url_for, the route list,
the OpenAPI description), and the middleware sends the headers `service.security` gives every
response, so the two cannot be told apart.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, Flask, Response, current_app
from werkzeug.http import HTTP_STATUS_CODES

from .security import BASE_HEADERS, cors_headers, origins_setting

bp = Blueprint("health", __name__)


def health_answer(backend: Any, dumps: Callable[[Any], str]) -> tuple[int, bytes]:
    """The status and JSON body of /health: 200 when queries can be answered, 503 (with the
    reason) when the query workers cannot serve. The workers' state is read, not queried: a
    health check must not queue behind busy workers (a load balancer would then take a busy
    server for a dead one)."""
    manifest = backend.manifest
    counts = manifest.get("triples", {})
    payload: dict[str, Any] = {
        "status": "ok",
        "content_hash": backend.content_hash,
        "triples": sum(int(v) for v in counts.values()),
        "graphs": len(counts),
        "store": backend.store_kind,
        "built": manifest.get("built"),
    }
    status = 200
    workers = backend.status()
    payload["workers"] = {k: workers[k] for k in ("size", "alive", "idle")}
    if workers["problem"]:
        payload["status"] = "unavailable"
        payload["error"] = f"the query workers cannot serve: {workers['problem']}"
        status = 503
    return status, (dumps(payload) + "\n").encode("utf-8")


@bp.get("/health")
def health() -> Response:
    """Whether the service can answer queries, and which dataset it serves."""
    status, body = health_answer(current_app.extensions["ai45kg"], current_app.json.dumps)
    return Response(body, status, mimetype="application/json",
                    headers={"Cache-Control": "no-store"})


class HealthMiddleware:
    """WSGI middleware that answers GET and HEAD /health (no query string) itself; every other
    request goes to the app below."""

    def __init__(self, wsgi_app: Any, app: Flask) -> None:
        self.wsgi_app = wsgi_app
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        method = environ.get("REQUEST_METHOD")
        if (environ.get("PATH_INFO") != "/health" or environ.get("QUERY_STRING")
                or method not in ("GET", "HEAD")):
            return self.wsgi_app(environ, start_response)
        app = self.app
        status, body = health_answer(app.extensions["ai45kg"], app.json.dumps)
        start_response(f"{status} {HTTP_STATUS_CODES[status]}", [
            ("Content-Type", "application/json"),
            ("Content-Length", str(len(body))),
            ("Cache-Control", "no-store"),
            *cors_headers(environ.get("HTTP_ORIGIN"), origins_setting(app.config)),
            *BASE_HEADERS,
        ])
        return [b""] if method == "HEAD" else [body]
