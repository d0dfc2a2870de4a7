"""`RemoteStore`: any SPARQL 1.1 endpoint (Virtuoso, Fuseki, GraphDB, Neptune), holding a build
that `ai45kg push` (kg.push) loaded into it. Queries go over one kept-alive connection per thread
(`keepalive.KeptAlive`); updates, and queries to endpoints that want HTTP Digest, through
SPARQLWrapper."""

from __future__ import annotations

import http.client
import json
import os
import re
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from rdflib import BNode, Literal, URIRef
from rdflib.namespace import RDF, RDFS, SKOS, XSD
from rdflib.term import Identifier, Node

from ..sparqltext import (
    IRI_CHARS,
    dataset_of,
    limit_rows,
    ordered_vars,
    prepared_text,
    project_star,
    query_shape,
    significant_tokens,
    strip_dataset_clause,
    term_n3,
    uses_service,
)
from ..terms import from_ox
from .base import (
    RESULT_FORMATS,
    Answer,
    QueryResult,
    QuerySyntax,
    Store,
    StoreError,
    capped_select,
    graph_result,
    read_manifest,
)
from .describe import add_labels, concise_bounded_description, describe_targets
from .keepalive import GET_LIMIT, KeptAlive, Reply
from .oxigraph import oxigraph_syntax

# ---------------------------------------------------------------------------------------------
# remote SPARQL 1.1 endpoints

#: an IRI that names no graph: the dataset of a request that gives only named graphs has an
#: empty default graph (and one that gives only default graphs no named graphs), which some
#: engines (Virtuoso) do not do by themselves when a protocol parameter is missing
EMPTY_GRAPH = "urn:x-ai45kg:no-graph"
#: the graph in which `ai45kg push` records which build the endpoint holds
BUILD_GRAPH = "https://w3id.org/ai45/graph/build"
#: environment variables holding the remote's credentials (never on the command line)
USER_ENV = "AI45_REMOTE_USER"
PASSWORD_ENV = "AI45_REMOTE_PASSWORD"
#: the largest LIMIT / OFFSET sent to a remote engine (32-bit safe)
REMOTE_MAX_SLICE = 2**31 - 1
#: the most bytes read from one remote answer
MAX_RESPONSE_BYTES = 512 * 2**20


#: the answers passed through as the engine writes them: SPARQL JSON and XML, which engines
#: write alike (JSON once `_standard`); CSV and TSV differ (Virtuoso quotes every field, ends
#: lines with LF, writes TSV headers without "?"), so the service writes those itself
PASSED_THROUGH = frozenset({"application/sparql-results+json",
                            "application/sparql-results+xml"})
#: SPARQL 1.0's JSON term type for a literal with a datatype, which Virtuoso still writes; a
#: quote inside a JSON string is escaped, so the pattern only ever matches the structure
_TYPED_LITERAL = re.compile(rb'"type"(\s*):(\s*)"typed-literal"')


def _standard(body: bytes) -> bytes:
    """A SPARQL JSON answer with SPARQL 1.1's `"type": "literal"` for typed literals (XML
    and answers without the legacy type unchanged)."""
    if b'"typed-literal"' not in body:
        return body
    return _TYPED_LITERAL.sub(rb'"type"\1:\2"literal"', body)


class RemoteError(StoreError):
    """The remote endpoint refused or failed a request (status and its first lines)."""


def _engine_message(text: str) -> str:
    """The engine's own words in SPARQLWrapper's message for a 400: the first paragraph of
    the response it quotes (without the echo of the query that Virtuoso appends)."""
    marker = "Response:\n"
    text = text.split(marker, 1)[1] if marker in text else text
    text = text.removeprefix("b'").removeprefix('b"').replace("\\n", "\n")
    return text.split("\n\n", 1)[0].strip()


def remote_credentials() -> tuple[str, str] | None:
    """(user, password) from AI45_REMOTE_USER / AI45_REMOTE_PASSWORD, if set."""
    user = os.environ.get(USER_ENV, "")
    return (user, os.environ.get(PASSWORD_ENV, "")) if user else None


def sparql_client(endpoint: str, *, timeout_s: float = 60.0, auth: str = "basic") -> Any:
    """A SPARQLWrapper for `endpoint`, with the credentials from the environment (HTTP Digest,
    as Virtuoso's /sparql-auth wants, or Basic for Fuseki, GraphDB and the like)."""
    from SPARQLWrapper import BASIC, DIGEST, SPARQLWrapper

    client = SPARQLWrapper(endpoint, agent=f"{_agent()} (SPARQLWrapper)")
    client.setTimeout(int(max(1, timeout_s)))
    credentials = remote_credentials()
    if credentials:
        client.setHTTPAuth(DIGEST if auth.lower() == "digest" else BASIC)
        client.setCredentials(*credentials)
    return client


def _agent() -> str:
    """The User-Agent of this service's requests to an endpoint."""
    from .. import __version__

    return f"ai45kg/{__version__}"


def _text_of(body: bytes) -> str:
    return body[:2000].decode("utf-8", "replace")


def remote_request(client: Any, text: str, accept: str, *, params: Mapping[str, Sequence[str]]
                   = {}, update: bool = False) -> Any:  # noqa: B006 - read-only default
    """Send one query (or update) with SPARQLWrapper and return the open HTTP response.

    Queries go by GET while the URL stays short and by form POST beyond: never as a direct
    application/sparql-query POST, which Virtuoso does not answer (its issue #842).

    Raises:
        RemoteError: the endpoint answered with an error status, or could not be reached.
    """
    from SPARQLWrapper import GET, POST, POSTDIRECTLY, URLENCODED
    from SPARQLWrapper.SPARQLExceptions import QueryBadFormed, SPARQLWrapperException

    client.resetQuery()
    client.setQuery(text)
    client.setOnlyConneg(True)
    client.clearCustomHttpHeader("Accept")
    client.addCustomHttpHeader("Accept", accept)
    for name, values in params.items():
        for value in values:
            client.addParameter(name, value)
    size = len(text) + sum(len(v) for vs in params.values() for v in vs)
    if update or size * 3 > GET_LIMIT:
        client.setMethod(POST)
        client.setRequestMethod(URLENCODED)
    else:
        client.setMethod(GET)
    if update:
        client.setRequestMethod(URLENCODED)
        assert client.requestMethod != POSTDIRECTLY
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # SPARQLWrapper warns about what it ignores
            return client.query().response
    except QueryBadFormed as exc:
        if update:
            raise RemoteError(f"{client.endpoint} refused the update: "
                              f"{_first_lines(str(exc))}") from exc
        raise _refused(str(exc)) from exc
    except SPARQLWrapperException as exc:
        raise RemoteError(f"{client.endpoint} refused the request: {_first_lines(str(exc))}"
                          ) from exc
    except OSError as exc:
        raise RemoteError(f"cannot reach {client.endpoint}: {exc}") from exc


def _refused(message: str) -> QuerySyntax:
    """A 400 of the engine, in its own words: it cannot read this query (its own limits, say
    Virtuoso's nesting depth), although this service's checks passed it; the client's to
    change, not a failure of the endpoint."""
    return QuerySyntax("the SPARQL engine behind this service refused the query: "
                       + _first_lines(_engine_message(message)))


def _first_lines(message: str, limit: int = 400) -> str:
    message = message.strip()
    return message if len(message) <= limit else message[:limit] + " ..."


def _json_term(value: Mapping[str, str]) -> Node:
    kind = value.get("type")
    text = value.get("value", "")
    if kind == "uri":
        return URIRef(text)
    if kind == "bnode":
        return BNode(text.removeprefix("nodeID://").removeprefix("_:"))
    lang = value.get("xml:lang")
    if lang:
        return Literal(text, lang=lang)
    datatype = value.get("datatype")
    if datatype and datatype != str(XSD.string):
        if datatype == str(XSD.boolean) and text in ("0", "1"):
            text = "true" if text == "1" else "false"  # Virtuoso writes booleans as 0 / 1
        return Literal(text, datatype=URIRef(datatype))
    return Literal(text)


class RemoteStore(Store):
    """A build held by a remote SPARQL 1.1 endpoint, queried over the SPARQL Protocol.

    Every query names its dataset explicitly (`default-graph-uri` and `named-graph-uri` for the
    project's graphs, or those the request selected), so that the endpoint's other graphs (its
    system graphs, other datasets) never leak into an answer. The endpoint must hold the build
    that dist/ names: `ai45kg push` records its content hash in BUILD_GRAPH, and the store
    refuses to serve another one, so ETags and cached answers are never stale.
    """

    name = "remote"
    federates = True

    def __init__(self, dist: Path, endpoint: str, *, timeout_s: float = 60.0,
                 check: bool = True, auth: str = "basic") -> None:
        if not endpoint:
            raise StoreError("the remote store needs an endpoint URL (--endpoint or the "
                             "ENDPOINT setting)")
        self.dist = Path(dist).resolve()
        manifest = read_manifest(self.dist)
        self._hash = str(manifest["content_hash"])
        self._graphs = sorted(URIRef(g) for g in (manifest.get("triples") or {}))
        self.endpoint = endpoint
        credentials = remote_credentials()
        digest = bool(credentials) and auth.lower() == "digest"
        #: queries over one kept-alive connection, or, for an endpoint that wants HTTP Digest,
        #: through SPARQLWrapper (exactly one of the two is set)
        self._reads = None if digest else KeptAlive(
            endpoint, timeout_s=timeout_s, agent=_agent(), basic=credentials)
        self._digest = sparql_client(endpoint, timeout_s=timeout_s, auth=auth) if digest else None
        import pyoxigraph as ox

        #: an empty Oxigraph store: its parser checks queries before they are sent
        self._parser = ox.Store()
        if check:
            held = self.pushed_hash()
            if held != self._hash:
                raise StoreError(
                    f"{endpoint} holds build {held[:12] if held else '(none)'}, not the build "
                    f"in {self.dist} ({self._hash[:12]}): run `ai45kg push --endpoint ...` "
                    "to load it"
                )

    def pushed_hash(self) -> str | None:
        """The content hash that `ai45kg push` recorded at the endpoint, if any."""
        from rdflib.namespace import DCTERMS

        result = self._select(
            f"SELECT ?h WHERE {{ <{BUILD_GRAPH}> <{DCTERMS.identifier}> ?h }}",
            [BUILD_GRAPH], [EMPTY_GRAPH], None)
        return str(result.rows[0][0]) if result.rows else None

    def _prepare(self, sparql: str, bindings: Mapping[str, Identifier] | None,
                 default_graph_uris: Sequence[str] | None, named_graph_uris: Sequence[str] | None,
                 base: str | None) -> tuple[str, list[str], list[str], list[str]]:
        """The text to send (checked by Oxigraph's parser first: a syntax error is reported as
        the service reports one, with its place, not as the endpoint's failure), the
        dataset, named in the protocol's parameters, and a SELECT's variables."""
        if uses_service(sparql):
            raise StoreError("SERVICE is not sent to the remote endpoint")
        text = prepared_text(sparql, bindings, REMOTE_MAX_SLICE)
        names = self.variables(text, base)
        if base and not re.search(r"(?i)^\s*BASE\b", text, re.M):
            text = f"BASE <{base}>\n{text}" if IRI_CHARS.fullmatch(base) else text
        shape = query_shape(text)
        if default_graph_uris is None and named_graph_uris is None:
            if shape.has_dataset_clause:
                default_graph_uris, named_graph_uris = dataset_of(text, base)
            else:
                default_graph_uris = named_graph_uris = [str(g) for g in self._graphs]
        default = list(default_graph_uris or []) or [EMPTY_GRAPH]
        named = list(named_graph_uris or []) or [EMPTY_GRAPH]
        # the dataset is in the parameters
        return strip_dataset_clause(text), default, named, names

    def variables(self, text: str, base: str | None = None) -> list[str]:
        """The variables of a SELECT (empty for other forms), read by Oxigraph's parser, which
        checks the syntax on the way (evaluating nothing: the engine here has no data).

        Raises:
            QuerySyntax: the text does not parse.
        """
        try:
            answer = self._parser.query(text, base_iri=base)
        except SyntaxError as exc:
            raise oxigraph_syntax(exc, text) from exc
        names = getattr(answer, "variables", None)
        return [v.value for v in names] if names is not None else []

    def answer(
        self,
        sparql: str,
        media: str,
        *,
        bindings: Mapping[str, Identifier] | None = None,
        default_graph_uris: Sequence[str] | None = None,
        named_graph_uris: Sequence[str] | None = None,
        base: str | None = None,
        max_rows: int | None = None,
    ) -> Answer | None:
        """A SELECT's answer as the endpoint writes it in `media` (SPARQL JSON, XML, CSV or
        TSV), passed through unparsed; the same row cap as the other stores (one row more asked
        for, counted only when the answer is long enough to hold it, asked again at the cap).
        `SELECT *` is sent with its variables in first-mention order. Other forms, and a SELECT
        ending in a VALUES block, are left to `query`."""
        if media not in PASSED_THROUGH:
            return None
        text, default, named, names = self._prepare(sparql, bindings, default_graph_uris,
                                                    named_graph_uris, base)
        if query_shape(text).form != "SELECT":
            return None
        text = project_star(text, names)
        return capped_select(text, max_rows, RESULT_FORMATS[media],
                             lambda asked: _standard(self._read(self._send(asked, media, default,
                                                                           named), media)))

    def _read(self, reply: Reply, media: str) -> bytes:
        """The body of an answer, checked to be in the media type asked for."""
        got = reply.media
        if got and got != media and not (media == "text/csv" and got == "text/plain"):
            raise RemoteError(f"{self.endpoint} answered in {got}, not in {media}")
        return reply.body

    def query(
        self,
        sparql: str,
        *,
        bindings: Mapping[str, Identifier] | None = None,
        default_graph_uris: Sequence[str] | None = None,
        named_graph_uris: Sequence[str] | None = None,
        base: str | None = None,
        max_rows: int | None = None,
    ) -> QueryResult:
        text, default, named, _ = self._prepare(sparql, bindings, default_graph_uris,
                                                named_graph_uris, base)
        shape = query_shape(text)
        if shape.form == "DESCRIBE":
            return self._describe(text, base, default, named, max_rows)
        if shape.form == "CONSTRUCT":
            return self._construct(text, default, named, max_rows)
        if shape.form == "ASK":
            return self._ask(text, default, named)
        if shape.form == "SELECT" and max_rows is not None:
            text = limit_rows(text, max_rows + 1)
        return self._select(text, default, named, max_rows)

    def _ask(self, text: str, default: Sequence[str], named: Sequence[str]) -> QueryResult:
        """ASK, sent as `SELECT * ... LIMIT 1`: Virtuoso answers true to an ASK (or a SELECT
        that projects none of its variables) whose `GRAPH <iri>` names a graph outside
        named-graph-uri, while `SELECT *` of the same pattern is rightly empty; and a SELECT
        means the same on every engine."""
        shape = query_shape(text)
        if text[shape.where_close + 1:].strip():
            return self._select(text, default, named, None)  # modifiers or VALUES: as it is
        toks = significant_tokens(text)
        ask = next(t for t in toks if t.keyword == "ASK")
        where = text[ask.end:shape.where_close + 1]
        select = f"{text[:ask.start]}SELECT *{where}\nLIMIT 1"
        rows = self._select(select, default, named, None).rows
        return QueryResult("ASK", boolean=bool(rows))

    # -- the protocol

    def _send(self, text: str, accept: str, default: Sequence[str], named: Sequence[str]) -> Reply:
        """One query's whole answer (at most MAX_RESPONSE_BYTES), over the kept-alive
        connection, or through SPARQLWrapper where the endpoint wants HTTP Digest."""
        params = {"default-graph-uri": list(default), "named-graph-uri": list(named)}
        if self._reads is None:
            response = remote_request(self._digest, text, accept, params=params)
            try:
                reply = Reply(response.status, response.headers,
                              response.read(MAX_RESPONSE_BYTES + 1))
            finally:
                response.close()
        else:
            dataset = tuple((k, v) for k, vs in params.items() for v in vs)
            try:
                reply = self._reads.request(text, dataset, accept, MAX_RESPONSE_BYTES)
            except (OSError, http.client.HTTPException) as exc:
                raise RemoteError(f"cannot reach {self.endpoint}: {exc}") from exc
            if reply.status == 400:
                raise _refused(_text_of(reply.body))
            if not 200 <= reply.status < 300:
                raise RemoteError(f"{self.endpoint} refused the request: HTTP {reply.status}: "
                                  f"{_first_lines(_text_of(reply.body))}")
        if len(reply.body) > MAX_RESPONSE_BYTES:
            raise RemoteError(f"the answer of {self.endpoint} is larger than "
                              f"{MAX_RESPONSE_BYTES} bytes")
        state = reply.headers.get("X-SQL-State")
        if state:
            # Virtuoso's "anytime" answers: a partial result after its own time limit
            message = reply.headers.get("X-SQL-Message", "")
            raise RemoteError(f"{self.endpoint} gave an incomplete answer ({state} {message})")
        return reply

    def _select(self, text: str, default: Sequence[str], named: Sequence[str],
                max_rows: int | None) -> QueryResult:
        raw = self._send(text, "application/sparql-results+json", default, named).body
        try:
            doc = json.loads(raw)
        except ValueError as exc:
            raise RemoteError(f"{self.endpoint} did not answer in SPARQL JSON: "
                              f"{_first_lines(raw[:400].decode('utf-8', 'replace'))}") from exc
        if "boolean" in doc:
            return QueryResult("ASK", boolean=bool(doc["boolean"]))
        names = [v for v in doc.get("head", {}).get("vars", [])]
        rows: list[tuple[Node | None, ...]] = []
        truncated = False
        for binding in doc.get("results", {}).get("bindings", []):
            if max_rows is not None and len(rows) >= max_rows:
                truncated = True
                break
            rows.append(tuple(_json_term(binding[n]) if n in binding else None for n in names))
        order = ordered_vars(text, names)
        if order != names:
            index = [names.index(n) for n in order]
            rows = [tuple(r[i] for i in index) for r in rows]
        return QueryResult("SELECT", vars=order, rows=rows, truncated=truncated)

    def _construct(self, text: str, default: Sequence[str], named: Sequence[str],
                   max_rows: int | None) -> QueryResult:
        import pyoxigraph as ox

        reply = self._send(text, "application/n-triples", default, named)
        media = reply.media
        formats = {"application/n-triples": ox.RdfFormat.N_TRIPLES,
                   "text/plain": ox.RdfFormat.N_TRIPLES,
                   "text/turtle": ox.RdfFormat.TURTLE,
                   "application/rdf+xml": ox.RdfFormat.RDF_XML,
                   "application/ld+json": ox.RdfFormat.JSON_LD}
        try:
            parsed = ox.parse(reply.body, formats.get(media, ox.RdfFormat.N_TRIPLES))
            return graph_result("CONSTRUCT", (
                (from_ox(q.subject), from_ox(q.predicate), from_ox(q.object))  # type: ignore[misc]
                for q in parsed), max_rows)
        except SyntaxError as exc:
            raise RemoteError(f"{self.endpoint} answered a CONSTRUCT with {media or 'no type'} "
                              f"that does not parse: {exc}") from exc

    def _describe(self, text: str, base: str | None, default: Sequence[str],
                  named: Sequence[str], max_rows: int | None) -> QueryResult:
        """DESCRIBE as MemoryStore and OxigraphStore answer it (the concise bounded description
        and the labels of what it links to), not as each engine chooses (Virtuoso also gives
        the statements that point to the resource). Blank nodes are followed up to three
        levels deep within one request, since their labels do not survive across requests."""
        iris, select = describe_targets(text, base)
        targets: list[Node] = list(iris)
        if select is not None:
            for row in self._select(select, default, named, None).rows:
                targets.extend(t for t in row if isinstance(t, URIRef))

        def objects_of(subjects: Sequence[Node]) -> list[tuple[Node, Node, Node]]:
            found: list[tuple[Node, Node, Node]] = []
            iris_only = [s for s in subjects if isinstance(s, URIRef)]
            for i in range(0, len(iris_only), 100):
                values = " ".join(term_n3(s) for s in iris_only[i:i + 100])
                rows = self._select(
                    f"SELECT ?s ?p ?o ?p1 ?o1 ?p2 ?o2 ?p3 ?o3 WHERE {{ VALUES ?s {{ {values} }} "
                    "?s ?p ?o OPTIONAL { ?o ?p1 ?o1 FILTER(isBlank(?o)) "
                    "OPTIONAL { ?o1 ?p2 ?o2 FILTER(isBlank(?o1)) "
                    "OPTIONAL { ?o2 ?p3 ?o3 FILTER(isBlank(?o2)) } } } }",
                    default, named, None).rows
                for s, p, o, p1, o1, p2, o2, p3, o3 in rows:
                    found.append((s, p, o))  # type: ignore[arg-type]
                    if p1 is not None:
                        found.append((o, p1, o1))  # type: ignore[arg-type]
                    if p2 is not None:
                        found.append((o1, p2, o2))  # type: ignore[arg-type]
                    if p3 is not None:
                        found.append((o2, p3, o3))  # type: ignore[arg-type]
            return found

        def reifications_of(triples: list[tuple[Node, Node, Node]]) -> list[Node]:
            plain = [t for t in triples if not any(isinstance(x, BNode) for x in t)]
            found: list[Node] = []
            for i in range(0, len(plain), 50):
                values = " ".join(f"({term_n3(s)} {term_n3(p)} {term_n3(o)})"
                                  for s, p, o in plain[i:i + 50])
                rows = self._select(
                    f"SELECT DISTINCT ?st WHERE {{ VALUES (?s ?p ?o) {{ {values} }} "
                    f"?st <{RDF.subject}> ?s ; <{RDF.predicate}> ?p ; <{RDF.object}> ?o . "
                    "FILTER(isIRI(?st)) }", default, named, None).rows
                found.extend(r[0] for r in rows if r[0] is not None)
            return found

        def labels_of(linked: list[URIRef]) -> list[tuple]:
            out: list[tuple] = []
            for i in range(0, len(linked), 100):
                values = " ".join(term_n3(x) for x in linked[i:i + 100])
                rows = self._select(
                    f"SELECT ?s ?p ?l WHERE {{ VALUES ?s {{ {values} }} VALUES ?p {{ "
                    f"<{RDFS.label}> <{SKOS.prefLabel}> }} ?s ?p ?l }}",
                    default, named, None).rows
                out.extend(rows)
            return out

        description = concise_bounded_description(targets, objects_of, reifications_of)  # type: ignore[arg-type]
        add_labels(description, labels_of)
        return graph_result("DESCRIBE", iter(description), max_rows)

    def graph_names(self) -> list[URIRef]:
        return list(self._graphs)

    def close(self) -> None:
        if self._reads is not None:
            self._reads.close()

    def content_hash(self) -> str:
        return self._hash
