"""Named queries (queries/*.rq, loaded by kg.queries): listed at /queries, run at /queries/NAME.

A query runs with its parameters taken from the query string, each parsed into a typed RDF term
by `NamedQuery.bind` and passed to `Backend.run` as a binding, never pasted into the text. An
unknown parameter or a bad value is a 400 whose message says what is allowed (for IRI parameters
restricted to a class, the instances the data has). Results come as an HTML table with the SPARQL
and a parameter form, or as SPARQL JSON, XML, CSV or TSV by extension (.json, .xml, .csv, .tsv),
`format=` or `Accept`.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, Response, current_app, render_template, request, url_for
from rdflib import URIRef
from rdflib.term import Identifier

from ai45kg.kg import queries as named

from . import negotiation as neg
from .cache import cached_view
from .labels import get_labels, results_table
from .resources import split_extension
from .results import content_type

bp = Blueprint("queries", __name__)

#: the query-string names that are not parameters of a named query
RESERVED = {"format"}
#: Accept: application/json arrives as its synonym application/sparql-results+json
LIST_OFFERED = [neg.HTML, "application/json", "application/sparql-results+json"]
MAX_HTML_ROWS = 2000
#: (content hash, class, term) -> whether the term is an instance of the class (per process)
_INSTANCE_CHECKS: dict[tuple[str, str, str], bool] = {}
MAX_INSTANCE_CHECKS = 4096

INSTANCES = """
SELECT DISTINCT ?x WHERE { ?x a ?class . FILTER(isIRI(?x)) }
"""
IS_INSTANCE = """
ASK { ?x a ?class }
"""


def load() -> dict[str, named.NamedQuery]:
    """The named queries of queries/, in step with edits to the files (kg.queries.catalogue)."""
    return named.catalogue().queries


def describe(q: named.NamedQuery) -> dict[str, Any]:
    """A named query as the JSON list shows it."""
    return {
        "name": q.name,
        "title": q.title,
        "description": q.description,
        "url": url_for("queries.show", name=q.name, _external=True),
        "params": [
            {"name": p.name, "type": p.type, "default": p.default,
             "description": p.description, "instances_of": p.instances_of}
            for p in q.params
        ],
        "sparql": q.text,
    }


@bp.get("/queries.json")
def index_json() -> Response:
    """The named queries as JSON."""
    return _index("application/json")


@bp.get("/queries")
def index() -> Response:
    """The named queries, with titles, descriptions and parameters."""
    return _index(neg.for_request(LIST_OFFERED, None, default=neg.HTML))


def _index(media: str) -> Response:
    loaded = load()
    if media != neg.HTML:
        response = Response(
            json.dumps([describe(q) for q in loaded.values()], ensure_ascii=False, indent=2),
            mimetype="application/json",
        )
    else:
        labels = get_labels()
        response = Response(
            render_template("queries.html", queries=list(loaded.values()),
                            class_view=lambda iri: labels.view(URIRef(iri))),
            mimetype="text/html",
        )
    response.vary.add("Accept")
    return response


@bp.get("/queries/<name>")
@cached_view
def show(name: str) -> Response:
    """Run one named query with its parameters; HTML table, JSON, CSV, TSV or XML."""
    from .backend import QueryError
    loaded = load()
    ext = None
    if name not in loaded:
        stem, ext = split_extension(name)
        if ext is None or stem not in loaded:
            return _unknown(name, loaded)
        name = stem
    q = loaded[name]
    backend = current_app.extensions["ai45kg"]
    form = backend.check(q.text).form
    offered = [neg.HTML, *(neg.RESULTS_TYPES if form in ("SELECT", "ASK") else neg.GRAPH_TYPES)]
    media = neg.for_request(offered, ext, default=neg.HTML)

    raw = {k: v for k, v in request.args.items() if k not in RESERVED}
    try:
        _given_once(raw)
        bindings = _bind(q, raw)
        _check_classes(q, bindings)
    except named.ParamError as exc:
        return _bad_request(q, raw, str(exc), media)
    try:
        outcome = backend.run(q.text, bindings=bindings,
                              media=None if media == neg.HTML else media)
    except QueryError as exc:
        return _error(q, raw, exc.status, exc.message, media)

    if media != neg.HTML:
        response = Response(outcome.rendered(), content_type=content_type(media))
        response.headers["AI45-Truncated"] = "true" if outcome.truncated else "false"
        response.headers["Content-Disposition"] = (
            f'inline; filename="{q.name}.{ext or neg.EXTENSIONS.get(media, "txt")}"'
        )
        response.vary.add("Accept")
        return response
    body = render_template(
        "named_query.html",
        q=q,
        fields=_fields(q, raw),
        table=results_table(outcome, get_labels(), max_html_rows=MAX_HTML_ROWS),
        downloads=_downloads(q, raw, form),
        error=None,
    )
    response = Response(body, mimetype="text/html")
    response.vary.add("Accept")
    return response


def _given_once(raw: dict[str, str]) -> None:
    """A parameter given twice is ambiguous (and a classic way past filters that look at the
    other copy): refuse it, as the SPARQL Protocol does for `query`."""
    for key in raw:
        count = len(request.args.getlist(key))
        if count > 1:
            raise named.ParamError(f"parameter {key!r} was given {count} times; give it once")


def _bind(q: named.NamedQuery, raw: dict[str, str]) -> dict[str, Identifier]:
    """`NamedQuery.bind`, with the allowed values added to the message of a class-bound IRI."""
    try:
        return q.bind(raw)
    except named.ParamError as exc:
        for p in q.params:
            if p.instances_of and p.name in raw:
                try:
                    p.parse(raw[p.name])
                except named.ParamError:
                    allowed = _allowed(URIRef(p.instances_of))
                    raise named.ParamError(f"{exc}; allowed: {allowed}") from exc
        raise


def _is_instance(backend: Any, term: Identifier, cls: URIRef) -> bool:
    """Whether the data types `term` with `cls`; remembered per build (a second query per
    request otherwise, for an answer that only a new build changes)."""
    key = (backend.content_hash, str(cls), term.n3())
    known = _INSTANCE_CHECKS.get(key)
    if known is None:
        known = bool(backend.run(IS_INSTANCE, bindings={"x": term, "class": cls}).result.boolean)
        if len(_INSTANCE_CHECKS) >= MAX_INSTANCE_CHECKS:
            _INSTANCE_CHECKS.clear()
        _INSTANCE_CHECKS[key] = known
    return known


def _allowed(cls: URIRef) -> str:
    return ", ".join(f"{_short(v.value)} ({v.text})" for v in _instances(cls))


def _check_classes(q: named.NamedQuery, bindings: dict[str, Identifier]) -> None:
    """An IRI parameter restricted to a class must name an instance of it in the data."""
    backend = current_app.extensions["ai45kg"]
    for p in q.params:
        if not p.instances_of or p.name not in bindings:
            continue
        cls = URIRef(p.instances_of)
        if not _is_instance(backend, bindings[p.name], cls):
            raise named.ParamError(
                f"parameter {p.name!r} must be a {get_labels().text(cls)}, got "
                f"<{bindings[p.name]}>; allowed: {_allowed(cls)}"
            )


def _instances(cls: URIRef) -> list[Any]:
    backend = current_app.extensions["ai45kg"]
    labels = get_labels()
    rows = backend.run(INSTANCES, bindings={"class": cls}, max_rows=1000).result.rows
    views = [labels.view(row[0]) for row in rows]
    return sorted((v for v in views if v is not None), key=lambda v: v.text.lower())


def _short(iri: str) -> str:
    from .labels import curie

    return curie(iri) or f"<{iri}>"


def _fields(q: named.NamedQuery, raw: dict[str, str]) -> list[dict[str, Any]]:
    """The parameter form: one field per parameter, a list of choices for class-bound IRIs."""
    out = []
    for p in q.params:
        value = raw.get(p.name) or p.default or ""
        field: dict[str, Any] = {"param": p, "value": value, "choices": None}
        if p.type == "iri" and p.instances_of:
            current = named.expand(value)
            field["choices"] = [
                {"value": _short(v.value), "text": v.text, "selected": v.value == current}
                for v in _instances(URIRef(p.instances_of))
            ]
            if field["choices"] and not any(c["selected"] for c in field["choices"]):
                field["choices"].insert(0, {"value": value, "text": value, "selected": True})
        out.append(field)
    return out


def _downloads(q: named.NamedQuery, raw: dict[str, str], form: str) -> list[dict[str, str]]:
    kinds = (["json", "csv", "tsv", "xml"] if form in ("SELECT", "ASK")
             else ["ttl", "jsonld", "nt", "rdf"])
    args: dict[str, Any] = dict(raw)
    return [
        {"format": ext.upper(), "url": url_for("queries.show", name=f"{q.name}.{ext}", **args)}
        for ext in kinds
    ]



def _bad_request(q: named.NamedQuery, raw: dict[str, str], message: str, media: str) -> Response:
    return _error(q, raw, 400, message, media)


def _error(q: named.NamedQuery, raw: dict[str, str], status: int, message: str,
           media: str) -> Response:
    """An error in the negotiated format: the page with the form, JSON, or plain text."""
    allowed = [{"name": p.name, "type": p.type, "default": p.default,
                "description": p.description} for p in q.params]
    if media == neg.HTML:
        body = render_template("named_query.html", q=q, fields=_fields_safe(q, raw), table=None,
                               downloads=[], error={"status": status, "message": message})
        return Response(body, status, mimetype="text/html")
    if media in ("application/sparql-results+json", "application/sparql-results+xml",
                 "application/ld+json"):
        doc = {"status": status, "error": "Bad Request" if status == 400 else "Error",
               "message": message, "query": q.name, "params": allowed}
        return Response(json.dumps(doc, ensure_ascii=False) + "\n", status,
                        mimetype="application/json")
    return Response(f"{status} {message}\n", status, mimetype="text/plain")


def _fields_safe(q: named.NamedQuery, raw: dict[str, str]) -> list[dict[str, Any]]:
    """The form for an error page: the user's values kept, unknown parameters dropped."""
    known = {p.name for p in q.params}
    return _fields(q, {k: v for k, v in raw.items() if k in known})


def _unknown(name: str, loaded: dict[str, named.NamedQuery]) -> Response:
    """404 for a query name that does not exist, listing those that do."""
    available = ", ".join(sorted(loaded)) or "none"
    wants_html = True
    try:
        wants_html = neg.choose(request.headers.get("Accept"), [neg.HTML, "application/json",
                                                                  "text/plain"],
                                default=neg.HTML) == neg.HTML
    except neg.NotAcceptable:
        wants_html = False
    if not wants_html or name.endswith((".json", ".csv", ".tsv", ".xml")):
        return Response(json.dumps({"status": 404, "error": "Not Found",
                                    "message": f"no named query {name!r}; available: {available}"})
                        + "\n", 404, mimetype="application/json")
    body = render_template("error.html", title="No such named query",
                           message=f"There is no named query called “{name}”.",
                           links=[(url_for("queries.show", name=n), q.title)
                                  for n, q in sorted(loaded.items())])
    return Response(body, 404, mimetype="text/html")
