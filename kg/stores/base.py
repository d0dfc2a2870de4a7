"""The store interface: what every store answers (`QueryResult`) and how it is asked (`Store`),
with the build's files it reads."""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal as TypingLiteral

from rdflib import Dataset, Graph, URIRef
from rdflib.term import Identifier, Node

from ..load import bind_prefixes

QueryType = TypingLiteral["SELECT", "ASK", "CONSTRUCT", "DESCRIBE"]

#: file names of the build in dist/
DATASET_TRIG = "ai45kg.trig"
DATASET_NQUADS = "ai45kg.nq"
MANIFEST = "manifest.json"
#: the store kinds `open_store` knows (the STORE setting, `--store`)
STORE_KINDS = ("memory", "oxigraph", "remote")


class StoreError(Exception):
    """A store cannot serve: it does not open, or holds another build than dist/ (the message
    says what to do)."""


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

    #: True when the store's engine could reach the network by itself (SERVICE): the worker
    #: process then either cuts the process off the network or the store refuses SERVICE again
    federates: bool = False
    #: set by the query worker when the process cannot open a connection at all
    network_isolated: bool = False


def read_manifest(dist: Path) -> dict:
    """The build manifest written by `kg.build` (content hash, counts, sources digest)."""
    return json.loads((dist / MANIFEST).read_text(encoding="utf-8"))


def load_built_dataset(dist: Path) -> Dataset:
    """Parse the built TriG into a Dataset whose default graph is the union of its named graphs."""
    ds = Dataset(default_union=True)
    bind_prefixes(ds)
    ds.parse(dist / DATASET_TRIG, format="trig")
    return ds


def graph_result(kind: str, triples: Iterable[tuple[Node, Node, Node]], max_rows: int | None
                  ) -> QueryResult:
    graph = Graph()
    bind_prefixes(graph)
    truncated = False
    for triple in triples:
        if triple in graph:
            continue
        if max_rows is not None and len(graph) >= max_rows:
            truncated = True
            break
        graph.add(triple)
    return QueryResult(kind, graph=graph, truncated=truncated)  # type: ignore[arg-type]
