"""/suggest: the concepts of the taxonomy a work addresses, ranked, each with its reasons, for any
client (a reference manager plugin, a notebook) and as a small form in the UI.

`GET /suggest?title=...&abstract=...&keywords=a;b&top=5`, or `POST /suggest` with the same fields
form-encoded or as a JSON object, answers `{"title": ..., "suggestions": [{"concept", "label",
"kind", "score", "why": [...]}, ...]}` (the shape of `ai45kg suggest --format json`), or the form
page for browsers (`Accept: text/html` or `format=html`). Read-only: nothing is stored, and a
suggestion never enters the graph.

The ranker (kg.literature.suggest) is built once per app and dataset from the build's profiles
(dist/suggest-profiles.json), through `service.labels.cached`, keyed by the content hash: a reload
that serves another build ranks against its profiles. Limits: every field has a size cap (413,
naming the field and the cap), a missing title is a 400, and the caps bound the work of a request
(the ranker is linear in the text: the largest accepted request ranks in milliseconds, far below
QUERY_TIMEOUT_MS).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, Response, current_app, render_template, request
from werkzeug.datastructures import MIMEAccept
from werkzeug.http import parse_accept_header

from ai45kg.kg.literature.suggest import Ranker, Suggestion, Work

from .labels import base_iri, cached, local_path
from .security import error_response

bp = Blueprint("suggest", __name__)

#: the longest value of each field, in characters
MAX_TITLE = 1_000
MAX_ABSTRACT = 20_000
MAX_KEYWORDS = 2_000
MAX_TOP = 20
DEFAULT_TOP = 5
TYPES = ["application/json", "text/html"]


class BadInput(Exception):
    def __init__(self, status: int, message: str) -> None:
        self.status = status
        self.message = message
        super().__init__(message)


@dataclass
class Asked:
    title: str = ""
    abstract: str = ""
    keywords: str = ""
    top: int = DEFAULT_TOP

    def work(self) -> Work:
        return Work(self.title, self.abstract,
                    [k.strip() for k in self.keywords.split(";") if k.strip()])


def ranker() -> Ranker:
    """The app's ranker for the dataset it serves (built on first use)."""
    from ai45kg.kg.literature.profiles import load_profiles

    backend = current_app.extensions["ai45kg"]
    return cached("suggest-ranker", lambda: Ranker(load_profiles(backend.dist)))


def _media() -> str:
    override = (request.args.get("format") or "").lower()
    if override in ("json", "html"):
        return "text/html" if override == "html" else "application/json"
    accept = parse_accept_header(request.headers.get("Accept"), MIMEAccept)
    return accept.best_match(TYPES, default=TYPES[0]) or TYPES[0]


def _read() -> Asked:
    """The fields of the request (query string, form or JSON body), checked."""
    values: dict[str, Any] = dict(request.args)
    if request.method == "POST":
        if request.is_json:
            body = request.get_json(silent=True)
            if not isinstance(body, dict):
                raise BadInput(400, "the JSON body must be an object such as "
                                    '{"title": "...", "abstract": "..."}')
            values.update(body)
        else:
            values.update(request.form)
    asked = Asked()
    for name, cap in (("title", MAX_TITLE), ("abstract", MAX_ABSTRACT),
                      ("keywords", MAX_KEYWORDS)):
        value = values.get(name, "")
        if isinstance(value, list) and name == "keywords":
            value = ";".join(str(v) for v in value)
        if not isinstance(value, str):
            raise BadInput(400, f"{name} must be a string")
        if len(value) > cap:
            raise BadInput(413, f"{name} is {len(value):,} characters long; at most {cap:,} "
                                "are accepted")
        setattr(asked, name, value.strip())
    top = values.get("top", DEFAULT_TOP)
    try:
        asked.top = int(top)
    except (TypeError, ValueError):
        raise BadInput(400, f"top must be a whole number from 1 to {MAX_TOP}, not "
                            f"{str(top)[:20]!r}") from None
    if not 1 <= asked.top <= MAX_TOP:
        raise BadInput(400, f"top must be from 1 to {MAX_TOP}, not {asked.top}")
    return asked


@bp.route("/suggest", methods=["GET", "POST"])
def suggest() -> Response:
    """Ranked concepts of the taxonomy for a work's title (and abstract, keywords), with why."""
    media = _media()
    try:
        asked = _read()
    except BadInput as exc:
        return _error(media, exc.status, exc.message, Asked())
    if not asked.title:
        if media == "text/html" and request.method == "GET" and not request.args.get("title"):
            return _page(Asked(), None)  # the empty form
        return _error(media, 400, "give the work's title (title=...); abstract and keywords "
                                  "are optional", asked)
    try:
        found = ranker().rank(asked.work(), asked.top)
    except FileNotFoundError:
        return _error(media, 503, "this build has no concept profiles; rebuild it with "
                                  "`ai45kg build`", asked)
    if media == "text/html":
        return _page(asked, found)
    body = {"title": asked.title, "suggestions": [s.json() for s in found]}
    response = Response(json.dumps(body, ensure_ascii=False) + "\n", mimetype="application/json")
    response.headers["Cache-Control"] = "no-store"
    response.vary.add("Accept")
    return response


def _page(asked: Asked, found: list[Suggestion] | None, *, error: str = "",
          status: int = 200) -> Response:
    html = render_template("suggest.html", nav="suggest", asked=asked, found=found, error=error,
                           status=status, max_top=MAX_TOP,
                           href=lambda iri: local_path(iri, base_iri()), caps={"title": MAX_TITLE,
                                                                 "abstract": MAX_ABSTRACT,
                                                                 "keywords": MAX_KEYWORDS})
    response = Response(html, status=status, mimetype="text/html")
    response.vary.add("Accept")
    return response


def _error(media: str, status: int, message: str, asked: Asked) -> Response:
    if media == "text/html":
        return _page(asked, None, error=message, status=status)
    titles = {400: "Bad Request", 413: "Content Too Large", 503: "Service Unavailable"}
    return error_response(status, titles.get(status, "Error"), message)
