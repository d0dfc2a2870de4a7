"""Validate the data against the SHACL shapes in ontology/shapes.ttl (pyshacl)."""

from __future__ import annotations

from dataclasses import dataclass, field

from pyshacl import validate
from rdflib import Dataset, Graph, URIRef
from rdflib.namespace import RDF
from rdflib.term import Node

from . import paths
from .load import parse_turtle
from .namespaces import GRAPH_ONTOLOGY, SH


@dataclass(frozen=True)
class Violation:
    """One SHACL result, in the terms a person fixing the data needs."""

    focus: str
    path: str
    message: str
    severity: str
    shape: str

    def __str__(self) -> str:
        return f"{self.severity}: {self.focus} {self.path}: {self.message}"


@dataclass
class ValidationResult:
    conforms: bool
    violations: list[Violation] = field(default_factory=list)


class ValidationFailed(Exception):
    """The data does not conform to the shapes."""

    def __init__(self, result: ValidationResult) -> None:
        self.result = result
        lines = "\n".join(f"  {v}" for v in result.violations[:50])
        more = len(result.violations) - 50
        super().__init__(
            f"{len(result.violations)} SHACL violation(s):\n{lines}"
            + (f"\n  ... and {more} more" if more > 0 else "")
        )


def load_shapes() -> Graph:
    g = Graph()
    parse_turtle(paths.SHAPES_FILE, g)
    return g


def validate_graph(data: Graph, ontology: Graph | None = None) -> ValidationResult:
    """Validate one graph (the union of the data) against the project's shapes."""
    conforms, report, _ = validate(
        data,
        shacl_graph=load_shapes(),
        ont_graph=ontology,
        inference="none",
        advanced=True,
        allow_warnings=True,
    )
    return ValidationResult(bool(conforms), _violations(report))


def validate_dataset(ds: Dataset) -> ValidationResult:
    """Validate the union of the data graphs (stated and inferred); the ontology graph is given
    to pyshacl as the ontology so class hierarchies are understood."""
    onto = ds.graph(GRAPH_ONTOLOGY)
    data = Graph()
    for g in ds.graphs():
        if g.identifier != GRAPH_ONTOLOGY and isinstance(g.identifier, URIRef):
            for triple in g:
                data.add(triple)
    return validate_graph(data, onto)


def _violations(report: Graph) -> list[Violation]:
    out = []
    def one(result: Node, p: URIRef) -> str:
        v = report.value(result, p)
        return "" if v is None else str(v)

    for r in report.subjects(RDF.type, SH.ValidationResult):
        out.append(
            Violation(
                focus=one(r, SH.focusNode),
                path=one(r, SH.resultPath),
                message=one(r, SH.resultMessage),
                severity=one(r, SH.resultSeverity).rsplit("#", 1)[-1],
                shape=one(r, SH.sourceShape),
            )
        )
    return sorted(out, key=lambda v: (v.focus, v.path, v.message))
