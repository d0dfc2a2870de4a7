"""One small store interface over the built dataset (in-memory rdflib today; Oxigraph and remote
SPARQL endpoints implement the same interface).

A store answers SPARQL queries with a `QueryResult`; it never reasons or validates.
"""

from __future__ import annotations

import json
import re
import warnings
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import rdflib.plugins.sparql
from rdflib import Dataset, Graph, URIRef, Variable
from rdflib.namespace import RDFS, SKOS
from rdflib.plugins.sparql.algebra import translateQuery
from rdflib.plugins.sparql.evaluate import evalQuery
from rdflib.plugins.sparql.parser import parseQuery
from rdflib.plugins.sparql.parserutils import CompValue
from rdflib.plugins.sparql.sparql import Query
from rdflib.term import Identifier, Node

from .load import bind_prefixes

QueryType = Literal["SELECT", "ASK", "CONSTRUCT", "DESCRIBE"]

#: file names of the build in dist/
DATASET_TRIG = "ai45kg.trig"
MANIFEST = "manifest.json"


@dataclass
class QueryResult:
    """The answer to one query, whatever store produced it."""

    type: QueryType
    vars: list[str] = field(default_factory=list)
    rows: list[tuple[Node | None, ...]] = field(default_factory=list)
    boolean: bool | None = None
    graph: Graph | None = None
    #: the store stopped at `max_rows` rows (or triples) and there were more
    truncated: bool = False


class Store(ABC):
    """What the service needs from a store."""

    name: str = "abstract"

    @abstractmethod
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
        """Evaluate a read-only query (already checked by the caller) and return its result.

        `default_graph_uris` / `named_graph_uris`, when either is given, replace the query's own
        FROM / FROM NAMED (SPARQL 1.1 Protocol); they name graphs of the dataset. A store may
        stop after `max_rows` rows (or triples) and then sets `truncated`.
        """

    @abstractmethod
    def graph_names(self) -> list[URIRef]:
        """The IRIs of the dataset's named graphs."""

    @abstractmethod
    def content_hash(self) -> str:
        """A digest of the dataset's content; changes whenever the data changes."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release resources."""


def read_manifest(dist: Path) -> dict:
    """The build manifest written by `kg.build` (content hash, counts, sources digest)."""
    return json.loads((dist / MANIFEST).read_text(encoding="utf-8"))


def load_built_dataset(dist: Path) -> Dataset:
    """Parse the built TriG into a Dataset whose default graph is the union of its named graphs."""
    ds = Dataset(default_union=True)
    bind_prefixes(ds)
    ds.parse(dist / DATASET_TRIG, format="trig")
    return ds


def harden_rdflib() -> None:
    """Make rdflib's SPARQL engine safe for untrusted queries in this process: never fetch
    FROM / FROM NAMED IRIs from the web, and keep the default graph the union of the named
    graphs that the queried Dataset decides (`Dataset(default_union=...)`)."""
    rdflib.plugins.sparql.SPARQL_LOAD_GRAPHS = False
    rdflib.plugins.sparql.SPARQL_DEFAULT_GRAPH_UNION = True


def prepare_query(sparql: str, base: str | None = None) -> Query:
    """Parse and translate a query for rdflib, working around rdflib's known faults.

    `CONSTRUCT WHERE { ... }` followed by a solution modifier (LIMIT, OFFSET, ORDER BY) has no
    template in rdflib's algebra and fails (rdflib issue #1785); it is rewritten here to the long
    form `CONSTRUCT { ... } WHERE { ... }`, which means the same.
    """
    parsed = parseQuery(sparql)
    query = translateQuery(parsed, base=base)
    algebra = query.algebra
    if algebra.name == "SelectQuery" and "projection" not in parsed[1]:
        # SELECT *: rdflib collects the variables in a set; give them in the order the query
        # first mentions them, as users (and the CSV header) expect
        algebra["PV"] = sorted(algebra["PV"], key=lambda v: _first_mention(sparql, str(v)))
    if algebra.name == "ConstructQuery" and algebra["template"] is None:
        part = algebra["p"]
        while isinstance(part, CompValue) and part.name != "BGP":
            part = part["p"] if "p" in part else None
        if isinstance(part, CompValue):
            algebra["template"] = list(part["triples"])
    return query


def _first_mention(sparql: str, name: str) -> int:
    pattern = r"[?$]" + re.escape(name) + r"(?![\w\u00b7\u0300-\u036f\u203f-\u2040])"
    found = re.search(pattern, sparql)
    return found.start() if found else len(sparql)


class MemoryStore(Store):
    """The built dataset held in memory by rdflib: the embedded default for small graphs.

    Its default graph is the union of the named graphs. When a request selects graphs (FROM,
    FROM NAMED, or the protocol's default-graph-uri / named-graph-uri) the query runs against a
    view holding copies of just those graphs; the last few views are kept, since the same
    selections tend to come back.
    """

    name = "memory"
    VIEW_CACHE = 8

    def __init__(self, dist: Path) -> None:
        harden_rdflib()
        self.dist = dist
        self.dataset = load_built_dataset(dist)
        self._hash = read_manifest(dist)["content_hash"]
        self._views: dict[tuple[tuple[str, ...], tuple[str, ...]], Dataset] = {}

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
        query = prepare_query(sparql, base)
        if default_graph_uris is not None or named_graph_uris is not None:
            target = self.view(default_graph_uris or [], named_graph_uris or [])
        elif "datasetClause" in query.algebra and query.algebra["datasetClause"]:
            clause = query.algebra["datasetClause"]
            target = self.view(
                [str(d["default"]) for d in clause if "default" in d],
                [str(d["named"]) for d in clause if "named" in d],
            )
        else:
            target = self.dataset
        # the dataset is chosen above; rdflib must neither copy nor fetch FROM graphs itself
        query.algebra["datasetClause"] = None
        init = {str(k): v for k, v in (bindings or {}).items()}
        with warnings.catch_warnings():
            # rdflib's evaluator calls its own deprecated Dataset API (contexts()); not ours
            warnings.filterwarnings("ignore", category=DeprecationWarning, module="rdflib")
            return self._evaluate(query, target, init, max_rows)

    def _evaluate(
        self, query: Query, target: Dataset, init: dict[str, Identifier],
        max_rows: int | None,
    ) -> QueryResult:
        answer = evalQuery(target, query, init)
        kind = query.algebra.name.removesuffix("Query").upper()
        if kind == "SELECT":
            names = [str(v) for v in query.algebra["PV"]]
            rows: list[tuple[Node | None, ...]] = []
            truncated = False
            for solution in answer["bindings"]:
                if max_rows is not None and len(rows) >= max_rows:
                    truncated = True
                    break
                rows.append(tuple(solution.get(Variable(n)) for n in names))
            return QueryResult("SELECT", vars=names, rows=rows, truncated=truncated)
        if kind == "ASK":
            return QueryResult("ASK", boolean=bool(answer["askAnswer"]))
        source: Graph = answer["graph"]
        if kind == "DESCRIBE":
            source = self._with_labels(source, target)
        graph = Graph()
        bind_prefixes(graph)
        truncated = False
        for triple in source:
            if max_rows is not None and len(graph) >= max_rows:
                truncated = True
                break
            graph.add(triple)
        return QueryResult(kind, graph=graph, truncated=truncated)  # type: ignore[arg-type]

    def view(self, default: Sequence[str], named: Sequence[str]) -> Dataset:
        """A Dataset whose default graph merges `default` and whose named graphs are `named`."""
        key = (tuple(sorted(set(default))), tuple(sorted(set(named))))
        if key in self._views:
            return self._views[key]
        view = Dataset(default_union=False)
        bind_prefixes(view)
        default_graph = view.default_context
        for iri in key[0]:
            default_graph += self.dataset.graph(URIRef(iri))
        for iri in key[1]:
            named_graph = view.graph(URIRef(iri))
            named_graph += self.dataset.graph(URIRef(iri))
        if len(self._views) >= self.VIEW_CACHE:
            self._views.pop(next(iter(self._views)))
        self._views[key] = view
        return view

    @staticmethod
    def _with_labels(description: Graph, source: Graph) -> Graph:
        """A concise bounded description plus the labels of the resources it links to, so that
        a client can show every IRI by name."""
        linked = {o for o in description.objects() if isinstance(o, URIRef)}
        for node in linked:
            for prop in (RDFS.label, SKOS.prefLabel):
                for label in source.objects(node, prop):
                    description.add((node, prop, label))
        return description

    def graph_names(self) -> list[URIRef]:
        return sorted(
            g.identifier for g in self.dataset.graphs() if isinstance(g.identifier, URIRef)
            and str(g.identifier) != "urn:x-rdflib:default"
        )

    def content_hash(self) -> str:
        return self._hash


def open_store(kind: str, dist: Path, **options: object) -> Store:
    """Open the store named on the command line (`--store`)."""
    if kind == "memory":
        return MemoryStore(dist)
    raise ValueError(f"unknown store {kind!r}; choose one of: memory")
