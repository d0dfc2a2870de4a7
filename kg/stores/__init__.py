"""One small store interface over the built dataset, with three implementations:

- `MemoryStore`: rdflib in memory, for small graphs and tests;
- `OxigraphStore`: pyoxigraph, embedded and persistent in a directory, bulk-loaded from dist/ once
  per build (content hash) and reopened read-only without reloading;
- `RemoteStore`: any SPARQL 1.1 endpoint (Virtuoso, Fuseki, GraphDB, Neptune) over the SPARQL
  Protocol, holding a build that `ai45kg push` (kg.push) loaded into it: queries on one
  kept-alive connection per thread (`keepalive`), updates and HTTP Digest through SPARQLWrapper.

A store answers SPARQL queries with a `QueryResult` of rdflib terms, the same on every store; it
never reasons or validates. Query parameters (`bindings`) are bound by rdflib's `initBindings` in
memory; for Oxigraph and remote endpoints each bound variable is replaced in the query's text by
its term, written in SPARQL syntax after validation (`bind_terms`: SEP-0007's substitution, which
is what initBindings does), or, for `SELECT *`, joined as a VALUES block at the top of the
outermost WHERE group (`inject_values`), where every variable of the pattern is in scope, also
with GROUP BY. pyoxigraph's own `substitutions` argument is not used: it accepts only variables
that the query projects.

The checks and limits of a public endpoint (updates, SERVICE, time, rows, memory) are not here:
they are `service.backend.Backend.run`'s, applied before any store sees a query.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .base import (
    DATASET_NQUADS,
    DATASET_TRIG,
    MANIFEST,
    STORE_KINDS,
    Answer,
    QueryResult,
    QuerySyntax,
    QueryType,
    Store,
    StoreError,
    load_built_dataset,
    read_manifest,
)
from .memory import MemoryStore
from .oxigraph import OxigraphStore
from .oxigraph_load import default_store_root, oxigraph_path, prepare_oxigraph
from .remote import BUILD_GRAPH, RemoteError, RemoteStore

__all__ = [
    "BUILD_GRAPH", "DATASET_NQUADS", "DATASET_TRIG", "MANIFEST", "STORE_KINDS", "Answer",
    "MemoryStore", "OxigraphStore", "QueryResult", "QuerySyntax", "QueryType", "RemoteError",
    "RemoteStore", "Store", "StoreError", "default_store_root", "load_built_dataset",
    "open_store", "oxigraph_path", "prepare_oxigraph", "prepare_store", "read_manifest",
]


def open_store(kind: str, dist: Path, **options: Any) -> Store:
    """Open the store named by the STORE setting (`--store`).

    Options: `store_path` (oxigraph: the directory under which stores live, default
    `.oxigraph/` beside dist), `memory_quads` (oxigraph: query an in-memory copy of a build
    of at most this many quads; 0, the default: the store on disk), `endpoint` and
    `timeout_s` (remote).

    Raises:
        ValueError: an unknown kind.
        StoreError: the store cannot serve this build.
    """
    if kind == "memory":
        return MemoryStore(dist)
    if kind == "oxigraph":
        return OxigraphStore(dist, options.get("store_path") or None,
                             memory_quads=int(options.get("memory_quads") or 0))
    if kind == "remote":
        return RemoteStore(dist, str(options.get("endpoint") or ""),
                           timeout_s=float(options.get("timeout_s") or 60.0),
                           auth=str(options.get("auth") or "basic"))
    raise ValueError(f"unknown store {kind!r}; choose one of: {', '.join(STORE_KINDS)}")


def prepare_store(kind: str, dist: Path, **options: Any) -> None:
    """Get a store ready before query workers open it (an Oxigraph store is loaded once here,
    not by every worker)."""
    if kind == "oxigraph":
        prepare_oxigraph(Path(dist), oxigraph_path(dist, options.get("store_path") or None))
