"""What a query is about: the paper alone, or the paper with the analysts' imports.

Every named query and report can be limited to one scope by running it with the scope's graphs
as the SPARQL dataset (the protocol's default-graph-uri and named-graph-uri), so the queries
themselves never change.
"""

from __future__ import annotations

from collections.abc import Iterable

from rdflib import URIRef

from .load import import_files
from .namespaces import (
    GRAPH_BIBLIOGRAPHY,
    GRAPH_FRAMEWORK,
    GRAPH_IMPORT_PREFIX,
    GRAPH_INFERRED,
    GRAPH_ONTOLOGY,
    graph_for_import,
)

SCOPES = ("paper", "all")
#: the graphs of the paper alone: the ontology, the framework, the bibliography and what the
#: reasoner derived from them
PAPER_GRAPHS = (GRAPH_ONTOLOGY, GRAPH_FRAMEWORK, GRAPH_BIBLIOGRAPHY, GRAPH_INFERRED)


def import_graphs(graph_names: Iterable[str] | None = None) -> list[URIRef]:
    """The import graphs among `graph_names` (a built dataset's graphs), or, without it, those
    of the imports stored in kg.paths.imports_dir()."""
    if graph_names is None:
        return [graph_for_import(p.stem) for p in import_files()]
    return sorted(URIRef(str(g)) for g in graph_names if str(g).startswith(GRAPH_IMPORT_PREFIX))


def scope_graphs(scope: str, graph_names: Iterable[str] | None = None) -> list[URIRef]:
    """The IRIs of the graphs of a scope: "paper" (the paper alone) or "all" (the paper and
    every import). `graph_names`, when given, are the graphs of the dataset being queried.

    Raises:
        ValueError: an unknown scope.
    """
    if scope not in SCOPES:
        raise ValueError(f"unknown scope {scope!r}: one of {', '.join(SCOPES)}")
    paper = list(PAPER_GRAPHS)
    if graph_names is not None:
        present = {str(g) for g in graph_names}
        paper = [g for g in paper if str(g) in present]
    if scope == "paper":
        return paper
    return paper + import_graphs(graph_names)
