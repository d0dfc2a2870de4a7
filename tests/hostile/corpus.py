"""The hostile corpus: requests a public SPARQL endpoint meets in the wild, each with the outcome
the service documents for it (README "Errors"; service.backend's status codes).

Every case must end within QUERY_TIMEOUT_MS + 1 s with its expected status and error kind (or a
bounded answer), never a 500, never an outbound connection, while /health keeps answering. The
text `http://LISTENER/` in a case stands for a TCP listener on 127.0.0.1 that records every
connection (tests/hostile/net.py): it is where SERVICE, FROM, LOAD and friends point.

Categories:
    cost        evaluation that would run for hours or exhaust memory: cartesian products,
                unbounded property paths, ORDER BY / GROUP BY over them, string doubling
    limits      huge LIMIT / OFFSET, results capped at MAX_ROWS
    parse       pathological parsing: deep nesting, long lists (quadratic in rdflib), subqueries
    regex       catastrophic backtracking, huge repetition counts
    size        long literals and IRIs, queries over MAX_QUERY_LENGTH, 10 MB bodies, long URLs
    encoding    invalid UTF-8, NUL bytes, overlong encodings, other charsets
    protocol    wrong or missing content types, duplicate parameters, other methods
    federation  SERVICE in every disguise (case, comments, prefixed names, escapes, subqueries,
                variables, SILENT)
    update      LOAD / INSERT DATA / DROP ALL / DELETE WHERE in every disguise and every way in
    dataset     FROM / FROM NAMED / default-graph-uri / named-graph-uri / GRAPH naming local
                files or other hosts
    named-query the named queries' typed parameters fed SPARQL, markup, files and other hosts
    http        malformed HTTP for the server itself (NUL in the request line, huge headers)
    paths       path traversal and odd paths on every route
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import quote

LISTENER = "http://LISTENER/"
TIMEOUT = "QueryTimeout"
REFUSED = "QueryRefused"
SYNTAX = "QuerySyntaxError"
TOO_LONG = "QueryTooLong"
OUT_OF_MEMORY = "QueryOutOfMemory"
JSON_RESULTS = "application/sparql-results+json, text/turtle;q=0.9, application/json;q=0.8"


@dataclass(frozen=True)
class Expect:
    """What the service must answer.

    `status` is one code or the codes that are all documented outcomes of a case whose
    result depends on the machine's speed (finished in time with a bounded answer, or stopped
    at the time limit). `kind` is the JSON error body's "kind" (a service.backend.QueryError
    subclass, or the kinds that may come) when the status is an error; `error` its "error"
    title for protocol errors; `rows_at_most` bounds a SPARQL JSON answer; `contains` must be in
    the body.
    """

    status: int | tuple[int, ...]
    kind: str | tuple[str, ...] | None = None
    error: str | None = None
    rows_at_most: int | None = None
    contains: str | None = None

    @property
    def statuses(self) -> tuple[int, ...]:
        return self.status if isinstance(self.status, tuple) else (self.status,)

    @property
    def kinds(self) -> tuple[str, ...]:
        if self.kind is None:
            return ()
        return self.kind if isinstance(self.kind, tuple) else (self.kind,)


@dataclass(frozen=True)
class Case:
    name: str
    category: str
    expect: Expect
    method: str = "GET"
    path: str = "/sparql"
    #: the SPARQL text, sent as ?query= (GET), or as the body of a direct POST / form
    query: str | None = None
    #: further (name, value) pairs of the URL's query string, percent-encoded when sent
    params: tuple[tuple[str, str], ...] = ()
    #: the URL's query string as it is sent (already encoded, may be malformed)
    raw_query: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | None = None
    #: a whole request, bytes as they are (for malformed HTTP)
    raw: bytes | None = None

    def target(self, listener: str) -> str:
        parts = []
        if self.query is not None and self.method == "GET":
            parts.append("query=" + quote(self.query.replace(LISTENER, listener), safe=""))
        parts += [f"{quote(k, safe='')}={quote(v.replace(LISTENER, listener), safe='')}"
                  for k, v in self.params]
        if self.raw_query is not None:
            parts.append(self.raw_query.replace(LISTENER, quote(listener, safe="")))
        return self.path + ("?" + "&".join(parts) if parts else "")

    def payload(self, listener: str) -> bytes | None:
        if self.body is not None:
            return self.body.replace(LISTENER.encode(), listener.encode())
        if self.query is not None and self.method == "POST":
            return self.query.replace(LISTENER, listener).encode("utf-8")
        return None


def get(name: str, category: str, query: str, expect: Expect, **kw: object) -> Case:
    headers = {"Accept": JSON_RESULTS, **kw.pop("headers", {})}  # type: ignore[dict-item]
    return Case(name, category, expect, query=query, headers=headers, **kw)  # type: ignore[arg-type]


def post(name: str, category: str, query: str, expect: Expect,
         content_type: str = "application/sparql-query", **kw: object) -> Case:
    headers = {"Accept": JSON_RESULTS, "Content-Type": content_type,
               **kw.pop("headers", {})}  # type: ignore[dict-item]
    return Case(name, category, expect, method="POST", query=query, headers=headers,
                **kw)  # type: ignore[arg-type]


def form(name: str, category: str, body: bytes, expect: Expect, **kw: object) -> Case:
    headers = {"Accept": JSON_RESULTS, "Content-Type": "application/x-www-form-urlencoded",
               **kw.pop("headers", {})}  # type: ignore[dict-item]
    return Case(name, category, expect, method="POST", body=body, headers=headers,
                **kw)  # type: ignore[arg-type]


def timeout_or_bounded(rows: int) -> Expect:
    """A query whose answer is capped (MAX_ROWS) if the machine (or the store's engine) is fast
    enough, else stopped at the time limit or the memory cap."""
    return Expect((200, 503), kind=STOPPED, rows_at_most=rows)


#: a query stopped at the time limit or at the memory cap (WORKER_MEMORY_MB): which comes first
#: depends on the store (Oxigraph allocates faster than rdflib) and the machine
STOPPED = (TIMEOUT, OUT_OF_MEMORY)


PREFIXES = ("PREFIX ai45: <https://w3id.org/ai45/ontology#>\n"
            "PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>\n"
            "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n")
ALL = "SELECT * WHERE { ?s ?p ?o }"
PATH_STAR = "(ai45:inLayer|!ai45:inLayer)*"
MAX_ROWS = 10_000

CORPUS: list[Case] = [
    # ------------------------------------------------------------------------------- cost
    get("cartesian-count", "cost",
        "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }",
        Expect(503, kind=STOPPED)),
    get("cartesian-streamed", "cost", "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }",
        timeout_or_bounded(MAX_ROWS)),
    get("cartesian-order-by", "cost",
        "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f } ORDER BY DESC(STR(?c)) ?f LIMIT 1",
        Expect(503, kind=STOPPED)),
    get("cartesian-distinct-group", "cost",
        "SELECT ?c (COUNT(DISTINCT ?f) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f } GROUP BY ?c",
        Expect(503, kind=STOPPED)),
    get("unbounded-path-both-ends-free", "cost",
        PREFIXES + f"SELECT (COUNT(*) AS ?n) WHERE {{ ?s {PATH_STAR} ?o }}",
        Expect(503, kind=STOPPED)),
    get("unbounded-path-chain", "cost",
        PREFIXES + f"SELECT * WHERE {{ ?s {PATH_STAR}/{PATH_STAR}/{PATH_STAR} ?o }} LIMIT 5",
        timeout_or_bounded(5)),
    get("negated-path-plus", "cost",
        PREFIXES + "SELECT (COUNT(*) AS ?n) WHERE { ?s !rdf:type+ ?o }",
        Expect(503, kind=STOPPED)),
    get("optional-chain-cartesian", "cost",
        "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c OPTIONAL { ?d ?e ?f OPTIONAL { ?g ?h ?i } } }",
        Expect(503, kind=STOPPED)),
    get("string-doubling-memory-bomb", "cost",
        "SELECT (STRLEN(?x30) AS ?n) WHERE { BIND(\"xxxxxxxxxxxxxxxx\" AS ?x0) "
        + " ".join(f"BIND(CONCAT(?x{i}, ?x{i}) AS ?x{i + 1})" for i in range(30)) + " }",
        Expect(503, kind=STOPPED)),
    get("describe-everything", "cost", "DESCRIBE ?s WHERE { ?s ?p ?o }",
        Expect((200, 503), kind=STOPPED), headers={"Accept": "text/turtle"}),
    get("construct-cartesian", "cost",
        "CONSTRUCT { ?a ?b ?f } WHERE { ?a ?b ?c . ?d ?e ?f }",
        Expect((200, 503), kind=STOPPED), headers={"Accept": "application/n-triples"}),
    # ------------------------------------------------------------------------------- limits
    get("huge-offset", "limits", ALL + " OFFSET 100000000000000 LIMIT 10",
        timeout_or_bounded(0)),
    get("huge-limit", "limits", ALL + " LIMIT 99999999999999999999999999",
        Expect(200, rows_at_most=MAX_ROWS)),
    get("huge-offset-in-subquery", "limits",
        "SELECT * WHERE { { SELECT * WHERE { ?s ?p ?o } OFFSET 99999999999999999999999 } }",
        Expect(200, rows_at_most=0)),
    get("no-limit-capped-at-max-rows", "limits", ALL, Expect(200, rows_at_most=MAX_ROWS)),
    get("negative-limit", "limits", ALL + " LIMIT -1", Expect(400, kind=SYNTAX)),
    # ------------------------------------------------------------------------------- parse
    post("nested-subqueries-300", "parse",
         "SELECT * WHERE { " + "{ SELECT * WHERE { " * 300 + "?s ?p ?o" + " } }" * 300 + " }",
         Expect(400, kind=SYNTAX)),
    post("nested-brackets-5000", "parse",
         "SELECT * WHERE { FILTER(" + "(" * 5000 + "1" + ")" * 5000 + ") }",
         Expect(400, kind=SYNTAX)),
    post("nested-groups-5000", "parse", "SELECT * WHERE " + "{" * 5000 + "}" * 5000,
         Expect(400, kind=SYNTAX)),
    post("nested-optional-1000", "parse",
         "SELECT * WHERE { ?s ?p ?o " + "OPTIONAL { ?s ?p ?o " * 1000 + "}" * 1000 + " }",
         Expect(400, kind=SYNTAX)),
    post("nested-blank-nodes-3000", "parse",
         "SELECT * WHERE { ?s <urn:p> " + "[ <urn:p> " * 3000 + "1" + " ]" * 3000 + " }",
         Expect(400, kind=SYNTAX)),
    post("object-list-10000 (quadratic parse)", "parse",
         "SELECT * WHERE { ?s <urn:p> " + ", ".join(["1"] * 10000) + " }",
         Expect(503, kind=TIMEOUT)),
    post("predicate-list-5000 (quadratic parse)", "parse",
         "SELECT * WHERE { ?s " + " ; ".join(["<urn:p> 1"] * 5000) + " }",
         Expect(503, kind=TIMEOUT)),
    post("collection-10000 (quadratic parse)", "parse",
         "SELECT * WHERE { ?s <urn:p> (" + " ".join(["1"] * 10000) + ") }",
         Expect(503, kind=TIMEOUT)),
    post("sum-of-20000-terms", "parse",
         "SELECT * WHERE { FILTER(1" + " + 1" * 20000 + " > 0) }",
         Expect((200, 503), kind=TIMEOUT)),
    post("union-of-3000-groups", "parse",
         "SELECT * WHERE { " + " UNION ".join(["{ ?s ?p ?o }"] * 3000) + " }",
         Expect((200, 503), kind=TIMEOUT, rows_at_most=MAX_ROWS)),
    post("unclosed-groups", "parse", "SELECT * WHERE { " + "{ ?s ?p ?o . " * 2000,
         Expect(400, kind=SYNTAX)),
    get("empty-query", "parse", "   ", Expect(400, error="Bad Request")),
    get("not-sparql", "parse", "<script>alert(1)</script>", Expect(400, kind=SYNTAX)),
    # ------------------------------------------------------------------------------- regex
    # Python's re backtracks (rdflib: stopped at the limit); Rust's regex never does (Oxigraph)
    get("regex-catastrophic-backtracking", "regex",
        'SELECT * WHERE { BIND("' + "a" * 40 + '!" AS ?x) FILTER(REGEX(?x, "^(a+)+$")) }',
        Expect((200, 503), kind=TIMEOUT, rows_at_most=0)),
    get("regex-nested-quantifiers-on-data", "regex",
        PREFIXES + 'SELECT ?l WHERE { ?s rdfs:label ?l FILTER(REGEX(CONCAT(?l, ?l, ?l, ?l, "!"), '
        '"^(([a-z ]+)*)*$", "i")) }',
        Expect((200, 503), kind=STOPPED)),
    get("regex-huge-repetition", "regex",
        'SELECT * WHERE { BIND("a" AS ?x) FILTER(REGEX(?x, "a{1000000000}")) }',
        Expect((200, 400))),
    get("regex-invalid-pattern", "regex",
        'SELECT * WHERE { BIND("a" AS ?x) FILTER(REGEX(?x, "(")) }', Expect((200, 400))),
    get("replace-huge-output", "regex",
        'SELECT (STRLEN(REPLACE(?x, "", ?x)) AS ?n) WHERE { BIND("'
        + "y" * 3000 + '" AS ?x) }', Expect((200, 503), kind=TIMEOUT)),
    # ------------------------------------------------------------------------------- size
    post("literal-of-90000-chars", "size",
         'SELECT (STRLEN(?x) AS ?n) WHERE { BIND("' + "a" * 90000 + '" AS ?x) }',
         Expect(200, rows_at_most=1)),
    post("iri-of-90000-chars", "size",
         "SELECT * WHERE { <http://example.org/" + "a" * 90000 + "> ?p ?o }",
         Expect(200, rows_at_most=0)),
    post("query-over-max-query-length", "size",
         "SELECT * WHERE { ?s ?p ?o } #" + "x" * 100_000, Expect(413, kind=TOO_LONG)),
    post("body-of-10-MB", "size", "SELECT * WHERE { ?s ?p ?o } #" + "x" * 10_000_000,
         Expect(413)),
    form("form-body-of-10-MB", "size", b"query=" + b"x" * 10_000_000, Expect(413)),
    Case("url-of-20000-chars", "size", Expect(414),
         raw_query="query=" + "x" * 20_000, headers={"Accept": JSON_RESULTS}),
    # ------------------------------------------------------------------------------- encoding
    Case("invalid-utf8-in-url", "encoding", Expect(400, error="Bad Request"),
         raw_query="query=SELECT%20*%20WHERE%20%7B%20%3Fs%20%3Fp%20%22%C3%28%22%20%7D",
         headers={"Accept": JSON_RESULTS}),
    Case("invalid-utf8-direct-post", "encoding", Expect(400, error="Bad Request"),
         method="POST", body=b'SELECT * WHERE { ?s ?p "\xff\xfe" }',
         headers={"Content-Type": "application/sparql-query", "Accept": JSON_RESULTS}),
    form("invalid-utf8-form", "encoding", b"query=SELECT%20%2A%20%7B%7D%FF",
         Expect(400, error="Bad Request")),
    Case("overlong-utf8-slash", "encoding", Expect(400, error="Bad Request"),
         method="POST", body=b'SELECT * WHERE { ?s ?p "\xc0\xaf" }',
         headers={"Content-Type": "application/sparql-query", "Accept": JSON_RESULTS}),
    get("nul-byte-in-query", "encoding", "SELECT * WHERE { ?s ?p \"a\x00b\" }",
        Expect((200, 400))),
    get("nul-byte-in-keyword", "encoding", "SEL\x00ECT * WHERE { ?s ?p ?o }",
        Expect(400, kind=SYNTAX)),
    Case("utf16-declared", "encoding", Expect(415),
         method="POST", body="ASK {}".encode("utf-16"),
         headers={"Content-Type": "application/sparql-query; charset=utf-16",
                  "Accept": JSON_RESULTS}),
    Case("unknown-charset", "encoding", Expect(415),
         method="POST", body=b"ASK {}",
         headers={"Content-Type": "application/x-www-form-urlencoded; charset=x-nonsense",
                  "Accept": JSON_RESULTS}),
    # ------------------------------------------------------------------------------- protocol
    post("wrong-content-type-text-plain", "protocol", "ASK {}", Expect(415),
         content_type="text/plain"),
    post("content-type-json", "protocol", '{"query": "ASK {}"}', Expect(415),
         content_type="application/json"),
    Case("post-without-content-type", "protocol", Expect(415), method="POST",
         body=b"query=ASK%20%7B%7D", headers={"Accept": JSON_RESULTS}),
    Case("duplicate-query-parameter", "protocol", Expect(400, error="Bad Request"),
         raw_query="query=ASK%7B%7D&query=ASK%7B%7D", headers={"Accept": JSON_RESULTS}),
    form("duplicate-query-url-and-form", "protocol", b"query=ASK%7B%7D",
         Expect(400, error="Bad Request"), raw_query="query=ASK%7B%7D"),
    Case("query-in-url-and-body", "protocol", Expect(400, error="Bad Request"), method="POST",
         raw_query="query=ASK%7B%7D", body=b"ASK {}",
         headers={"Content-Type": "application/sparql-query", "Accept": JSON_RESULTS}),
    Case("ten-thousand-parameters", "protocol", Expect(200),
         raw_query="query=ASK%7B%7D&" + "&".join(f"p{i}=v" for i in range(1000)),
         headers={"Accept": JSON_RESULTS}),
    get("unacceptable-accept", "protocol", "ASK {}", Expect(406),
        headers={"Accept": "image/png"}),
    Case("put-method", "protocol", Expect(405), method="PUT", body=b"ASK {}",
         headers={"Content-Type": "application/sparql-query"}),
    Case("delete-method", "protocol", Expect(405), method="DELETE"),
    Case("trace-method", "protocol", Expect((400, 405)), method="TRACE"),
    # ------------------------------------------------------------------------------- federation
    get("service", "federation",
        f"SELECT * WHERE {{ SERVICE <{LISTENER}sparql> {{ ?s ?p ?o }} }}",
        Expect(400, kind=REFUSED)),
    get("service-lower-case-comments", "federation",
        f"select * where {{ service # look away\n <{LISTENER}sparql> # here\n {{ ?s ?p ?o }} }}",
        Expect(400, kind=REFUSED)),
    get("service-prefixed-name", "federation",
        f"PREFIX evil: <{LISTENER}>\nSELECT * WHERE {{ SERVICE evil:sparql {{ ?s ?p ?o }} }}",
        Expect(400, kind=REFUSED)),
    get("service-silent-in-subquery-in-optional", "federation",
        PREFIXES + "SELECT * WHERE { ?x a ai45:Layer OPTIONAL { { SELECT ?s WHERE { SERVICE SILENT "
        f"<{LISTENER}> {{ ?s ?p ?o }} }} }} }} }}",
        Expect(400, kind=REFUSED)),
    get("service-variable", "federation",
        f"SELECT * WHERE {{ VALUES ?e {{ <{LISTENER}> }} SERVICE ?e {{ ?s ?p ?o }} }}",
        Expect(400, kind=REFUSED)),
    get("service-unicode-escape", "federation",
        "SELECT * WHERE { \\u0053ERVICE <" + LISTENER + "> { ?s ?p ?o } }",
        Expect(400)),
    get("service-in-exists-filter", "federation",
        f"ASK {{ FILTER EXISTS {{ SERVICE <{LISTENER}> {{ ?s ?p ?o }} }} }}",
        Expect(400, kind=REFUSED)),
    get("service-in-minus", "federation",
        PREFIXES + f"SELECT * WHERE {{ ?s a ai45:Layer MINUS {{ SERVICE <{LISTENER}> "
        "{ ?s ?p ?o } } }",
        Expect(400, kind=REFUSED)),
    get("service-in-construct", "federation",
        f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ SERVICE <{LISTENER}> {{ ?s ?p ?o }} }}",
        Expect(400, kind=REFUSED), headers={"Accept": "text/turtle"}),
    get("service-external-host", "federation",
        "SELECT * WHERE { SERVICE <http://example.org/sparql> { ?s ?p ?o } }",
        Expect(400, kind=REFUSED)),
    get("service-file-iri", "federation",
        "SELECT * WHERE { SERVICE <file:///etc/passwd> { ?s ?p ?o } }",
        Expect(400, kind=REFUSED)),
    # ------------------------------------------------------------------------------- update
    get("load", "update", f"LOAD <{LISTENER}data.ttl>", Expect(400, kind=REFUSED)),
    get("load-lower-case-into-graph", "update",
        f"# innocent\nload silent <{LISTENER}x> into graph <urn:g>", Expect(400, kind=REFUSED)),
    get("load-prefixed", "update", f"PREFIX e: <{LISTENER}>\nLOAD e:data",
        Expect(400, kind=REFUSED)),
    get("insert-data", "update", "INSERT DATA { <urn:a> <urn:b> <urn:c> }",
        Expect(400, kind=REFUSED)),
    get("drop-all", "update", "DROP ALL", Expect(400, kind=REFUSED)),
    get("drop-all-disguised", "update", "  # comment\n\tdRoP   \n  aLl  ",
        Expect(400, kind=REFUSED)),
    get("drop-unicode-escape", "update", "\\u0044ROP ALL", Expect(400, kind=REFUSED)),
    get("clear-default", "update", "CLEAR DEFAULT", Expect(400, kind=REFUSED)),
    get("delete-where", "update", "DELETE WHERE { ?s ?p ?o }", Expect(400, kind=REFUSED)),
    get("with-delete-insert", "update",
        "WITH <urn:g> DELETE { ?s ?p ?o } INSERT { ?s ?p 1 } WHERE { ?s ?p ?o }",
        Expect(400, kind=REFUSED)),
    get("select-then-drop", "update", "SELECT * WHERE { ?s ?p ?o } ; DROP ALL",
        Expect(400)),
    get("drop-inside-subquery", "update", "SELECT * WHERE { { DROP ALL } }", Expect(400)),
    Case("update-parameter-get", "update", Expect(400, kind=REFUSED),
         raw_query="update=DROP%20ALL", headers={"Accept": JSON_RESULTS}),
    form("update-parameter-form", "update", b"update=DROP%20ALL", Expect(400, kind=REFUSED)),
    post("sparql-update-content-type", "update", "INSERT DATA { <urn:a> <urn:b> <urn:c> }",
         Expect(400, kind=REFUSED), content_type="application/sparql-update"),
    # ------------------------------------------------------------------------------- dataset
    get("from-local-file", "dataset", "SELECT * FROM <file:///etc/passwd> WHERE { ?s ?p ?o }",
        Expect(400, kind=REFUSED)),
    get("from-named-listener", "dataset",
        f"SELECT * FROM NAMED <{LISTENER}g> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}",
        Expect(400, kind=REFUSED)),
    get("from-relative-to-file-base", "dataset",
        "BASE <file:///etc/>\nSELECT * FROM <passwd> WHERE { ?s ?p ?o }",
        Expect(400, kind=REFUSED)),
    get("default-graph-uri-listener", "dataset", ALL, Expect(400, kind=REFUSED),
        params=(("default-graph-uri", LISTENER + "g"),)),
    get("named-graph-uri-file", "dataset", ALL, Expect(400, kind=REFUSED),
        params=(("named-graph-uri", "file:///etc/shadow"),)),
    get("graph-local-file", "dataset",
        "SELECT * WHERE { GRAPH <file:///etc/passwd> { ?s ?p ?o } }",
        Expect(200, rows_at_most=0)),
    get("describe-local-file", "dataset", "DESCRIBE <file:///etc/passwd>",
        Expect(200), headers={"Accept": "text/turtle"}),
    get("iri-function-to-listener", "dataset",
        f'SELECT * WHERE {{ BIND(IRI("{LISTENER}x") AS ?g) GRAPH ?g {{ ?s ?p ?o }} }}',
        Expect(200, rows_at_most=0)),
    # ------------------------------------------------------------------------------- named-query
    Case("param-sparql-injection", "named-query", Expect(400), path="/queries/why",
         params=(("resource", "ai45r:x> } SERVICE <" + LISTENER + "> { ?s ?p ?o } #"),),
         headers={"Accept": "application/sparql-results+json"}),
    Case("param-listener-iri", "named-query", Expect(200), path="/queries/why",
         params=(("resource", LISTENER),),
         headers={"Accept": "application/sparql-results+json"}),
    Case("param-file-iri-restricted-class", "named-query", Expect(400),
         path="/queries/techniques-for-level", params=(("level", "file:///etc/passwd"),),
         headers={"Accept": "application/sparql-results+json"}),
    Case("param-drop-all", "named-query", Expect(400), path="/queries/why",
         params=(("resource", "DROP ALL"),),
         headers={"Accept": "application/sparql-results+json"}),
    Case("param-unknown-query-parameter", "named-query", Expect(400), path="/queries/levels",
         params=(("query", "DROP ALL"),),
         headers={"Accept": "application/sparql-results+json"}),
    Case("param-markup-html", "named-query", Expect(400), path="/queries/why",
         params=(("resource", "<script>alert(1)</script>"),), headers={"Accept": "text/html"}),
    Case("param-duplicate", "named-query", Expect(400, contains="given 2 times"),
         path="/queries/why",
         params=(("resource", "ai45r:level/autonomy"), ("resource", "ai45r:layer/reflectable")),
         headers={"Accept": "application/sparql-results+json"}),
    Case("param-invalid-utf8", "named-query", Expect(400), path="/queries/why",
         raw_query="resource=%FF%FE", headers={"Accept": "application/sparql-results+json"}),
    Case("param-huge-integer-like", "named-query", Expect((200, 400)), path="/queries/why",
         params=(("resource", "ai45r:" + "9" * 5000),),
         headers={"Accept": "application/sparql-results+json"}),
    Case("query-page-service", "named-query", Expect(400), path="/query",
         params=(("query", f"SELECT * WHERE {{ SERVICE <{LISTENER}> {{ ?s ?p ?o }} }}"),),
         headers={"Accept": "text/html"}),
    Case("query-page-post-drop-all", "named-query", Expect(400), method="POST", path="/query",
         body=b"query=DROP%20ALL",
         headers={"Accept": "text/html", "Content-Type": "application/x-www-form-urlencoded"}),
    Case("query-page-runaway", "named-query", Expect(503), path="/query",
         params=(("query", "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"),),
         headers={"Accept": "text/html"}),
    # ------------------------------------------------------------------------------- http
    Case("nul-in-request-line", "http", Expect(400),
         raw=b"GET /sparql?query=ASK\x00{} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"),
    Case("header-of-100-kB", "http", Expect((400, 431)),
         raw=b"GET /health HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 100_000
         + b"\r\nConnection: close\r\n\r\n"),
    Case("five-hundred-headers", "http", Expect((200, 400, 431)),
         raw=b"GET /health HTTP/1.1\r\nHost: x\r\n"
         + b"".join(b"X-H%d: v\r\n" % i for i in range(500)) + b"Connection: close\r\n\r\n"),
    Case("bad-content-length", "http", Expect(400),
         raw=b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Type: application/sparql-query\r\n"
         b"Content-Length: -5\r\nConnection: close\r\n\r\nASK {}"),
    Case("chunked-10-MB-body", "http", Expect(413),
         raw=b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Type: application/sparql-query\r\n"
         b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
         + b"".join(b"100000\r\n" + b"#" * 0x100000 + b"\r\n" for _ in range(10)) + b"0\r\n\r\n"),
    Case("chunked-garbage", "http", Expect(400, error="Bad Request"),
         raw=b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Type: application/sparql-query\r\n"
         b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\nzz\r\nASK {}\r\n0\r\n\r\n"),
    Case("not-http", "http", Expect(400), raw=b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03"
         + b"\x00" * 64 + b"\r\n\r\n"),
    # ------------------------------------------------------------------------------- paths
    Case("download-traversal", "paths", Expect(404), path="/download/..%2F..%2Fetc%2Fpasswd"),
    Case("download-dotdot", "paths", Expect(404), path="/download/../../etc/passwd"),
    Case("resource-traversal", "paths", Expect(404), path="/id/..%2F..%2F..%2Fetc%2Fpasswd"),
    Case("resource-markup", "paths", Expect(404), path="/id/%3Cscript%3Ealert(1)%3C%2Fscript%3E",
         headers={"Accept": "text/html"}),
    Case("resource-long-path", "paths", Expect(404), path="/id/" + "a-b/" * 1900,
         headers={"Accept": "text/html"}),
    Case("graph-long-name", "paths", Expect(404), path="/graph/import/" + "a-" * 3900),
    Case("ontology-long-version", "paths", Expect(404), path="/ontology/" + "1." * 3900),
    Case("named-query-long-name", "paths", Expect(404), path="/queries/" + "q" * 7900),
    Case("download-long-name", "paths", Expect(404), path="/download/" + "d" * 7900),
    Case("graph-unknown", "paths", Expect(404), path="/graph/..%2F..%2Fetc%2Fpasswd"),
    Case("named-query-markup-name", "paths", Expect(404),
         path="/queries/%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E", headers={"Accept": "text/html"}),
    Case("static-traversal", "paths", Expect(404), path="/static/..%2F..%2Fbackend.py"),
]
