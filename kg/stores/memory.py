"""`MemoryStore`: the built dataset held in memory by rdflib, for small graphs and tests."""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path

import rdflib.plugins.sparql
from pyparsing import ParseBaseException
from rdflib import Dataset, Graph, URIRef, Variable
from rdflib.namespace import RDFS, SKOS
from rdflib.plugins.sparql.evaluate import evalQuery
from rdflib.plugins.sparql.parserutils import CompValue
from rdflib.plugins.sparql.sparql import Query
from rdflib.term import Identifier, Node

from ..load import bind_prefixes
from ..sparqltext import prepare_query
from .base import QueryResult, QuerySyntax, Store, load_built_dataset, read_manifest


def harden_rdflib() -> None:
    """Make rdflib's SPARQL engine safe for untrusted queries in this process: never fetch
    FROM / FROM NAMED IRIs from the web, and keep the default graph the union of the named
    graphs that the queried Dataset decides (`Dataset(default_union=...)`)."""
    rdflib.plugins.sparql.SPARQL_LOAD_GRAPHS = False
    rdflib.plugins.sparql.SPARQL_DEFAULT_GRAPH_UNION = True



def _grouped(query: Query) -> bool:
    """True when the query's top level has an explicit GROUP BY."""
    part = query.algebra
    while isinstance(part, CompValue):
        if part.name == "Group":
            return part.get("expr") is not None
        if part.name in ("AggregateJoin", "Project", "Extend", "Filter", "ToMultiSet",
                         "OrderBy", "Slice", "Distinct", "Reduced", "SelectQuery"):
            part = part.get("p")
            continue
        return False
    return False



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
        try:
            query = prepare_query(sparql, base)
        except ParseBaseException as exc:
            raise QuerySyntax(exc.msg, exc.lineno, exc.col,
                              (exc.line or "")[exc.col - 1:]) from exc
        except RecursionError as exc:
            raise QuerySyntax(
                "the query nests too deep for the in-memory engine's parser (rdflib); write "
                "it flatter") from exc
        except Exception as exc:  # rdflib reports semantic errors (scoping, grouping) this way
            raise QuerySyntax(str(exc) or type(exc).__name__) from exc
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
            if len(rows) == 1 and all(t is None for t in rows[0]) and _grouped(query):
                # rdflib makes one empty group of no solutions even with GROUP BY, where
                # SPARQL 1.1 (18.5) has no group and so no row (its own Result hides it too)
                rows = []
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
