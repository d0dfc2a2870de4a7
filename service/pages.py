"""The web UI, rendered on the server and readable without JavaScript: the home page (what the
dataset holds, with counts and the Matrix of Trustworthy AGI drawn from the graph as inline SVG)
and the query page (a SPARQL editor whose form works without JavaScript; static/query.js only
adds highlighting, Ctrl+Enter and loading the examples)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from flask import Blueprint, Response, current_app, render_template, request, url_for
from rdflib import Literal, URIRef
from rdflib.term import Node

from ai45kg.kg import queries as named
from ai45kg.kg.namespaces import AI45, PREFIXES

from . import negotiation as neg
from .labels import TermView, base_iri, cached, get_labels, results_table

bp = Blueprint("pages", __name__)

#: the query the editor starts with, after the PREFIX lines
STARTER = """SELECT ?layer ?label ?technique ?techniqueLabel WHERE {
  ?layer a ai45:Layer ;
         ai45:layerRank ?rank ;
         rdfs:label ?label .
  OPTIONAL { ?technique ai45:inLayer ?layer ; rdfs:label ?techniqueLabel }
}
ORDER BY ?rank ?techniqueLabel
LIMIT 100
"""
#: a GET link longer than this is offered as a POST form instead (request targets over
#: security.REQUEST_LINE_LIMIT get 414)
MAX_LINK = 6000
#: most rows the query page renders as HTML (the downloads have them all)
MAX_HTML_ROWS = 2000

COUNTS = """
PREFIX ai45: <https://w3id.org/ai45/ontology#>
SELECT ?class (COUNT(DISTINCT ?x) AS ?n) WHERE {
  VALUES ?class {
    ai45:Layer ai45:TrustworthinessLevel ai45:Technique ai45:TechniqueSubKind ai45:MethodFamily
    ai45:GovernanceMeasure ai45:RepresentativeModel ai45:Task ai45:Threat ai45:SafetyPractice
    ai45:RedLineRisk ai45:CitedWork
    ai45:Reference ai45:CitationGroup ai45:PaperVersion ai45:FrameworkConcept
  }
  ?x a ?class .
}
GROUP BY ?class
"""

EVIDENCE_COUNTS = """
PREFIX ai45: <https://w3id.org/ai45/ontology#>
SELECT ?status (COUNT(DISTINCT ?ev) AS ?n) WHERE { ?ev ai45:evidenceStatus ?status }
GROUP BY ?status
"""

AXES = """
PREFIX ai45: <https://w3id.org/ai45/ontology#>
SELECT ?kind ?x ?rank WHERE {
  { ?x a ai45:TrustworthinessLevel ; ai45:levelRank ?rank . BIND("level" AS ?kind) }
  UNION
  { ?x a ai45:Layer ; ai45:layerRank ?rank . BIND("layer" AS ?kind) }
}
"""

CELLS = """
PREFIX ai45: <https://w3id.org/ai45/ontology#>
PREFIX owl: <http://www.w3.org/2002/07/owl#>
SELECT ?reliance ?level ?layer ?degree ?rank ?property ?status WHERE {
  ?reliance a ai45:LayerReliance ;
            ai45:relianceOfLevel ?level ;
            ai45:relianceOnLayer ?layer ;
            ai45:relianceDegree ?degree .
  OPTIONAL { ?degree ai45:degreeRank ?rank }
  OPTIONAL {
    ?axiom owl:annotatedSource ?reliance ;
           owl:annotatedProperty ?property ;
           ai45:evidence ?ev .
    ?ev ai45:evidenceStatus ?status .
  }
}
"""

MODELS = """
PREFIX ai45: <https://w3id.org/ai45/ontology#>
SELECT ?model ?level ?layer WHERE {
  ?model a ai45:RepresentativeModel ;
         ai45:placedAtLevel ?level .
  OPTIONAL { ?model ai45:usesLayer ?layer }
}
"""


@bp.app_context_processor
def site_context() -> dict[str, Any]:
    """What base.html shows on every page (dataset hash, navigation, media types)."""
    backend = current_app.extensions.get("ai45kg")
    manifest = getattr(backend, "manifest", {}) or {}
    return {
        "site": {
            "content_hash": getattr(backend, "content_hash", ""),
            "built": manifest.get("built", ""),
        },
        "media_types": neg.ALIASES,
    }


# --------------------------------------------------------------------------- the matrix


@dataclass
class Cell:
    """One cell of the Matrix: how much a level relies on a layer, and how sure the graph is."""

    level: TermView
    layer: TermView
    reliance: TermView | None = None
    degree: TermView | None = None
    rank: int | None = None
    status: str = "unknown"  # stated, interpreted, or unknown (no evidence)
    models: list[TermView] = field(default_factory=list)

    @property
    def description(self) -> str:
        degree = self.degree.text if self.degree else "no data"
        return f"{self.level.text} on {self.layer.text}: {degree} ({self.status})"


@dataclass
class Matrix:
    levels: list[tuple[int, TermView]]
    layers: list[tuple[int, TermView]]
    cells: dict[tuple[str, str], Cell]
    degrees: list[tuple[int, TermView]]
    geometry: dict[str, Any] = field(default_factory=dict)

    def cell(self, level: TermView, layer: TermView) -> Cell:
        return self.cells[(level.value, layer.value)]


def build_matrix() -> Matrix:
    """The Matrix of Trustworthy AGI from the graph: levels x layers, each cell a LayerReliance."""
    backend = current_app.extensions["ai45kg"]
    labels = get_labels()
    levels: list[tuple[int, TermView]] = []
    layers: list[tuple[int, TermView]] = []
    for kind, x, rank in backend.run(AXES).result.rows:
        view = labels.view(x)
        if view is None:
            continue
        (levels if str(kind) == "level" else layers).append((_int(rank), view))
    levels.sort(key=lambda t: t[0])
    layers.sort(key=lambda t: t[0])
    cells = {
        (lv.value, ly.value): Cell(lv, ly) for _, lv in levels for _, ly in layers
    }
    statuses: dict[tuple[str, str], dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    degrees: dict[str, tuple[int, TermView]] = {}
    for reliance, level, layer, degree, rank, prop, status in backend.run(CELLS).result.rows:
        cell = cells.get((str(level), str(layer)))
        if cell is None:
            continue
        cell.reliance = labels.view(reliance)
        cell.degree = labels.view(degree)
        cell.rank = _int(rank) if rank is not None else None
        if cell.degree is not None and cell.rank is not None:
            degrees[cell.degree.value] = (cell.rank, cell.degree)
        if status is not None:
            which = "degree" if prop == AI45.relianceDegree else "other"
            statuses[(str(level), str(layer))][which].add(_status(status))
    for key, cell in cells.items():
        found = statuses.get(key)
        if not found or cell.reliance is None:
            continue
        # the degree is what the cell shows: its own evidence decides; other axioms only if none
        chosen = found.get("degree") or found.get("other") or set()
        cell.status = "stated" if "stated" in chosen else (
            "interpreted" if chosen else "unknown")
    for model, level, layer in backend.run(MODELS).result.rows:
        view = labels.view(model)
        if view is None or layer is None:
            continue
        cell = cells.get((str(level), str(layer)))
        if cell is not None and view not in cell.models:
            cell.models.append(view)
    for cell in cells.values():
        cell.models.sort(key=lambda v: v.text.lower())
    matrix = Matrix(levels, layers, cells, sorted(degrees.values(), key=lambda t: t[0]))
    matrix.geometry = _geometry(matrix)
    return matrix


def _geometry(matrix: Matrix) -> dict[str, Any]:
    """Sizes and positions of the SVG: rows grow with the models placed in them."""
    head_w, col_w, head_h, chip_h, pad = 280, 250, 56, 20, 8
    rows = []
    y = head_h
    for _, level in matrix.levels:
        most = max((len(matrix.cell(level, ly).models) for _, ly in matrix.layers), default=0)
        height = max(76, 44 + most * (chip_h + 4) + pad)
        rows.append({"y": y, "h": height})
        y += height
    legend_y = y + 24
    width = head_w + col_w * max(1, len(matrix.layers))
    return {
        "head_w": head_w, "col_w": col_w, "head_h": head_h, "chip_h": chip_h,
        "rows": rows, "legend_y": legend_y, "width": width, "height": legend_y + 78,
    }


def _int(term: Node | None) -> int:
    try:
        return int(term.toPython()) if isinstance(term, Literal) else 0  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return 0


def _status(term: Node) -> str:
    if term == AI45.stated:
        return "stated"
    if term == AI45.interpreted:
        return "interpreted"
    return "unknown"


def home_counts() -> dict[str, Any]:
    """The numbers the home page opens with."""
    backend = current_app.extensions["ai45kg"]
    by_class = {str(c): int(n) for c, n in backend.run(COUNTS).result.rows}
    evidence = {_status(s): int(n) for s, n in backend.run(EVIDENCE_COUNTS).result.rows}
    labels = get_labels()
    order = ["Layer", "TrustworthinessLevel", "Technique", "TechniqueSubKind", "MethodFamily",
             "GovernanceMeasure", "RepresentativeModel", "Task", "Threat", "SafetyPractice",
             "RedLineRisk", "CitedWork", "Reference", "CitationGroup", "PaperVersion"]
    classes = []
    for local in order:
        iri = str(AI45[local])
        if by_class.get(iri):
            classes.append((labels.view(URIRef(iri)), by_class[iri]))
    triples = backend.manifest.get("triples", {})
    return {
        "classes": classes,
        "concepts": by_class.get(str(AI45.FrameworkConcept), 0),
        "stated": evidence.get("stated", 0),
        "interpreted": evidence.get("interpreted", 0),
        "triples": sum(int(v) for v in triples.values()),
        "graphs": [(labels.view(URIRef(g)), int(n)) for g, n in sorted(triples.items())],
    }


@bp.get("/")
def home() -> Response:
    """What the dataset is, with counts and the Matrix of Trustworthy AGI."""
    counts, matrix = cached("home", lambda: (home_counts(), build_matrix()))
    paper = get_labels().view(URIRef(base_iri() + "id/paper/towards-ai-45-law"))
    body = render_template("home.html", counts=counts, matrix=matrix, paper=paper)
    return Response(body, mimetype="text/html")


# --------------------------------------------------------------------------- the query page


def prefix_block() -> str:
    """PREFIX lines for every prefix of kg.namespaces.PREFIXES."""
    width = max(len(p) for p in PREFIXES) + 2
    return "\n".join(f"PREFIX {(p + ':').ljust(width)}<{ns}>" for p, ns in PREFIXES.items())


def examples() -> list[dict[str, Any]]:
    """The named queries, offered as examples on the query page."""
    try:
        loaded = named.catalogue().queries
    except named.QueryFileError as exc:
        current_app.logger.error("named queries do not load: %s", exc)
        return []
    return [
        {"name": q.name, "title": q.title, "description": q.description, "text": q.text,
         "url": url_for("queries.show", name=q.name)}
        for q in loaded.values()
    ]


@bp.route("/examples")
def competency_questions() -> Response:
    """The competency questions as a tutorial: each question of the paper, how the vocabulary
    answers it, and its query, ready to run in the editor."""
    try:
        loaded = named.load_examples()
    except named.QueryFileError as exc:
        current_app.logger.error("competency questions do not load: %s", exc)
        loaded = []
    topics: dict[str, list[dict[str, Any]]] = {}
    for ex in loaded:
        topics.setdefault(ex.topic, []).append(
            {"name": ex.name, "question": ex.question, "explanation": ex.explanation,
             "text": ex.text, "run": url_for("pages.query", query=ex.text)})
    body = render_template("examples.html", topics=topics, count=len(loaded))
    return Response(body, 200, mimetype="text/html")


def download_links(query: str, form: str) -> list[dict[str, Any]]:
    """Result downloads for the query: links to /sparql, or forms when the URL would be long."""
    if form in ("SELECT", "ASK"):
        kinds = [("json", "JSON"), ("csv", "CSV"), ("tsv", "TSV"), ("xml", "XML")]
    else:
        kinds = [("ttl", "Turtle"), ("jsonld", "JSON-LD"), ("nt", "N-Triples"), ("rdf", "RDF/XML")]
    out = []
    for fmt, name in kinds:
        url = url_for("sparql.endpoint", query=query, format=fmt)
        out.append({"format": fmt, "name": name, "url": url, "post": len(url) > MAX_LINK})
    return out


@bp.route("/query", methods=["GET", "POST"])
def query() -> Response:
    """The SPARQL editor; with `query` it runs it and shows the results (no JavaScript needed)."""
    from .backend import QueryError

    values = request.form if request.method == "POST" else request.args
    text = values.get("query")
    default_graphs = values.getlist("default-graph-uri")
    named_graphs = values.getlist("named-graph-uri")
    shown = text if text else prefix_block() + "\n\n" + STARTER
    context: dict[str, Any] = {
        "query": shown,
        # tall enough to show the whole query without scrolling inside the box (up to a point)
        "rows": min(max(shown.count("\n") + 2, 12), 60),
        "examples": examples(),
        "prefixes": PREFIXES,
        "default_graphs": default_graphs,
        "named_graphs": named_graphs,
        "ran": text is not None and text.strip() != "",
        "table": None,
        "error": None,
        "downloads": [],
    }
    status = 200
    if text is not None and context["ran"]:
        backend = current_app.extensions["ai45kg"]
        try:
            form = backend.check(text).form
            outcome = backend.run(text, default_graph_uris=default_graphs or None,
                                  named_graph_uris=named_graphs or None)
        except QueryError as exc:
            status = exc.status
            context["error"] = {"status": exc.status, "message": exc.message,
                                "kind": type(exc).__name__}
        else:
            context["table"] = results_table(outcome, get_labels(), max_html_rows=MAX_HTML_ROWS)
            context["downloads"] = download_links(text, form)
    body = render_template("query.html", **context)
    response = Response(body, status, mimetype="text/html")
    if status >= 400:
        response.headers["Cache-Control"] = "no-store"  # as every error of the service
    return response
