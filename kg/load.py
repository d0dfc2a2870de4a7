"""Load the project's source files into an rdflib Dataset with the named graphs of DESIGN.md."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path

from rdflib import Dataset, Graph, URIRef

from . import paths
from .namespaces import (
    GRAPH_BIBLIOGRAPHY,
    GRAPH_FRAMEWORK,
    GRAPH_ONTOLOGY,
    PREFIXES,
    graph_for_import,
)


class SourceError(ValueError):
    """A source file could not be parsed; the message names the file and the line."""


def import_files() -> list[Path]:
    """The analyst imports (`ai45kg import`): one Turtle file per import, `<name>.ttl` in
    kg.paths.imports_dir(), each loaded into its own named graph."""
    directory = paths.imports_dir()
    return sorted(directory.glob("*.ttl")) if directory.is_dir() else []


def source_files() -> dict[URIRef, list[Path]]:
    """The Turtle files that make up each stated named graph, in load order."""
    return {
        GRAPH_ONTOLOGY: [paths.ONTOLOGY_FILE],
        GRAPH_FRAMEWORK: [paths.FRAMEWORK_FILE],
        GRAPH_BIBLIOGRAPHY: [paths.PAPER_FILE, paths.BIBLIOGRAPHY_FILE],
        **{graph_for_import(path.stem): [path] for path in import_files()},
    }


def all_source_paths() -> list[Path]:
    """Every project file whose change makes the build out of date (data, shapes, ontology,
    the search vocabulary of the suggestions' profiles);
    the analyst imports are not listed (they may live outside the project) but are part of
    `sources_digest()`."""
    imported = set(import_files())
    files = [p for group in source_files().values() for p in group if p not in imported]
    return sorted({*files, paths.SHAPES_FILE, paths.VOCABULARY_FILE})


def sources_digest(files: Iterable[Path] | None = None) -> str:
    """SHA-256 over the names and bytes of the source files: changes when any source changes."""
    h = hashlib.sha256()
    for path in sorted(files if files is not None else [*all_source_paths(), *import_files()]):
        h.update(path.name.encode())
        h.update(b"\0")
        h.update(path.read_bytes() if path.exists() else b"<missing>")
        h.update(b"\0")
    return h.hexdigest()


def bind_prefixes(graph: Graph) -> None:
    """Bind the project's prefixes so serialisations are readable."""
    for prefix, ns in PREFIXES.items():
        graph.bind(prefix, ns, override=True, replace=True)


def parse_turtle(path: Path, into: Graph) -> None:
    """Parse one local Turtle file into a graph, turning syntax errors into a SourceError."""
    try:
        into.parse(path, format="turtle")
    except Exception as exc:  # rdflib raises several unrelated exception types
        raise SourceError(f"{path}: cannot parse Turtle: {exc}") from exc


def load_sources() -> Dataset:
    """The stated graphs (ontology, framework, bibliography) as a Dataset whose default graph is
    the union of its named graphs."""
    ds = Dataset(default_union=True)
    bind_prefixes(ds)
    for graph_iri, files in source_files().items():
        g = ds.graph(graph_iri)
        for path in files:
            if not path.exists():
                raise SourceError(f"{path}: source file is missing")
            parse_turtle(path, g)
    return ds
