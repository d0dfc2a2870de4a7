"""The analysts' report and exports over HTTP: /report (HTML, with /report.json and /report.md),
every table of it as CSV or JSON (/report/tables/NAME.csv), its pictures as SVG or PNG
(/report/pictures/NAME.svg), the works as BibTeX (/export/works.bib) and the taxonomy as SKOS
(/export/skos.ttl). `?scope=paper` limits any of them to the paper alone; the default is the
paper with the analysts' imports (`?scope=all`).

The report is computed by kg.reports through the Backend (the one place where queries meet the
dataset) and cached per dataset and scope.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from flask import Blueprint, Response, abort, current_app, render_template, request, url_for
from rdflib.term import Identifier, Node

from ai45kg.kg.exports import skos_turtle, works_bibtex
from ai45kg.kg.reports import Report, compute_report
from ai45kg.kg.scopes import SCOPES

from .labels import base_iri, cached, local_path

bp = Blueprint("reports", __name__)

#: rows a report query may return (the service's own pages, not a public query)
MAX_REPORT_ROWS = 1_000_000
TABLE_TYPES = {"csv": "text/csv; charset=utf-8", "json": "application/json"}
PICTURE_TYPES = {"svg": "image/svg+xml", "png": "image/png"}


def backend_runner(sparql: str, bindings: Mapping[str, Identifier],
                   graphs: Sequence[str] | None) -> tuple[list[str], list[tuple[Node | None, ...]]]:
    """kg.reports.Runner over the app's Backend."""
    backend = current_app.extensions["ai45kg"]
    outcome = backend.run(sparql, bindings, default_graph_uris=graphs, named_graph_uris=graphs,
                          max_rows=MAX_REPORT_ROWS)
    return list(outcome.result.vars), list(outcome.result.rows)


def _scope() -> str:
    scope = request.args.get("scope", "all")
    if scope not in SCOPES:
        abort(400, description=f"scope must be one of {', '.join(SCOPES)}, not {scope!r}")
    return scope


def _graph_names() -> list[str]:
    return [str(g) for g in current_app.extensions["ai45kg"].graph_names()]


def get_report(scope: str) -> Report:
    backend = current_app.extensions["ai45kg"]
    return cached(f"report:{scope}", lambda: compute_report(
        backend_runner, scope=scope, content_hash=backend.content_hash,
        graph_names=_graph_names()))


def _links(scope: str) -> dict[str, Any]:
    def table_link(name: str, ext: str) -> str:
        return url_for("reports.table", name=name, ext=ext, scope=scope)

    def picture_link(name: str, ext: str) -> str:
        return url_for("reports.picture", name=name, ext=ext, scope=scope)

    def href(iri: str) -> str | None:
        return local_path(iri, base_iri())

    return {"table_link": table_link, "picture_link": picture_link, "href": href}


@bp.get("/report")
def report() -> Response:
    """The literature map: coverage of the taxonomy, gaps, imports, version diff (HTML)."""
    scope = _scope()
    result = get_report(scope)
    links = _links(scope)
    body = result.html_body(**links)
    return Response(render_template(
        "report.html", report=result, body=body, scope=scope, scopes=SCOPES, nav="report",
        downloads={"json": url_for("reports.report_json", scope=scope),
                   "md": url_for("reports.report_markdown", scope=scope),
                   "bib": url_for("reports.works_bib", scope=scope),
                   "skos": url_for("reports.skos")},
    ), mimetype="text/html")


@bp.get("/report.json")
def report_json() -> Response:
    """The report's sections and every table as JSON."""
    return Response(json.dumps(get_report(_scope()).json(), ensure_ascii=False, indent=1),
                    mimetype="application/json")


@bp.get("/report.md")
def report_markdown() -> Response:
    """The report as Markdown (tables and links to the pictures and downloads)."""
    scope = _scope()
    links = _links(scope)
    text = get_report(scope).markdown(table_link=links["table_link"],
                                      picture_link=links["picture_link"])
    return Response(text, mimetype="text/markdown; charset=utf-8")


@bp.get("/report/tables/<name>.<ext>")
def table(name: str, ext: str) -> Response:
    """One table of the report as CSV or JSON."""
    if ext not in TABLE_TYPES:
        abort(404, description=f"tables download as {' or '.join(TABLE_TYPES)}")
    scope = _scope()
    found = get_report(scope).tables.get(name)
    if found is None:
        abort(404, description=f"the report has no table {name!r}")
    data = found.csv() if ext == "csv" else json.dumps(found.json(), ensure_ascii=False,
                                                      indent=1)
    response = Response(data, mimetype=TABLE_TYPES[ext])
    if ext == "csv":
        response.headers["Content-Disposition"] = f'attachment; filename="{name}-{scope}.csv"'
    return response


@bp.get("/report/pictures/<name>.<ext>")
def picture(name: str, ext: str) -> Response:
    """One picture of the report as SVG or PNG."""
    if ext not in PICTURE_TYPES:
        abort(404, description=f"pictures come as {' or '.join(PICTURE_TYPES)}")
    scope = _scope()
    found = get_report(scope).pictures.get(name)
    if found is None:
        abort(404, description=f"the report has no picture {name!r}")
    if ext == "svg":
        return Response(found.svg, mimetype=PICTURE_TYPES[ext])
    png = cached(f"png:{scope}:{name}", found.png)
    if png is None:
        abort(404, description="PNG rendering needs cairosvg and libcairo, which this server "
                               "lacks; the SVG is available")
    return Response(png, mimetype=PICTURE_TYPES[ext])


@bp.get("/export/works.bib")
def works_bib() -> Response:
    """The cited works (with ?scope=all also the imported ones) as BibTeX."""
    scope = request.args.get("scope", "paper")
    if scope not in SCOPES:
        abort(400, description=f"scope must be one of {', '.join(SCOPES)}")
    text = cached(f"bib:{scope}", lambda: works_bibtex(backend_runner, scope=scope,
                                                         graph_names=_graph_names()))
    response = Response(text, mimetype="application/x-bibtex; charset=utf-8")
    response.headers["Content-Disposition"] = 'inline; filename="works.bib"'
    return response


@bp.get("/export/skos.ttl")
def skos() -> Response:
    """The taxonomy as a SKOS concept scheme (Turtle; SKOS and RDFS terms only)."""
    text = cached("skos", lambda: skos_turtle(backend_runner, graph_names=_graph_names()))
    return Response(text, mimetype="text/turtle; charset=utf-8")
