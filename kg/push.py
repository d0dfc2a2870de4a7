"""`ai45kg push`: load the built dataset, named graphs included, into a remote SPARQL 1.1 store.

Two ways in, both idempotent (a second push of the same build leaves the same data):

- SPARQL 1.1 Update (default): the project's graphs (those of this build and of the previous
  push, as its build record lists them) are dropped, then the quads are inserted in chunks of
  INSERT DATA per graph. Blank nodes cannot go in INSERT DATA on every engine (Virtuoso refuses
  them), so statements with blank nodes are sent as `INSERT { ... } WHERE {}`, each blank node's
  statements in one request so that it stays one node. A chunk the engine refuses as too large
  is split in two and sent again.
- The SPARQL 1.1 Graph Store Protocol (`--graph-store URL`): one PUT of N-Triples per graph,
  which replaces the graph; the fastest way into Virtuoso (/sparql-graph-crud-auth), Fuseki
  (/DATASET/data) or GraphDB (/repositories/REPO/rdf-graphs/service).

Last, the build record goes into https://w3id.org/ai45/graph/build: the build's content hash
(dcterms:identifier) and its graphs (dcterms:hasPart). `RemoteStore` serves only the build whose
hash dist/ names, and a push checks the triple count of every graph afterwards.

Credentials come from AI45_REMOTE_USER / AI45_REMOTE_PASSWORD, never from the command line.
"""

from __future__ import annotations

import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pyoxigraph as ox
from rdflib.namespace import DCTERMS, XSD

from .stores import DATASET_NQUADS, read_manifest
from .stores.remote import (
    BUILD_GRAPH,
    EMPTY_GRAPH,
    RemoteError,
    RemoteStore,
    remote_credentials,
    remote_request,
    sparql_client,
)

#: statements per INSERT DATA request (Virtuoso's SPARQL compiler runs out of memory on about
#: 5000; a refused chunk is split anyway)
CHUNK = 1000
#: statements per INSERT ... WHERE {} request with blank nodes (Virtuoso turns each into SQL,
#: and stops at 10000 lines of it)
BNODE_CHUNK = 200


@dataclass
class PushReport:
    endpoint: str
    content_hash: str
    triples: dict[str, int] = field(default_factory=dict)
    requests: int = 0
    dropped: list[str] = field(default_factory=list)
    seconds: float = 0.0


def _read_quads(dist: Path) -> dict[str, list[ox.Triple]]:
    by_graph: dict[str, list[ox.Triple]] = {}
    for quad in ox.parse(path=str(dist / DATASET_NQUADS), format=ox.RdfFormat.N_QUADS):
        if isinstance(quad.graph_name, ox.NamedNode):
            by_graph.setdefault(quad.graph_name.value, []).append(quad.triple)
    return by_graph


def _has_bnode(triple: ox.Triple) -> bool:
    return isinstance(triple.subject, ox.BlankNode) or isinstance(triple.object, ox.BlankNode)


def bnode_groups(quads: Iterable[tuple[str, ox.Triple]]) -> list[list[tuple[str, ox.Triple]]]:
    """Statements with blank nodes, grouped so that all statements of a blank node (and of the
    blank nodes connected to it) are in one group: sent in one request, they stay one node."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    items = list(quads)
    for _, t in items:
        nodes = [n.value for n in (t.subject, t.object) if isinstance(n, ox.BlankNode)]
        for other in nodes[1:]:
            parent[find(other)] = find(nodes[0])
        if nodes:
            find(nodes[0])
    groups: dict[str, list[tuple[str, ox.Triple]]] = {}
    for graph, t in items:
        node = t.subject if isinstance(t.subject, ox.BlankNode) else t.object
        groups.setdefault(find(node.value), []).append((graph, t))  # type: ignore[union-attr]
    return [groups[k] for k in sorted(groups)]


def _pack(groups: Sequence[list[tuple[str, ox.Triple]]], size: int
          ) -> Iterator[list[list[tuple[str, ox.Triple]]]]:
    batch: list[list[tuple[str, ox.Triple]]] = []
    count = 0
    for group in groups:
        if batch and count + len(group) > size:
            yield batch
            batch, count = [], 0
        batch.append(group)
        count += len(group)
    if batch:
        yield batch


def _graph_blocks(quads: Iterable[tuple[str, ox.Triple]]) -> str:
    by_graph: dict[str, list[str]] = {}
    for graph, t in quads:
        by_graph.setdefault(graph, []).append(f"{t.subject} {t.predicate} {t.object} .")
    return "\n".join(f"GRAPH <{g}> {{\n" + "\n".join(lines) + "\n}"
                     for g, lines in by_graph.items())


class Pusher:
    """Sends one build to one endpoint (see the module docstring)."""

    def __init__(self, dist: Path, endpoint: str, update_endpoint: str | None = None, *,
                 graph_store: str | None = None, auth: str = "basic", timeout_s: float = 300.0,
                 chunk: int = CHUNK, echo: Callable[[str], None] = lambda _: None) -> None:
        self.dist = Path(dist).resolve()
        self.manifest = read_manifest(self.dist)
        self.endpoint = endpoint
        self.update_endpoint = update_endpoint or endpoint
        self.graph_store = graph_store
        self.auth = auth
        self.query_client = sparql_client(endpoint, timeout_s=timeout_s, auth=auth)
        self.update_client = sparql_client(self.update_endpoint, timeout_s=timeout_s, auth=auth)
        self.chunk = max(1, chunk)
        self.timeout_s = timeout_s
        self.echo = echo
        self.report = PushReport(endpoint, str(self.manifest["content_hash"]))

    def update(self, text: str) -> None:
        remote_request(self.update_client, text, "*/*", update=True).close()
        self.report.requests += 1

    def _insert(self, batch: list[list[tuple[str, ox.Triple]]], *, template: bool) -> None:
        """One request for `batch` (groups that must not be split). INSERT DATA is split in two
        and sent again when refused (inserting a statement twice changes nothing); a template
        with blank nodes is not retried, as it may have been applied before the error (Virtuoso
        answers 500 to some inserts that it made) and a second one would duplicate its blank
        nodes: the push stops, and running it again starts over."""
        quads = [q for group in batch for q in group]
        body = _graph_blocks(quads)
        if template:
            self.update(f"INSERT {{\n{body}\n}} WHERE {{}}")
            return
        try:
            self.update(f"INSERT DATA {{\n{body}\n}}")
        except RemoteError:
            if len(quads) <= 1:
                raise
            half = len(quads) // 2
            self._insert([[q] for q in quads[:half]], template=False)
            self._insert([[q] for q in quads[half:]], template=False)

    def previous_graphs(self) -> list[str]:
        """The graphs that the last push to this endpoint recorded (to drop them too)."""
        rows = self._select(
            f"SELECT ?g WHERE {{ <{BUILD_GRAPH}> <{DCTERMS.hasPart}> ?g }}", [BUILD_GRAPH])
        return [r for r in rows if r]

    def _select(self, text: str, default: Sequence[str]) -> list[str]:
        import json

        response = remote_request(self.query_client, text, "application/sparql-results+json",
                                  params={"default-graph-uri": list(default),
                                          "named-graph-uri": [EMPTY_GRAPH]})
        try:
            doc = json.loads(response.read())
        finally:
            response.close()
        var = doc["head"]["vars"][0]
        return [b[var]["value"] for b in doc["results"]["bindings"] if var in b]

    def counts(self, graphs: Sequence[str]) -> dict[str, int]:
        out = {}
        for g in graphs:
            rows = self._select("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", [g])
            out[g] = int(rows[0]) if rows else 0
        return out

    def push(self) -> PushReport:
        started = time.perf_counter()
        by_graph = _read_quads(self.dist)
        graphs = sorted(by_graph)
        stale = sorted(set(self.previous_graphs()) - set(graphs))
        for g in [*graphs, *stale, BUILD_GRAPH]:
            self.update(f"DROP SILENT GRAPH <{g}>")
        self.report.dropped = stale
        if self.graph_store:
            self._push_graph_store(by_graph)
        else:
            self._push_update(by_graph)
        self._record(graphs)
        expected = {g: len(set(ts)) for g, ts in by_graph.items()}
        found = self.counts(graphs)
        if found != expected:
            wrong = {g: (found.get(g), n) for g, n in expected.items() if found.get(g) != n}
            raise RemoteError(f"after the push, {self.endpoint} holds other triple counts than "
                              f"the build (graph: (found, expected)): {wrong}")
        self.report.triples = found
        self.report.seconds = time.perf_counter() - started
        return self.report

    def _push_update(self, by_graph: dict[str, list[ox.Triple]]) -> None:
        for g, triples in sorted(by_graph.items()):
            plain = sorted({t for t in triples if not _has_bnode(t)}, key=str)
            for i in range(0, len(plain), self.chunk):
                self._insert([[(g, t)] for t in plain[i:i + self.chunk]], template=False)
            self.echo(f"  {len(plain):>8} statements without blank nodes into <{g}>")
        with_bnodes = [(g, t) for g, ts in sorted(by_graph.items())
                       for t in sorted(set(ts), key=str) if _has_bnode(t)]
        groups = bnode_groups(with_bnodes)
        # one graph per request (Virtuoso fails on some templates that write to several)
        by_graph_groups: dict[tuple[str, ...], list[list[tuple[str, ox.Triple]]]] = {}
        for group in groups:
            by_graph_groups.setdefault(tuple(sorted({g for g, _ in group})), []).append(group)
        for _, same in sorted(by_graph_groups.items()):
            for batch in _pack(same, BNODE_CHUNK):
                self._insert(batch, template=True)
        if with_bnodes:
            self.echo(f"  {len(with_bnodes):>8} statements with blank nodes "
                      f"({len(groups)} blank-node groups)")

    def _push_graph_store(self, by_graph: dict[str, list[ox.Triple]]) -> None:
        shared = [grp for grp in bnode_groups(
            [(g, t) for g, ts in by_graph.items() for t in ts if _has_bnode(t)])
            if len({g for g, _ in grp}) > 1]
        if shared:
            raise RemoteError("blank nodes shared between graphs cannot be sent by the Graph "
                              "Store Protocol (one request per graph); push with SPARQL Update")
        for g, triples in sorted(by_graph.items()):
            body = "".join(f"{t.subject} {t.predicate} {t.object} .\n"
                           for t in sorted(set(triples), key=str)).encode("utf-8")
            sep = "&" if "?" in (self.graph_store or "") else "?"
            url = f"{self.graph_store}{sep}{urllib.parse.urlencode({'graph': g})}"
            headers = {"Content-Type": "application/n-triples",
                       **_authorization(url, "PUT", self.auth, self.timeout_s)}
            request = urllib.request.Request(url, data=body, method="PUT", headers=headers)
            try:
                with urllib.request.urlopen(request, timeout=self.timeout_s) as response:
                    response.read()
            except urllib.error.HTTPError as exc:
                raise RemoteError(f"{self.graph_store} refused the PUT of <{g}>: {exc.code} "
                                  f"{exc.read()[:300]!r}") from exc
            except OSError as exc:
                raise RemoteError(f"cannot reach {self.graph_store}: {exc}") from exc
            self.report.requests += 1
            self.echo(f"  {len(triples):>8} statements into <{g}> (Graph Store Protocol)")

    def _record(self, graphs: Sequence[str]) -> None:
        when = datetime.now(UTC).isoformat(timespec="seconds")
        parts = ", ".join(f"<{g}>" for g in graphs)
        self.update(
            f"INSERT DATA {{ GRAPH <{BUILD_GRAPH}> {{ <{BUILD_GRAPH}> "
            f"<{DCTERMS.identifier}> \"{self.report.content_hash}\" ; "
            f"<{DCTERMS.modified}> \"{when}\"^^<{XSD.dateTime}> ; "
            f"<{DCTERMS.hasPart}> {parts} . }} }}"
        )


def _authorization(url: str, method: str, auth: str, timeout_s: float) -> dict[str, str]:
    """The Authorization header for one request with a body, computed before sending it: a
    server that challenges only after the body was sent (HTTP Digest) would reset the
    connection under a large body. For Digest, a GET without a body fetches the challenge."""
    import base64

    credentials = remote_credentials()
    if not credentials:
        return {}
    user, password = credentials
    if auth != "digest":
        token = base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
        return {"Authorization": f"Basic {token}"}
    try:
        with urllib.request.urlopen(url, timeout=timeout_s):
            return {}  # no challenge: nothing to send
    except urllib.error.HTTPError as exc:
        challenge = exc.headers.get("WWW-Authenticate", "")
        exc.close()
    if not challenge.lower().startswith("digest "):
        return {}
    manager = urllib.request.HTTPPasswordMgrWithDefaultRealm()
    manager.add_password(None, url, user, password)
    handler = urllib.request.HTTPDigestAuthHandler(manager)
    fields = urllib.request.parse_keqv_list(urllib.request.parse_http_list(challenge[7:]))
    header = handler.get_authorization(urllib.request.Request(url, method=method), fields)
    return {"Authorization": f"Digest {header}"} if header else {}


def push(dist: Path, endpoint: str, update_endpoint: str | None = None, **options: object
         ) -> PushReport:
    """Load the build in `dist` into the store behind `endpoint` (see the module docstring).

    Raises:
        RemoteError: the endpoint refused a request, or holds other counts afterwards.
    """
    return Pusher(dist, endpoint, update_endpoint, **options).push()  # type: ignore[arg-type]


def is_pushed(dist: Path, endpoint: str, *, auth: str = "basic") -> bool:
    """True when `endpoint` already holds the build in `dist` (its recorded content hash)."""
    try:
        store = RemoteStore(dist, endpoint, check=False, auth=auth)
        return store.pushed_hash() == store.content_hash()
    except RemoteError:
        return False


def export(dist: Path, out: Path) -> int:
    """Write the build plus its build record as N-Quads, for an engine's own bulk loader
    (Neptune's loader from S3, Virtuoso's ld_dir, GraphDB's importrdf); returns the quads."""
    dist = Path(dist).resolve()
    manifest = read_manifest(dist)
    by_graph = _read_quads(dist)
    build = ox.NamedNode(BUILD_GRAPH)
    count = 0
    with out.open("w", encoding="utf-8") as handle:
        for g, triples in sorted(by_graph.items()):
            name = ox.NamedNode(g)
            for t in triples:
                handle.write(f"{ox.Quad(t.subject, t.predicate, t.object, name)} .\n")
                count += 1
        record: list[tuple[ox.NamedNode, ox.NamedNode | ox.Literal]] = [
            (ox.NamedNode(str(DCTERMS.identifier)), ox.Literal(str(manifest["content_hash"]))),
            *((ox.NamedNode(str(DCTERMS.hasPart)), ox.NamedNode(g)) for g in sorted(by_graph)),
        ]
        for p, o in record:
            handle.write(f"{ox.Quad(build, p, o, build)} .\n")
            count += 1
    return count
