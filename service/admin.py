"""Admin routes: the only requests that change what the service serves.

Everything else in the app is read-only. These routes are off unless the ADMIN_TOKEN setting
holds a token of at least MIN_TOKEN_LENGTH characters (give it in the environment,
AI45_ADMIN_TOKEN): when off they answer 404, as a route that does not exist would. A request must
carry the token as `Authorization: Bearer <token>`; it is compared in constant time
(`hmac.compare_digest`), and a missing or wrong token is a 401 that says nothing about the
token. Browsers cannot send the header cross-origin (CORS does not allow `Authorization`), and a
header is never sent on its own, so a page on another site cannot make a visitor's browser reload.

- `POST /admin/reload`: `Backend.reload()`, which opens the dataset that DIST holds now (after an
  `ai45kg build` or import) and swaps it in without dropping a request; answers the content hash
  before and after. With WORKERS > 1 under `ai45kg serve`, the other HTTP processes hold their
  own Backend: once the build opened here, the route asks granian (SIGHUP to the main process)
  to replace every HTTP process gracefully, one at a time, and each new one opens the build DIST
  holds. The answer says how many HTTP processes that concerns (`http_processes`).
"""

from __future__ import annotations

import hmac
import os
import signal

from flask import Blueprint, Response, current_app, jsonify, request
from werkzeug.datastructures import WWWAuthenticate
from werkzeug.exceptions import NotFound, Unauthorized

from .backend import QueryError
from .security import error_response
from .settings import MAIN_PID_ENV

bp = Blueprint("admin", __name__)

#: shorter tokens leave the admin routes off (a short secret can be guessed)
MIN_TOKEN_LENGTH = 16


def _token() -> str | None:
    """The configured token, or None when the admin routes are off."""
    token = str(current_app.config.get("ADMIN_TOKEN") or "")
    if not token:
        return None
    if len(token) < MIN_TOKEN_LENGTH:
        current_app.logger.warning(
            "ADMIN_TOKEN is shorter than %d characters: the admin routes stay off",
            MIN_TOKEN_LENGTH)
        return None
    return token


@bp.before_request
def _authorise() -> None:
    token = _token()
    if token is None:
        raise NotFound()
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    expected = token.encode("utf-8")
    # compare the bytes in constant time (compare_digest refuses non-ASCII str)
    ok = hmac.compare_digest(given.strip().encode("utf-8", "surrogateescape"), expected)
    if scheme.lower() != "bearer" or not ok:
        raise Unauthorized(
            "this admin route needs the admin token: send it as 'Authorization: Bearer <token>' "
            "(setting ADMIN_TOKEN)",
            www_authenticate=WWWAuthenticate("Bearer", {"realm": "ai45kg admin"}),
        )


@bp.post("/admin/reload")
def reload() -> Response:
    """Reload the dataset from DIST (admin; needs the admin token)."""
    backend = current_app.extensions["ai45kg"]
    before = backend.content_hash
    do_reload = getattr(backend, "reload", None)
    if do_reload is None:
        return error_response(501, "Not Implemented",
                              "this version of the service cannot reload its dataset; restart it")
    try:
        do_reload()
    except QueryError as exc:
        current_app.logger.error("reload failed: %s", exc.message)
        return error_response(exc.status, "Reload failed",
                              f"{exc.message}; the previous dataset is still served")
    except Exception as exc:  # whatever opening the new build raised: it is not served
        current_app.logger.exception("reload failed")
        return error_response(503, "Reload failed",
                              f"the dataset in {current_app.config.get('DIST') or 'dist/'} could "
                              f"not be opened ({type(exc).__name__}: {exc}); the previous "
                              "dataset is still served")
    after = backend.content_hash
    processes = _replace_http_processes()
    current_app.logger.info("reloaded the dataset: %s -> %s%s", before[:12], after[:12],
                            f"; replacing all {processes} HTTP processes" if processes > 1 else "")
    response = jsonify({"status": "reloaded", "previous_content_hash": before,
                        "content_hash": after, "changed": before != after,
                        "http_processes": processes})
    response.headers["Cache-Control"] = "no-store"
    return response


def _replace_http_processes() -> int:
    """How many HTTP processes serve this app; when there are several and this one runs under
    `ai45kg serve`, granian is asked to replace them all (SIGHUP to its main process, this
    process's parent): a Backend is per process, and the others would go on serving the
    previous build. Under any other server the signal is never sent."""
    processes = max(1, int(current_app.config.get("WORKERS") or 1))
    main = os.environ.get(MAIN_PID_ENV, "")
    if processes > 1 and main.isdigit() and int(main) == os.getppid():
        os.kill(int(main), signal.SIGHUP)
        return processes
    return 1
