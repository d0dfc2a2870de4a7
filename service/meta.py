"""What the service says about itself and its dataset: the VoID + DCAT description at
/.well-known/void, the dumps under /download/, the /data page, /settings.json, and the OpenAPI 3
description at /openapi.json (with its readable form at /api).

The OpenAPI paths are written here as data for the routes whose parameters and answers need
explaining, then checked against `app.url_map` when served: a route without an entry is still
listed (from its view's docstring) and an entry without a route is dropped, so the description
is always true to the routes (a test walks the url map).
"""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, render_template, request, send_file
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, FOAF, RDF, XSD

from ai45kg.kg.load import bind_prefixes
from ai45kg.kg.namespaces import AI45, DCAT, GRAPH, PAPER, SD, VOID
from ai45kg.kg.scopes import SCOPES

from . import negotiation as neg
from .labels import base_iri, get_labels, graph_description
from .settings import SECRET_SETTINGS, SETTINGS

bp = Blueprint("meta", __name__)

#: the dumps `kg.build` writes: file name -> (media type, what it holds)
DUMP_NOTES = {
    "trig": "all named graphs (TriG)",
    "nq": "all named graphs (N-Quads)",
    "ttl": "union of the graphs (Turtle)",
    "nt": "union of the graphs (N-Triples)",
    "jsonld": "union of the graphs (JSON-LD)",
    "rdf": "union of the graphs (RDF/XML)",
}
VOID_OFFERED = [
    "text/turtle",
    "application/ld+json",
    "application/n-triples",
    "application/rdf+xml",
    neg.HTML,
]
IANA = "https://www.iana.org/assignments/media-types/"
SPARQL_PROTOCOL = URIRef("https://www.w3.org/TR/sparql11-protocol/")
LICENSE_QUERY = """
PREFIX owl: <http://www.w3.org/2002/07/owl#>
PREFIX dcterms: <http://purl.org/dc/terms/>
SELECT ?license WHERE { ?o a owl:Ontology ; dcterms:license ?license }
"""


def media_type_of(filename: str) -> str:
    """The media type of a dump file, from its extension."""
    ext = filename.rpartition(".")[2].lower()
    if ext == "json":
        return "application/json"
    return neg.ALIASES.get(ext, "application/octet-stream")


def dumps() -> list[dict[str, Any]]:
    """The dump files of the build (those the manifest lists and that exist), with sizes."""
    backend = current_app.extensions["ai45kg"]
    out = []
    for name in backend.manifest.get("files", []):
        path = backend.dist / name
        if "/" in name or not path.is_file():
            continue
        ext = name.rpartition(".")[2]
        out.append({
            "name": name,
            "media_type": media_type_of(name),
            "bytes": path.stat().st_size,
            "note": DUMP_NOTES.get(ext, ""),
        })
    return out


def _external(path: str) -> str:
    return request.host_url.rstrip("/") + request.script_root + path


def void_graph() -> tuple[Graph, URIRef]:
    """The VoID + DCAT description of the dataset, and the dataset's IRI."""
    backend = current_app.extensions["ai45kg"]
    manifest = backend.manifest
    counts: dict[str, int] = {str(k): int(v) for k, v in manifest.get("triples", {}).items()}
    g = Graph()
    bind_prefixes(g)
    g.bind("void", VOID)
    g.bind("dcat", DCAT)
    g.bind("sd", SD)
    ds = URIRef(base_iri() + ".well-known/void#dataset")
    doc = URIRef(_external("/.well-known/void"))
    endpoint = URIRef(_external("/sparql"))
    g.add((doc, RDF.type, VOID.DatasetDescription))
    g.add((doc, DCTERMS.title,
           Literal("VoID and DCAT description of the ai45kg dataset", lang="en")))
    g.add((doc, FOAF.primaryTopic, ds))

    g.add((ds, RDF.type, VOID.Dataset))
    g.add((ds, RDF.type, DCAT.Dataset))
    g.add((ds, DCTERMS.title, Literal("ai45kg: the AI-45° Law knowledge graph", lang="en")))
    g.add((ds, DCTERMS.description, Literal(
        "An OWL ontology and knowledge graph of the position paper \"Towards AI-45° Law: A "
        "Roadmap to Trustworthy AGI\": the AI-45° Law, the Causal Ladder of Trustworthy AGI, the "
        "Matrix of Trustworthy AGI, governance measures, and the paper's two versions with "
        "their reference lists; every framework statement carries its evidence.", lang="en")))
    g.add((ds, DCTERMS.source, PAPER))
    if manifest.get("built"):
        g.add((ds, DCTERMS.modified, Literal(manifest["built"], datatype=XSD.dateTime)))
    if backend.content_hash:
        g.add((ds, DCAT.version, Literal(backend.content_hash)))
    for row in backend.run(LICENSE_QUERY, max_rows=5).result.rows:
        if isinstance(row[0], URIRef):
            g.add((ds, DCTERMS.license, row[0]))
    g.add((ds, VOID.triples, Literal(sum(counts.values()), datatype=XSD.integer)))
    g.add((ds, VOID.sparqlEndpoint, endpoint))
    g.add((ds, VOID.uriSpace, Literal(base_iri() + "id/")))
    g.add((ds, VOID.vocabulary, URIRef(str(AI45))))
    g.add((ds, DCAT.landingPage, URIRef(_external("/"))))
    labels = get_labels()
    for example in ("id/level/autonomy", "id/layer/reflectable"):
        if labels.get(base_iri() + example):
            g.add((ds, VOID.exampleResource, URIRef(base_iri() + example)))

    for graph_iri in sorted(counts):
        sub = URIRef(graph_iri)
        g.add((ds, VOID.subset, sub))
        g.add((sub, RDF.type, VOID.Dataset))
        g.add((sub, RDF.type, SD.NamedGraph))
        g.add((sub, SD.name, sub))
        g.add((sub, DCTERMS.title, Literal(labels.text(sub), lang="en")))
        g.add((sub, DCTERMS.description, Literal(graph_description(graph_iri), lang="en")))
        g.add((sub, VOID.triples, Literal(counts[graph_iri], datatype=XSD.integer)))
        g.add((sub, FOAF.page, URIRef(_external("/graph/" + graph_iri[len(str(GRAPH)):]))))

    for dump in dumps():
        url = URIRef(_external("/download/" + dump["name"]))
        dist = BNode()
        g.add((ds, VOID.dataDump, url))
        g.add((ds, DCAT.distribution, dist))
        g.add((dist, RDF.type, DCAT.Distribution))
        g.add((dist, DCTERMS.title, Literal(f"{dump['name']}: {dump['note']}", lang="en")))
        g.add((dist, DCAT.downloadURL, url))
        g.add((dist, DCAT.accessURL, url))
        g.add((dist, DCAT.mediaType, URIRef(IANA + dump["media_type"])))
        g.add((dist, DCAT.byteSize, Literal(dump["bytes"], datatype=XSD.nonNegativeInteger)))

    g.add((ds, DCAT.accessService, endpoint))
    g.add((endpoint, RDF.type, DCAT.DataService))
    g.add((endpoint, RDF.type, SD.Service))
    g.add((endpoint, DCTERMS.title, Literal("SPARQL 1.1 endpoint of ai45kg", lang="en")))
    g.add((endpoint, DCAT.endpointURL, endpoint))
    g.add((endpoint, SD.endpoint, endpoint))
    g.add((endpoint, DCAT.servesDataset, ds))
    g.add((endpoint, DCTERMS.conformsTo, SPARQL_PROTOCOL))
    g.add((endpoint, DCAT.endpointDescription, URIRef(_external("/openapi.json"))))
    return g, ds


@bp.get("/.well-known/void")
def void() -> Response:
    """VoID and DCAT description of the dataset (Turtle unless asked otherwise)."""
    media = neg.for_request(VOID_OFFERED, default="text/turtle")
    if media == neg.HTML:
        return data_page()
    graph, _ = void_graph()
    fmt = neg.RDFLIB_FORMATS[media]
    if fmt == "json-ld":
        body = graph.serialize(format="json-ld", auto_compact=True, encoding="utf-8",
                               context={p: str(n) for p, n in graph.namespaces() if p})
    else:
        body = graph.serialize(format=fmt, encoding="utf-8")
    response = Response(body, mimetype=media)
    response.vary.add("Accept")
    return response


@bp.get("/data")
def data_page() -> Response:
    """The dataset for people: named graphs, dumps, the SPARQL endpoint, the VoID."""
    backend = current_app.extensions["ai45kg"]
    labels = get_labels()
    counts = {str(k): int(v) for k, v in backend.manifest.get("triples", {}).items()}
    graphs = [
        {"view": labels.view(URIRef(iri)), "triples": n, "description": graph_description(iri)}
        for iri, n in sorted(counts.items())
    ]
    graph, _ = void_graph()
    body = render_template(
        "data.html",
        graphs=graphs,
        total=sum(counts.values()),
        dumps=dumps(),
        manifest=backend.manifest,
        void_turtle=graph.serialize(format="turtle"),
    )
    response = Response(body, mimetype="text/html")
    response.vary.add("Accept")
    return response


@bp.get("/download/<path:filename>")
def download(filename: str) -> Response:
    """One dump of the built dataset, as `kg.build` wrote it."""
    backend = current_app.extensions["ai45kg"]
    allowed = {d["name"]: d for d in dumps()}
    if filename == "manifest.json" and (backend.dist / "manifest.json").is_file():
        allowed[filename] = {"name": filename, "media_type": "application/json"}
    if filename not in allowed:
        names = ", ".join(sorted(allowed)) or "none (the dataset has not been built)"
        body = render_template("error.html", title="No such download",
                               message=f"There is no dump named {filename!r}. "
                               f"Available: {names}.", links=[("/data", "All downloads")])
        return Response(body, 404, mimetype="text/html")
    response = send_file(
        backend.dist / filename,
        mimetype=allowed[filename]["media_type"],
        as_attachment=True,
        download_name=filename,
        conditional=True,
        etag=f"{backend.content_hash}-{filename}" if backend.content_hash else True,
        max_age=300,
    )
    return response


@bp.get("/settings.json")
def settings_json() -> Response:
    """The service's settings: name, value in effect, default, and what each does."""
    return jsonify([
        {"name": s.name, "value": _shown(s.name), "default": s.default,
         "help": s.help, "env": f"AI45_{s.name}"}
        for s in SETTINGS
    ])


def _shown(name: str) -> Any:
    """A setting's value as /settings.json shows it: secrets only as set or not."""
    value = current_app.config.get(name)
    if name in SECRET_SETTINGS:
        return "(set)" if value else ""
    return value


# --------------------------------------------------------------------------- OpenAPI


def _error(description: str) -> dict[str, Any]:
    """An error response: its body as `security.error_response` writes it for the client's
    Accept (JSON by default, HTML for browsers, or plain text)."""
    return {"description": description, "content": {
        "application/json": {"schema": {"$ref": "#/components/schemas/Error"}},
        "text/html": {"schema": {"type": "string"}},
        "text/plain": {"schema": {"type": "string"}}}}


def _ok(description: str, *media: str) -> dict[str, Any]:
    return {"description": description, "content": {m: {"schema": {"type": "string"}}
                                                     for m in media}}


def _rdf_content() -> dict[str, Any]:
    return {t: {"schema": {"type": "string"}} for t in neg.GRAPH_TYPES}


def _results_content() -> dict[str, Any]:
    return {t: {"schema": {"type": "string"}} for t in neg.RESULTS_TYPES}


_HTML = {"text/html": {"schema": {"type": "string"}}}
_ERROR = {"application/json": {"schema": {"type": "object"}}}
_FORMAT = {
    "name": "format", "in": "query", "required": False,
    "description": "Output format instead of Accept: " + ", ".join(sorted(neg.ALIASES)),
    "schema": {"type": "string"},
}
_QUERY = {"name": "query", "in": "query", "required": False,
          "description": "A SPARQL 1.1 query (SELECT, ASK, CONSTRUCT or DESCRIBE).",
          "schema": {"type": "string"}}
_NEGOTIATED_RDF = {
    "200": {"description": "HTML for browsers, or RDF by Accept / extension / format.",
            "content": {**_HTML, **_rdf_content()}},
    "404": _error("Not in the dataset; the HTML page suggests similar resources."),
    "406": _error("None of the requested media types can be produced."),
}


_SCOPE = {"name": "scope", "in": "query", "required": False,
          "description": "all (the default: the cited and the imported works) or paper",
          "schema": {"type": "string", "enum": list(SCOPES)}}
_BAD_SCOPE = _error("Unknown scope.")
_SUGGEST_FIELDS = [
    {"name": name, "in": "query", "required": False, "description": text,
     "schema": {"type": kind}}
    for name, kind, text in (
        ("title", "string", "The work's title (required)"),
        ("abstract", "string", "Its abstract"),
        ("keywords", "string", "Its keywords, separated by ';'"),
        ("top", "integer", "How many concepts (1 to 20, default 5)"),
        ("format", "string", "json or html instead of Accept"))]
_SUGGEST_BODY = {"type": "object", "properties": {
    "title": {"type": "string"}, "abstract": {"type": "string"},
    "keywords": {"type": "string"}, "top": {"type": "integer"}}}


def _path_param(name: str, description: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "description": description,
            "schema": {"type": "string"}}


#: documented operations: path template -> method -> operation
OPERATIONS: dict[str, dict[str, dict[str, Any]]] = {
    "/": {"get": {"summary": "Home page", "tags": ["UI"],
                  "description": "What the dataset holds, with counts and the Matrix of "
                  "Trustworthy AGI drawn from the graph.",
                  "responses": {"200": {"description": "HTML page", "content": _HTML}}}},
    "/examples": {"get": {
        "summary": "Competency questions", "tags": ["UI"],
        "description": "The questions the graph answers, by topic, each with its SPARQL query "
        "and a link that runs it in the query page: a tutorial of the vocabulary.",
        "responses": {"200": {"description": "HTML page", "content": _HTML}}}},
    "/query": {
        "get": {"summary": "Query page", "tags": ["UI"],
                "description": "A SPARQL editor with examples; with `query` it runs the query "
                "and shows the results as a table (works without JavaScript).",
                "parameters": [_QUERY],
                "responses": {"200": {"description": "HTML page", "content": _HTML},
                              "400": {"description": "The query has an error; the page says "
                                      "which", "content": _HTML}}},
        "post": {"summary": "Query page (long queries)", "tags": ["UI"],
                 "description": "As GET, for queries too long for a URL (form field `query`).",
                 "requestBody": {"content": {"application/x-www-form-urlencoded": {
                     "schema": {"type": "object", "properties": {"query": {"type": "string"}}}}}},
                 "responses": {"200": {"description": "HTML page", "content": _HTML},
                               "400": {"description": "The query has an error", "content": _HTML}}},
    },
    "/sparql": {
        "get": {"summary": "SPARQL 1.1 Protocol endpoint", "tags": ["SPARQL"],
                "description": "Read-only SPARQL endpoint; the default graph is the union of the "
                "named graphs. Results by Accept or `format`.",
                "parameters": [
                    {**_QUERY, "required": True},
                    {"name": "default-graph-uri", "in": "query", "required": False,
                     "schema": {"type": "array", "items": {"type": "string"}}, "explode": True},
                    {"name": "named-graph-uri", "in": "query", "required": False,
                     "schema": {"type": "array", "items": {"type": "string"}}, "explode": True},
                    _FORMAT,
                ],
                "responses": {
                    "200": {"description": "Query results",
                            "content": {**_results_content(), **_rdf_content()}},
                    "400": _error("Syntax error or refused query (update, SERVICE, unknown "
                                  "graph)."),
                    "406": _error("No acceptable result format."),
                    "413": _error("The query is longer than MAX_QUERY_LENGTH."),
                    "503": _error("The query ran longer than QUERY_TIMEOUT_MS."),
                }},
        "post": {"summary": "SPARQL 1.1 Protocol endpoint (POST)", "tags": ["SPARQL"],
                 "description": "The query as `application/sparql-query` body or as the `query` "
                 "field of a form.",
                 "requestBody": {"content": {
                     "application/sparql-query": {"schema": {"type": "string"}},
                     "application/x-www-form-urlencoded": {"schema": {
                         "type": "object", "properties": {"query": {"type": "string"}}}}}},
                 "responses": {
                     "200": {"description": "Query results",
                             "content": {**_results_content(), **_rdf_content()}},
                     "400": _error("Syntax error or refused query."),
                     "413": _error("The query is longer than MAX_QUERY_LENGTH."),
                     "415": _error("Unsupported request content type."),
                     "503": _error("The query ran longer than QUERY_TIMEOUT_MS."),
                 }},
    },
    "/id/{rest}": {"get": {
        "summary": "A resource of the dataset", "tags": ["Linked data"],
        "description": "https://w3id.org/ai45/id/... dereferenced: HTML with labels, relations, "
        "evidence, cited works and incoming links, or its description in Turtle, JSON-LD, "
        "N-Triples, RDF/XML, TriG or N-Quads (Accept, `format`, or an extension such as "
        "`.ttl`).",
        "parameters": [_path_param("rest", "The IRI's path after BASE_IRI + 'id/', e.g. "
                                   "level/autonomy or level/autonomy.ttl"), _FORMAT],
        "responses": _NEGOTIATED_RDF}},
    "/ontology": {"get": {
        "summary": "The ontology", "tags": ["Linked data"],
        "description": "Documentation of every class and property (HTML), or the OWL ontology "
        "in an RDF syntax by Accept or `format`.",
        "parameters": [_FORMAT], "responses": _NEGOTIATED_RDF}},
    "/ontology.{ext}": {"get": {
        "summary": "The ontology in one syntax", "tags": ["Linked data"],
        "parameters": [_path_param("ext", "ttl, jsonld, nt, rdf, owl, trig, nq or html")],
        "responses": _NEGOTIATED_RDF}},
    "/ontology/{version}": {"get": {
        "summary": "A version IRI of the ontology", "tags": ["Linked data"],
        "parameters": [_path_param("version", "The version, e.g. 0.1.0")],
        "responses": _NEGOTIATED_RDF}},
    "/graph/{name}": {"get": {
        "summary": "A named graph", "tags": ["Linked data"],
        "description": "What the graph holds (HTML), or its triples in an RDF syntax.",
        "parameters": [_path_param("name", "framework, bibliography, ontology, inferred, "
                                   "import/NAME; an extension picks the syntax"), _FORMAT],
        "responses": _NEGOTIATED_RDF}},
    "/queries": {"get": {
        "summary": "Named queries", "tags": ["Named queries"],
        "description": "The named queries with titles, descriptions and parameters (HTML, or "
        "JSON with Accept: application/json).",
        "responses": {"200": {"description": "The list", "content": {
            **_HTML, "application/json": {"schema": {"type": "array",
                                                     "items": {"type": "object"}}}}}}}},
    "/queries.json": {"get": {
        "summary": "Named queries as JSON", "tags": ["Named queries"],
        "responses": {"200": {"description": "The list", "content": {
            "application/json": {"schema": {"type": "array", "items": {"type": "object"}}}}}}}},
    "/queries/{name}": {"get": {
        "summary": "Run a named query", "tags": ["Named queries"],
        "description": "Runs the query with its parameters (query-string arguments named after "
        "them) bound as typed values; HTML table with the SPARQL and a form, or results by "
        "Accept (SPARQL JSON, CSV, TSV, XML).",
        "parameters": [_path_param("name", "The query's name; an extension (.json, .csv, "
                                   ".tsv, .xml) picks the format"), _FORMAT],
        "responses": {
            "200": {"description": "Results", "content": {**_HTML, **_results_content()}},
            "400": _error("Unknown parameter or bad value; the message says what is allowed."),
            "404": _error("No named query of that name"),
            "406": _error("No acceptable result format."),
            "503": _error("The query ran longer than QUERY_TIMEOUT_MS."),
        }}},
    "/.well-known/void": {"get": {
        "summary": "VoID and DCAT description of the dataset", "tags": ["Data"],
        "description": "Triple counts per named graph, the SPARQL endpoint, the dumps as "
        "dcat:Distribution. Turtle by default.",
        "parameters": [_FORMAT],
        "responses": {"200": {"description": "The description", "content": {
            t: {"schema": {"type": "string"}} for t in VOID_OFFERED}},
            "406": _error("None of the requested media types can be produced.")}}},
    "/data": {"get": {"summary": "The dataset: graphs, dumps, endpoint", "tags": ["Data"],
                      "responses": {"200": {"description": "HTML page", "content": _HTML}}}},
    "/download/{filename}": {"get": {
        "summary": "A dump of the built dataset", "tags": ["Data"],
        "parameters": [_path_param("filename", "ai45kg.trig, ai45kg.nq, ai45kg.ttl, ai45kg.nt, "
                                   "ai45kg.jsonld, ai45kg.rdf or manifest.json")],
        "responses": {"200": {"description": "The file", "content": {
            **_rdf_content(), "application/json": {"schema": {"type": "object"}}}},
            "404": _error("No such dump")}}},
    "/health": {"get": {
        "summary": "Health check", "tags": ["Service"],
        "responses": {
            "200": {"description": "The service answers queries", "content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/Health"}}}},
            "503": {"description": "The store does not answer", "content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/Health"}}}}}}},
    "/settings.json": {"get": {
        "summary": "The settings in effect", "tags": ["Service"],
        "responses": {"200": {"description": "Settings", "content": {
            "application/json": {"schema": {"type": "array", "items": {"type": "object"}}}}}}}},
    "/openapi.json": {"get": {
        "summary": "This OpenAPI description", "tags": ["Service"],
        "responses": {"200": {"description": "OpenAPI 3 document", "content": {
            "application/json": {"schema": {"type": "object"}}}}}}},
    "/api": {"get": {"summary": "The HTTP API, readable", "tags": ["Service"],
                     "responses": {"200": {"description": "HTML page", "content": _HTML}}}},
    "/report": {"get": {
        "summary": "The literature map", "tags": ["Literature"],
        "description": "Coverage of the taxonomy by the cited and imported works, gaps, "
        "imports and the difference between the paper's versions (HTML).",
        "parameters": [_SCOPE],
        "responses": {"200": _ok("HTML page", "text/html"), "400": _BAD_SCOPE}}},
    "/report.json": {"get": {
        "summary": "The literature map as JSON", "tags": ["Literature"],
        "parameters": [_SCOPE],
        "responses": {"200": {"description": "Sections and tables", "content": {
            "application/json": {"schema": {"type": "object"}}}},
            "400": _BAD_SCOPE}}},
    "/report.md": {"get": {
        "summary": "The literature map as Markdown", "tags": ["Literature"],
        "parameters": [_SCOPE],
        "responses": {"200": _ok("Markdown", "text/markdown"), "400": _BAD_SCOPE}}},
    "/report/tables/{name}.{ext}": {"get": {
        "summary": "One table of the literature map", "tags": ["Literature"],
        "parameters": [_path_param("name", "The table's name, as /report.json lists them"),
                       _path_param("ext", "csv or json"), _SCOPE],
        "responses": {"200": _ok("The table", "text/csv", "application/json"),
                      "400": _BAD_SCOPE,
                      "404": _error("No such table, or another extension than csv or json.")}}},
    "/report/pictures/{name}.{ext}": {"get": {
        "summary": "One picture of the literature map", "tags": ["Literature"],
        "parameters": [_path_param("name", "The picture's name, as /report.json lists them"),
                       _path_param("ext", "svg or png"), _SCOPE],
        "responses": {"200": _ok("The picture", "image/svg+xml", "image/png"),
                      "400": _BAD_SCOPE,
                      "404": _error("No such picture, another extension than svg or png, or "
                                    "PNG asked of a server without cairo.")}}},
    "/export/works.bib": {"get": {
        "summary": "The cited works as BibTeX", "tags": ["Literature"],
        "description": "The works the paper cites; with scope=all also the imported ones.",
        "parameters": [{**_SCOPE, "description": "paper (the default) or all"}],
        "responses": {"200": _ok("BibTeX", "application/x-bibtex"),
                      "400": _BAD_SCOPE}}},
    "/export/skos.ttl": {"get": {
        "summary": "The taxonomy as a SKOS concept scheme", "tags": ["Literature"],
        "description": "Turtle with SKOS and RDFS terms only, for tools that read SKOS.",
        "responses": {"200": _ok("Turtle", "text/turtle")}}},
    "/suggest": {
        method: {
            "summary": "Concepts of the taxonomy a work addresses" + (
                " (form or JSON body)" if method == "post" else ""),
            "tags": ["Literature"],
            "description": "Ranked concepts with the reasons for each: the terms that matched "
            "and where they come from. Read-only; JSON by default, the form page for "
            "browsers (Accept: text/html or format=html).",
            **({"parameters": _SUGGEST_FIELDS} if method == "get" else {"requestBody": {
                "content": {"application/x-www-form-urlencoded": {"schema": _SUGGEST_BODY},
                            "application/json": {"schema": _SUGGEST_BODY}}}}),
            "responses": {
                "200": {"description": "The ranked concepts", "content": {
                    "application/json": {"schema": {"type": "object"}}, **_HTML}},
                "400": _error("No title, or a field of the wrong kind or range."),
                "413": _error("A field is longer than its cap; the message names it."),
                "503": _error("The build has no concept profiles."),
            }}
        for method in ("get", "post")},
    "/admin/reload": {"post": {
        "summary": "Reload the dataset (admin)", "tags": ["Admin"],
        "description": "Opens the build that DIST holds now and swaps it in without dropping a "
        "request. Off (404) unless the ADMIN_TOKEN setting is set; needs it as a Bearer token.",
        "security": [{"adminToken": []}],
        "responses": {
            "200": {"description": "Reloaded: content hash before and after", "content": {
                "application/json": {"schema": {"type": "object"}}}},
            "401": {"description": "Missing or wrong token", "content": _ERROR},
            "404": {"description": "Admin routes are off (no ADMIN_TOKEN)", "content": _ERROR},
            "503": {"description": "The new build could not be opened; the previous one is "
                    "still served", "content": _ERROR}}}},
}
COMPONENTS = {
    "securitySchemes": {"adminToken": {"type": "http", "scheme": "bearer",
                                       "description": "The ADMIN_TOKEN setting"}},
    "schemas": {
        "Error": {
            "type": "object",
            "required": ["status", "error", "message"],
            "properties": {
                "status": {"type": "integer"},
                "error": {"type": "string", "description": "The status's title"},
                "message": {"type": "string", "description": "What went wrong and what to do"},
                "kind": {"type": "string"},
                "line": {"type": "integer"},
                "column": {"type": "integer"},
                "parser_message": {"type": "string"},
            },
        },
        "Health": {
            "type": "object",
            "required": ["status", "content_hash", "triples", "store"],
            "properties": {
                "status": {"type": "string", "enum": ["ok", "unavailable"]},
                "content_hash": {"type": "string", "description": "SHA-256 of the dataset"},
                "triples": {"type": "integer"},
                "graphs": {"type": "integer"},
                "store": {"type": "string"},
                "built": {"type": "string", "format": "date-time"},
            },
        }
    }
}
_CONVERTER = re.compile(r"<(?:[a-zA-Z_]+(?:\([^)]*\))?:)?([a-zA-Z_][a-zA-Z0-9_]*)>")


def openapi_path(rule: str) -> str:
    """`/id/<path:rest>` -> `/id/{rest}`."""
    return _CONVERTER.sub(r"{\1}", rule)


def public_rules() -> list[tuple[str, list[str], str]]:
    """(OpenAPI path, methods, endpoint) of every public route (static files aside)."""
    out = []
    for rule in current_app.url_map.iter_rules():
        if rule.endpoint == "static" or rule.endpoint.endswith(".static"):
            continue
        methods = sorted(m.lower() for m in (rule.methods or set()) - {"HEAD", "OPTIONS"})
        out.append((openapi_path(rule.rule), methods, rule.endpoint))
    return out


def openapi_spec() -> dict[str, Any]:
    """The OpenAPI 3 document for this app's routes."""
    paths: dict[str, dict[str, Any]] = {}
    rules = public_rules()
    shared = {e for e in (r[2] for r in rules) if sum(1 for r in rules if r[2] == e) > 1}
    for path, methods, endpoint in rules:
        entry = paths.setdefault(path, {})
        for method in methods:
            op = OPERATIONS.get(path, {}).get(method)
            if op is None:
                view = current_app.view_functions.get(endpoint)
                doc = (view.__doc__ or "").strip() if view else ""
                op = {
                    "summary": doc.splitlines()[0] if doc else endpoint,
                    "tags": [endpoint.partition(".")[0]],
                    "responses": {"200": {"description": "OK"}},
                }
                params = re.findall(r"{([^}]+)}", path)
                if params:
                    op["parameters"] = [_path_param(p, p) for p in params]
            else:
                op = dict(op)
            op_id = f"{endpoint}.{method}" if len(methods) > 1 else endpoint
            if endpoint in shared:  # one view behind several rules: tell them apart by path
                op_id += "-" + re.sub(r"[^A-Za-z0-9]+", "-", path).strip("-")
            op["operationId"] = op_id
            entry[method] = op
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "ai45kg",
            "version": _version(),
            "description": "Linked data, SPARQL endpoint and named queries of the AI-45° Law "
            "knowledge graph (the position paper \"Towards AI-45° Law: A Roadmap to "
            "Trustworthy AGI\").",
            "license": {"name": "MIT"},
        },
        "servers": [{"url": request.script_root or "/"}],
        "paths": dict(sorted(paths.items())),
        "components": COMPONENTS,
    }


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("ai45kg")
    except PackageNotFoundError:
        return "0"


@bp.get("/openapi.json")
def openapi() -> Response:
    """The OpenAPI 3 description of the HTTP API."""
    return jsonify(openapi_spec())


@bp.get("/api")
def api_page() -> Response:
    """The OpenAPI description, readable."""
    return Response(render_template("api.html", spec=openapi_spec()), mimetype="text/html")
