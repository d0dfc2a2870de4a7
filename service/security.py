"""What every response of the app gets, whichever blueprint made it: CORS, security headers, and
error bodies a person can act on.

CORS: the data is public and read-only, so browser clients on other sites may query it.
CORS_ORIGINS is `*` (any origin, answered with `Access-Control-Allow-Origin: *`), a space- or
comma-separated list of origins (an allowed request Origin is echoed, with `Vary: Origin`), or empty
(no CORS). `Access-Control-Allow-Credentials` is never sent: nothing here depends on cookies, and
an echoed origin together with credentials would let any site read responses with the user's
cookies. Preflight (OPTIONS with Access-Control-Request-Method) is answered with 204.

Errors: a `QueryError` from `Backend.run` or any HTTP error becomes a body in the format the client
prefers: JSON (`{"status", "error", "message", ...}`, the default), text/plain or a small HTML page
for browsers, with `Cache-Control: no-store`. Bad input is always a 4xx; a 500 only ever means a
bug, and its body says so without a traceback.
"""

from __future__ import annotations

import html
import json
from collections.abc import Mapping
from typing import Any

from flask import Flask, Response, current_app, request
from werkzeug.datastructures import MIMEAccept
from werkzeug.exceptions import BadRequest, HTTPException, RequestURITooLarge
from werkzeug.http import parse_accept_header

from .backend import QueryError, QuerySyntaxError

ALLOWED_METHODS = "GET, HEAD, POST, OPTIONS"
#: request headers a cross-origin client may send (beyond the CORS-safelisted ones)
ALLOWED_HEADERS = ["Accept", "Accept-Language", "Content-Language", "Content-Type",
                   "If-None-Match", "If-Modified-Since", "Cache-Control", "X-Requested-With"]
#: response headers a cross-origin client may read
EXPOSED_HEADERS = "ETag, AI45-Truncated, Server-Timing, Content-Disposition, Link, Location"
PREFLIGHT_MAX_AGE = "86400"
ERROR_TYPES = ["application/json", "text/html", "text/plain"]


def install(app: Flask) -> None:
    """Register the CORS and security-header hooks and the error handlers on `app`."""
    if not app.config.get("MAX_CONTENT_LENGTH"):
        # a query may arrive percent-encoded (x3) or in UTF-16 (x2): leave room, refuse floods
        app.config["MAX_CONTENT_LENGTH"] = 4 * int(app.config.get("MAX_QUERY_LENGTH", 100_000)) \
            + 65_536
    app.before_request(_uri_length)
    app.before_request(_preflight)
    app.after_request(_decorate)
    app.register_error_handler(QueryError, _query_error)
    app.register_error_handler(HTTPException, _http_error)
    app.wsgi_app = _ClientInputMiddleware(app.wsgi_app)  # type: ignore[method-assign]


class _ClientInput:
    """The request body stream, whose read errors are the client's fault: a malformed chunked
    body (a bad chunk size) or a body cut short become a 400, not a 500."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream

    def _guard(self, method: str, *args: Any) -> Any:
        try:
            return getattr(self._stream, method)(*args)
        except HTTPException:
            raise
        except Exception as exc:
            raise BadRequest(
                f"the request body could not be read ({type(exc).__name__}: {exc}); send a "
                "well-formed body (with Content-Length, or valid chunked encoding)"
            ) from exc

    def read(self, *args: Any) -> bytes:
        return self._guard("read", *args)  # type: ignore[no-any-return]

    def readline(self, *args: Any) -> bytes:
        return self._guard("readline", *args)  # type: ignore[no-any-return]

    def readlines(self, *args: Any) -> list[bytes]:
        return self._guard("readlines", *args)  # type: ignore[no-any-return]

    def __iter__(self) -> Any:
        return iter(self.readline, b"")

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


#: the longest request target (path and query string) served; a longer GET query gets 414 and
#: the advice to POST it (Apache's and gunicorn's default limit; granian has none of its own)
REQUEST_LINE_LIMIT = 8190
#: how much of a refused (413) body is read and dropped before the answer, so that a client that
#: sends its whole body before it reads (Python's http.client does) gets the 413 instead of a
#: connection reset; beyond this the connection is closed
DRAIN_LIMIT = 64 * 2**20


class _ClientInputMiddleware:
    """WSGI middleware for what the app must do whatever server runs it: it gives the app a
    `_ClientInput` instead of the raw wsgi.input, refuses a request target longer than
    REQUEST_LINE_LIMIT (414), and drains a body it refused as too large (413)."""

    def __init__(self, wsgi_app: Any) -> None:
        self.wsgi_app = wsgi_app

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        target = len(environ.get("PATH_INFO", "")) + len(environ.get("QUERY_STRING", ""))
        if target > REQUEST_LINE_LIMIT:
            environ["ai45kg.uri_too_long"] = target
        stream = environ.get("wsgi.input")
        if stream is not None:
            environ["wsgi.input"] = _ClientInput(stream)
        status: list[str] = []

        def record(code: str, headers: Any, exc_info: Any = None) -> Any:
            status.append(code)
            return start_response(code, headers, exc_info)

        body = self.wsgi_app(environ, record)
        if stream is not None and status and status[0].startswith("413"):
            _drain(stream)
        return body


def _drain(stream: Any) -> None:
    """Read and drop what is left of a request body, up to DRAIN_LIMIT bytes."""
    left = DRAIN_LIMIT
    try:
        while left > 0:
            chunk = stream.read(min(left, 1 << 16))
            if not chunk:
                return
            left -= len(chunk)
    except Exception:  # a client that gives up midway: nothing more to do
        return


def allowed_origin(origin: str | None, setting: str) -> str | None:
    """The value of Access-Control-Allow-Origin for a request from `origin` (None: no CORS)."""
    setting = (setting or "").strip()
    if not setting:
        return None
    if setting == "*":
        return "*"
    allowed = {o.strip().rstrip("/") for o in setting.replace(",", " ").split()}
    if origin and origin.rstrip("/") in allowed:
        return origin
    return None


def _uri_length() -> None:
    """414 for a request target longer than REQUEST_LINE_LIMIT (marked by the middleware)."""
    length = request.environ.get("ai45kg.uri_too_long")
    if length:
        raise RequestURITooLarge(
            f"the request target is {length} characters long; this server takes at most "
            f"{REQUEST_LINE_LIMIT}: send a long query by POST (form field query, or the body "
            "as application/sparql-query)")


def _preflight() -> Response | None:
    if request.method != "OPTIONS" or "Access-Control-Request-Method" not in request.headers:
        return None
    response = Response(status=204)
    del response.headers["Content-Type"]
    origin = allowed_origin(request.headers.get("Origin"), origins_setting(current_app.config))
    if origin is None:
        return response
    response.headers["Access-Control-Allow-Methods"] = ALLOWED_METHODS
    response.headers["Access-Control-Allow-Headers"] = ", ".join(ALLOWED_HEADERS)
    response.headers["Access-Control-Max-Age"] = PREFLIGHT_MAX_AGE
    return response


def origins_setting(config: Mapping[str, Any]) -> str:
    """CORS_ORIGINS as `allowed_origin` reads it."""
    return str(config.get("CORS_ORIGINS", "*") or "")


#: what every response gets, whatever its type
BASE_HEADERS = [("X-Content-Type-Options", "nosniff"),
                ("Referrer-Policy", "strict-origin-when-cross-origin")]


def cors_headers(origin: str | None, setting: str) -> list[tuple[str, str]]:
    """The CORS headers of a response to a request from `origin`, under the CORS_ORIGINS
    `setting` (with `Vary: Origin` when the answer depends on the origin)."""
    headers = []
    allowed = allowed_origin(origin, setting)
    if allowed is not None:
        headers += [("Access-Control-Allow-Origin", allowed),
                    ("Access-Control-Expose-Headers", EXPOSED_HEADERS)]
    if setting.strip() not in ("", "*"):
        headers.append(("Vary", "Origin"))
    return headers


def _decorate(response: Response) -> Response:
    setting = origins_setting(current_app.config)
    for name, value in cors_headers(request.headers.get("Origin"), setting):
        if name == "Vary":
            response.vary.add(value)
        else:
            response.headers[name] = value
    response.headers.pop("Access-Control-Allow-Credentials", None)
    for name, value in BASE_HEADERS:
        response.headers.setdefault(name, value)
    if response.mimetype == "text/html":
        policy = current_app.config.get("CONTENT_SECURITY_POLICY")
        if policy:
            response.headers.setdefault("Content-Security-Policy", policy)
        response.headers.setdefault("X-Frame-Options", "DENY")
    return response


# ---------------------------------------------------------------------------------------------
# errors


def error_response(
    status: int,
    title: str,
    message: str,
    *,
    extra: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    """An error in the representation the client prefers (JSON by default)."""
    accept = parse_accept_header(request.headers.get("Accept"), MIMEAccept)
    media = accept.best_match(ERROR_TYPES, default=ERROR_TYPES[0]) or ERROR_TYPES[0]
    if media == "text/html":
        body = (
            "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{status} {html.escape(title)}</title></head><body>"
            f"<h1>{status} {html.escape(title)}</h1><p>{html.escape(message)}</p>"
            "</body></html>\n"
        )
        response = Response(body, status=status, content_type="text/html; charset=utf-8")
    elif media == "text/plain":
        response = Response(f"{status} {title}: {message}\n", status=status,
                            content_type="text/plain; charset=utf-8")
    else:
        doc = {"status": status, "error": title, "message": message, **(extra or {})}
        response = Response(json.dumps(doc, ensure_ascii=False) + "\n", status=status,
                            content_type="application/json")
    for name, value in (headers or {}).items():
        response.headers[name] = value
    response.headers["Cache-Control"] = "no-store"
    return response


_TITLES = {400: "Bad Request", 413: "Content Too Large", 502: "Bad Gateway",
           503: "Service Unavailable"}


def _query_error(exc: QueryError) -> Response:
    extra: dict[str, Any] = {"kind": type(exc).__name__}
    if isinstance(exc, QuerySyntaxError):
        extra.update(line=exc.line, column=exc.column, parser_message=exc.parser_message)
    return error_response(exc.status, _TITLES.get(exc.status, "Error"), exc.message, extra=extra)


def _http_error(exc: HTTPException) -> Response:
    status = exc.code or 500
    if status == 500:
        original = getattr(exc, "original_exception", None)
        if original is not None:
            current_app.logger.error("unhandled error on %s %s", request.method, request.path,
                                     exc_info=original)
        return error_response(500, "Internal Server Error",
                              "the server failed on this request; this is a bug, not something "
                              "your request did wrong, and the server log has the details")
    headers = {k: v for k, v in exc.get_headers() if k.lower() != "content-type"}
    message = exc.description or exc.name
    if status == 405:
        message = (f"{request.method} is not allowed on {request.path}; "
                   f"use {headers.get('Allow', 'GET, POST')}")
    elif status == 413:
        message = (f"the request body is larger than {current_app.config['MAX_CONTENT_LENGTH']} "
                   "bytes; queries are limited by MAX_QUERY_LENGTH")
    return error_response(status, exc.name, message, headers=headers)
