"""The SPARQL 1.1 Protocol endpoint at /sparql (read-only).

- Query by GET (`?query=`), POST `application/x-www-form-urlencoded` or POST
  `application/sparql-query`; `default-graph-uri` / `named-graph-uri` select graphs of the dataset.
- Results by `Accept` (with q-values) or a `format` parameter that overrides it: SELECT and ASK as
  SPARQL JSON (default), XML, CSV or TSV; CONSTRUCT and DESCRIBE as Turtle (default), JSON-LD,
  N-Triples, RDF/XML, TriG or N-Quads; 406 with the list of types for anything else.
- GET without a query returns the SPARQL 1.1 Service Description (Turtle by default); a browser
  asking for HTML is sent to the query page (`pages.query`).
- Protocol errors: 400 for a malformed query (with line and column), two `query` parameters,
  an update (the endpoint is read-only) or a refused feature; 405 for other methods; 415 for a POST
  without or with another Content-Type. With STRICT_UTF8 (the default) a direct POST declaring a
  charset other than UTF-8 is a 415, as SPARQL 1.1 Protocol section 2.1.3 says; with it off, the
  body is decoded with the declared charset. Bytes that do not decode are a 400, never a 500.

Every response to a query says whether the row cap cut it (`AI45-Truncated: true|false`; SPARQL
JSON results then also carry `"truncated": true` and a `"note"`), and carries a weak ETag from the
dataset's content hash, the query (normalised: comments and extra whitespace do not count), the
dataset parameters and the format, so that `If-None-Match` gets a 304 without evaluating
anything. Rendered answers are kept in the in-process response cache (service.cache, CACHE_BYTES)
under that ETag: a repeated query is answered without a query worker (`AI45-Cache: hit`).

All limits and refusals are `Backend.run`'s; this module only speaks HTTP.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from urllib.parse import unquote_to_bytes

from flask import Blueprint, Response, current_app, redirect, request, url_for
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import RDF
from werkzeug.exceptions import BadRequest, NotAcceptable, UnsupportedMediaType
from werkzeug.routing import BuildError
from werkzeug.wrappers import Response as BaseResponse

from ai45kg.kg.load import bind_prefixes
from ai45kg.kg.namespaces import SD, VOID
from ai45kg.kg.sparqltext import normalise_query

from . import negotiation
from .backend import READ_ONLY, Backend, QueryRefused
from .cache import CACHE_HEADER, not_modified, revalidated, validators
from .results import content_type

bp = Blueprint("sparql", __name__)

FORM = "application/x-www-form-urlencoded"
SPARQL_QUERY = "application/sparql-query"
SPARQL_UPDATE = "application/sparql-update"
TRUNCATED_HEADER = "AI45-Truncated"
FORMATS = "http://www.w3.org/ns/formats/"
#: media type -> W3C format IRI, for the service description
FORMAT_IRIS = {
    "application/sparql-results+json": FORMATS + "SPARQL_Results_JSON",
    "application/sparql-results+xml": FORMATS + "SPARQL_Results_XML",
    "text/csv": FORMATS + "SPARQL_Results_CSV",
    "text/tab-separated-values": FORMATS + "SPARQL_Results_TSV",
    "text/turtle": FORMATS + "Turtle",
    "application/ld+json": FORMATS + "JSON-LD",
    "application/n-triples": FORMATS + "N-Triples",
    "application/rdf+xml": FORMATS + "RDF_XML",
    "application/trig": FORMATS + "TriG",
    "application/n-quads": FORMATS + "N-Quads",
}


@dataclass
class ProtocolRequest:
    """What a SPARQL Protocol request asks for, whichever way it was sent."""

    query: str | None
    default_graph_uris: list[str] = field(default_factory=list)
    named_graph_uris: list[str] = field(default_factory=list)
    #: `format` (and `output`, as Fuseki and SPARQLWrapper send it) values, in order
    formats: list[str] = field(default_factory=list)


def _backend() -> Backend:
    return current_app.extensions["ai45kg"]


@bp.route("/sparql", methods=["GET", "POST"])
def endpoint() -> BaseResponse:
    """The SPARQL 1.1 Protocol query operation (and the service description on a bare GET)."""
    req = read_request()
    if req.query is None:
        return service_description(req.formats)
    backend = _backend()
    checked = backend.check(req.query)
    offered = negotiation.RESULTS_TYPES if checked.form in ("SELECT", "ASK") else (
        negotiation.GRAPH_TYPES
    )
    if request.method in ("GET", "HEAD") and not req.formats and _prefers_html(offered):
        page = _query_page(req)
        if page is not None:
            return redirect(page, code=303)
    try:
        media = negotiate(offered, req.formats)
    except NotAcceptable:
        # a malformed query is a 400 whatever the client accepts: the engine says (it is
        # asked only here, on the way to a 406, off the path of an answer)
        backend.run(req.query, default_graph_uris=req.default_graph_uris or None,
                    named_graph_uris=req.named_graph_uris or None, max_rows=1)
        raise
    etag = _etag(backend.content_hash, req, media)
    if revalidated(etag):
        return not_modified(etag)
    outcome = backend.run(
        req.query,
        default_graph_uris=req.default_graph_uris or None,
        named_graph_uris=req.named_graph_uris or None,
        media=media,
    )
    body = outcome.rendered()
    response = Response(body, content_type=content_type(media))
    response.headers[TRUNCATED_HEADER] = "true" if outcome.truncated else "false"
    response.headers["Server-Timing"] = f"query;dur={outcome.elapsed_ms:.1f}"
    response.headers[CACHE_HEADER] = "miss"  # CacheMiddleware keeps it (GET)
    validators(response, etag)
    return response


# ---------------------------------------------------------------------------------------------
# reading the request


def read_request() -> ProtocolRequest:
    """Parse a GET or POST by the SPARQL 1.1 Protocol's rules.

    Raises:
        BadRequest, UnsupportedMediaType, QueryRefused: the protocol's error cases.
    """
    url_params = _parse_urlencoded(request.query_string, "utf-8", "the URL's query string")
    if request.method in ("GET", "HEAD"):
        params = url_params
        query = _single(params, "query")
        if "update" in params:
            raise QueryRefused(READ_ONLY + " (and updates never come by GET)")
    else:
        query, params = _read_post(url_params)
    return ProtocolRequest(
        query=query,
        default_graph_uris=params.get("default-graph-uri", []),
        named_graph_uris=params.get("named-graph-uri", []),
        formats=[*params.get("format", []), *params.get("output", [])],
    )


def _read_post(url_params: dict[str, list[str]]) -> tuple[str, dict[str, list[str]]]:
    if not request.content_type:
        raise UnsupportedMediaType(
            f"a POST to /sparql needs a Content-Type: {FORM} (query=... in the body) or "
            f"{SPARQL_QUERY} (the query as the body)"
        )
    media = request.mimetype
    charset = request.mimetype_params.get("charset", "utf-8")
    if media == FORM:
        body = _parse_urlencoded(request.get_data(cache=True), charset, "the form body")
        if "update" in body:
            raise QueryRefused(READ_ONLY)
        params = {k: [*url_params.get(k, []), *v] for k, v in body.items()}
        for key, values in url_params.items():
            params.setdefault(key, values)
        query = _single(params, "query")
        if query is None:
            raise BadRequest("the form has no query parameter; send query=<SPARQL query>")
        return query, params
    if media == SPARQL_QUERY:
        if "query" in url_params:
            raise BadRequest(
                "the query is both in the body and in the URL (query=); send it once"
            )
        return _decode_body(charset), url_params
    if media == SPARQL_UPDATE:
        raise QueryRefused(READ_ONLY)
    raise UnsupportedMediaType(
        f"Content-Type {media} is not a SPARQL query; use {FORM} (query=... in the body) or "
        f"{SPARQL_QUERY} (the query as the body)"
    )


def _decode_body(charset: str) -> str:
    """The body of a direct POST as text, decoded with its declared charset."""
    raw = request.get_data(cache=True)
    name = charset.strip().strip('"').lower()
    if current_app.config.get("STRICT_UTF8") and name not in ("utf-8", "utf8"):
        raise UnsupportedMediaType(
            f"charset={charset} is not accepted: SPARQL 1.1 Protocol 2.1.3 allows only UTF-8 "
            "for application/sparql-query; send the query encoded in UTF-8"
        )
    if name in ("utf-8", "utf8"):
        name = "utf-8-sig"  # tolerate a byte-order mark
    try:
        text = raw.decode(name)
    except LookupError as exc:
        raise UnsupportedMediaType(
            f"unknown charset {charset!r}; send the query in UTF-8"
        ) from exc
    except UnicodeDecodeError as exc:
        raise BadRequest(
            f"the request body is not valid {charset} (byte {exc.start}); send the query "
            "encoded in UTF-8, or declare its charset in Content-Type"
        ) from exc
    if not text.strip():
        raise BadRequest("the request body is empty; send the SPARQL query as the body")
    return text


def _parse_urlencoded(raw: bytes, charset: str, where: str) -> dict[str, list[str]]:
    """application/x-www-form-urlencoded bytes -> {name: [values]}, strictly decoded (werkzeug
    would silently replace undecodable bytes)."""
    params: dict[str, list[str]] = {}
    for part in raw.split(b"&"):
        if not part:
            continue
        key, _, value = part.partition(b"=")
        try:
            name = unquote_to_bytes(key.replace(b"+", b" ")).decode(charset)
            text = unquote_to_bytes(value.replace(b"+", b" ")).decode(charset)
        except LookupError as exc:
            raise UnsupportedMediaType(f"unknown charset {charset!r}; use UTF-8") from exc
        except UnicodeDecodeError as exc:
            raise BadRequest(
                f"{where} is not valid {charset} once percent-decoded; encode the query as "
                "UTF-8 before percent-encoding it"
            ) from exc
        params.setdefault(name, []).append(text)
    return params


def _single(params: dict[str, list[str]], name: str) -> str | None:
    values = params.get(name, [])
    if len(values) > 1:
        raise BadRequest(
            f"{len(values)} {name} parameters were sent; the SPARQL Protocol takes exactly one"
        )
    if values and not values[0].strip():
        raise BadRequest(f"the {name} parameter is empty")
    return values[0] if values else None


# ---------------------------------------------------------------------------------------------
# negotiation and caching


#: `format=xml` / `format=json` asked of a graph mean its XML and JSON syntaxes
_GRAPH_EQUIVALENTS = {
    "application/sparql-results+xml": "application/rdf+xml",
    "application/sparql-results+json": "application/ld+json",
}


def negotiate(offered: Sequence[str], overrides: Sequence[str] = ()) -> str:
    """The media type to answer in, or 406 naming what can be produced.

    The first `format` value that names an offered type wins over Accept (SPARQLWrapper sends
    several, e.g. `format=rdf+xml&format=application/rdf+xml`).
    """
    graphs = negotiation.GRAPH_TYPES[0] in offered
    override = overrides[0] if overrides else None
    for value in overrides:
        media = negotiation.resolve_alias(value)
        if graphs and media in _GRAPH_EQUIVALENTS:
            media = _GRAPH_EQUIVALENTS[media]
        if media in offered:
            override = media
            break
    try:
        return negotiation.choose(request.headers.get("Accept"), offered, override=override)
    except negotiation.NotAcceptable as exc:
        raise NotAcceptable(
            f"cannot answer in {exc.requested}; this query can be answered in: "
            + ", ".join(offered)
            + " (ask with Accept or format=)"
        ) from exc


def _prefers_html(offered: Sequence[str]) -> bool:
    accept = request.headers.get("Accept")
    if not accept or negotiation.HTML not in accept:
        return False
    try:
        chosen = negotiation.choose(accept, [*offered, negotiation.HTML], default=offered[0])
    except negotiation.NotAcceptable:
        return False
    return chosen == negotiation.HTML


def _query_page(req: ProtocolRequest) -> str | None:
    """The URL of the other blueprint's query page for this request, if it exists."""
    args: dict[str, object] = {}
    if req.query is not None:
        args["query"] = req.query
    if req.default_graph_uris:
        args["default-graph-uri"] = req.default_graph_uris
    if req.named_graph_uris:
        args["named-graph-uri"] = req.named_graph_uris
    try:
        return url_for("pages.query", **args)  # type: ignore[arg-type]
    except BuildError:
        return None


def _etag(content_hash: str, req: ProtocolRequest, media: str) -> str:
    """The response's weak ETag (and cache key): the build, the normalised query, the format
    and the dataset parameters (in any order: they name sets of graphs)."""
    h = hashlib.sha256()
    query = normalise_query(req.query or "")
    for part in (content_hash, query, media, *sorted(set(req.default_graph_uris)), "|",
                 *sorted(set(req.named_graph_uris))):
        h.update(part.encode("utf-8"))
        h.update(b"\0")
    return h.hexdigest()[:32]



# ---------------------------------------------------------------------------------------------
# service description


def service_description(overrides: Sequence[str]) -> BaseResponse:
    """SPARQL 1.1 Service Description of this endpoint: what it speaks and what it holds."""
    offered = [*negotiation.GRAPH_TYPES, negotiation.HTML]
    media = negotiate(offered, overrides)
    if media == negotiation.HTML:
        page = _query_page(ProtocolRequest(query=None))
        if page is not None:
            return redirect(page, code=303)
        media = negotiation.GRAPH_TYPES[0]
    backend = _backend()
    etag = hashlib.sha256(
        f"sd\0{backend.content_hash}\0{media}\0{request.base_url}".encode()
    ).hexdigest()[:32]
    if revalidated(etag):
        return not_modified(etag)
    graph = describe_service(backend, request.base_url)
    fmt = negotiation.RDFLIB_FORMATS[media]
    body = graph.serialize(format="nt" if fmt == "nquads" else fmt, encoding="utf-8")
    response = Response(body, content_type=content_type(media))
    validators(response, etag)
    return response


def describe_service(backend: Backend, endpoint_url: str) -> Graph:
    """The sd:Service graph: endpoint, language, formats, features and the default dataset."""
    g = Graph()
    bind_prefixes(g)
    g.bind("sd", SD)
    g.bind("void", VOID)
    g.bind("formats", FORMATS)
    service = URIRef(endpoint_url)
    g.add((service, RDF.type, SD.Service))
    g.add((service, SD.endpoint, service))
    g.add((service, SD.supportedLanguage, SD.SPARQL11Query))
    g.add((service, SD.feature, SD.UnionDefaultGraph))
    g.add((service, SD.defaultEntailmentRegime,
           URIRef("http://www.w3.org/ns/entailment/Simple")))
    for iri in FORMAT_IRIS.values():
        g.add((service, SD.resultFormat, URIRef(iri)))
    dataset = BNode()
    g.add((service, SD.defaultDataset, dataset))
    g.add((dataset, RDF.type, SD.Dataset))
    default_graph = BNode()
    g.add((dataset, SD.defaultGraph, default_graph))
    g.add((default_graph, RDF.type, SD.Graph))
    counts = backend.manifest.get("triples") or {}
    for name in backend.graph_names():
        named = BNode()
        graph_node = BNode()
        g.add((dataset, SD.namedGraph, named))
        g.add((named, RDF.type, SD.NamedGraph))
        g.add((named, SD.name, name))
        g.add((named, SD.graph, graph_node))
        g.add((graph_node, RDF.type, SD.Graph))
        if str(name) in counts:
            g.add((graph_node, VOID.triples, Literal(int(counts[str(name)]))))
    return g
