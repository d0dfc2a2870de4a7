"""The roadmap's concepts and their names: `load_concept_labels` reads them from framework.ttl
(for the paper importer's citation matcher and for the index); `ConceptIndex` finds a concept by
the names analysts write: a label or alternative label
("RLHF", "machine unlearning"), a slug ("technique/machine-unlearning", "machine-unlearning"), a
prefixed name ("technique:rlhf", "ai45r:technique/rlhf") or the full IRI, case-insensitively.

Names are compared through `kg.text.normalise_title` (case, accents, dashes and punctuation
do not matter). An unknown name is refused with the closest known names (difflib); a name of the
wrong kind for its column says which column it belongs in.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, RDFS, SKOS

from . import paths
from .load import parse_turtle
from .namespaces import AI45, AI45R, PREFIXES
from .text import normalise_title


def load_concept_labels(
    framework_file: Path | None = None, ontology_file: Path | None = None
) -> dict[URIRef, list[str]]:
    """The names (rdfs:label, skos:prefLabel, skos:altLabel, skos:hiddenLabel) of every framework
    concept in framework.ttl: resources typed with ai45:FrameworkConcept or one of its subclasses.

    Raises:
        SourceError: the framework file cannot be parsed (missing is not an error: no labels).
    """
    framework_file = framework_file or paths.FRAMEWORK_FILE
    ontology_file = ontology_file or paths.ONTOLOGY_FILE
    if not framework_file.exists():
        return {}
    data, classes = Graph(), Graph()
    parse_turtle(framework_file, data)
    if ontology_file.exists():
        parse_turtle(ontology_file, classes)
    classes += data.triples((None, RDFS.subClassOf, None))
    concept_classes = set(classes.transitive_subjects(RDFS.subClassOf, AI45.FrameworkConcept))
    concept_classes.add(SKOS.Concept)
    labels: dict[URIRef, list[str]] = {}
    typed = {s for s, o in data.subject_objects(RDF.type) if o in concept_classes}
    for subject in sorted((s for s in typed if isinstance(s, URIRef)), key=str):
        found = {
            str(o)
            for p in (RDFS.label, SKOS.prefLabel, SKOS.altLabel, SKOS.hiddenLabel)
            for o in data.objects(subject, p)
            if isinstance(o, Literal)
        }
        if found:
            labels[subject] = sorted(found)
    return labels


#: the kind of a concept is the first segment of its IRI after /id/; how messages name it
KIND_NAMES: dict[str, str] = {
    "technique": "technique", "level": "trustworthiness level", "layer": "layer",
    "governance": "governance measure", "threat": "threat", "practice": "current safety practice",
    "model": "representative model", "risk": "red-line risk", "line": "safety line",
    "law": "principle", "state": "development state", "initiative": "external initiative",
    "framework": "framework", "rung": "rung of the Ladder of Causation",
    "dimension": "trustworthiness dimension",
}


class ConceptError(ValueError):
    """A name that is not (exactly one) concept of the kinds asked for."""


@dataclass(frozen=True)
class Concept:
    iri: URIRef
    kind: str
    label: str


def kind_of(iri: str) -> str:
    """"technique" for https://w3id.org/ai45/id/technique/rlhf."""
    return iri.removeprefix(str(AI45R)).split("/", 1)[0]


class ConceptIndex:
    """The framework concepts and every name they go by."""

    def __init__(self, labels: Mapping[URIRef, Sequence[str]], display: Mapping[URIRef, str]):
        self.concepts: dict[URIRef, Concept] = {
            iri: Concept(iri, kind_of(str(iri)), display.get(iri) or sorted(names)[0])
            for iri, names in labels.items()
        }
        self._by_key: dict[str, set[URIRef]] = {}
        self._by_iri: dict[str, URIRef] = {}
        for iri, names in labels.items():
            local = str(iri).removeprefix(str(AI45R))  # technique/machine-unlearning
            kind, _, slug = local.partition("/")
            self._by_iri[str(iri).lower()] = iri
            for spelled in (local, f"{kind}:{slug}", f"ai45r:{local}"):
                self._by_iri[spelled.lower()] = iri
            for name in [*names, slug]:
                key = normalise_title(name)
                if key:
                    self._by_key.setdefault(key, set()).add(iri)

    @classmethod
    def load(cls, framework_file: Path | None = None) -> ConceptIndex:
        """The concepts of framework.ttl (resources typed with a subclass of
        ai45:FrameworkConcept), with their labels and alternative labels."""
        framework_file = framework_file or paths.FRAMEWORK_FILE
        labels = load_concept_labels(framework_file)
        graph = Graph()
        parse_turtle(framework_file, graph)
        display = {
            s: str(o) for s, o in graph.subject_objects(RDFS.label)
            if isinstance(s, URIRef) and isinstance(o, Literal) and s in labels
        }
        return cls(labels, display)

    def of_kinds(self, kinds: Iterable[str] | None) -> list[Concept]:
        wanted = set(kinds) if kinds is not None else None
        return sorted((c for c in self.concepts.values() if wanted is None or c.kind in wanted),
                      key=lambda c: (c.kind, c.label.lower()))

    def resolve(self, name: str, kinds: Iterable[str] | None = None) -> Concept:
        """The one concept `name` refers to, of one of `kinds` (None: any kind).

        Raises:
            ConceptError: unknown (with the closest names), ambiguous, or of another kind.
        """
        kinds = list(kinds) if kinds is not None else None
        what = " or ".join(KIND_NAMES.get(k, k) for k in kinds) if kinds else "concept"
        raw = name.strip()
        if not raw:
            raise ConceptError(f"empty {what} name")
        found: set[URIRef] = set()
        lowered = raw.lower().strip("<>")
        if lowered in self._by_iri:
            found = {self._by_iri[lowered]}
        else:
            prefix, sep, local = lowered.partition(":")
            if sep and prefix in PREFIXES and not local.startswith("//"):
                expanded = (PREFIXES[prefix] + local).lower()
                if expanded in self._by_iri:
                    found = {self._by_iri[expanded]}
            if not found:
                found = set(self._by_key.get(normalise_title(raw), set()))
        if not found:
            raise ConceptError(f"unknown {what} {raw!r}; {self._suggest(raw, kinds)}")
        fitting = {iri for iri in found if kinds is None or self.concepts[iri].kind in kinds}
        if not fitting:
            other = [self.concepts[i] for i in sorted(found)]
            c = other[0]
            raise ConceptError(
                f"{raw!r} is the {KIND_NAMES.get(c.kind, c.kind)} {c.label!r}, not a {what}"
                + (f" (put it in the {column_for(c.kind)} column)" if column_for(c.kind) else "")
            )
        if len(fitting) > 1:
            names = ", ".join(f"{self.concepts[i].label} ({i.removeprefix(str(AI45R))})"
                              for i in sorted(fitting))
            raise ConceptError(f"{raw!r} names more than one {what}: {names}; write the slug")
        return self.concepts[fitting.pop()]

    def _suggest(self, raw: str, kinds: Sequence[str] | None) -> str:
        candidates = self.of_kinds(kinds)
        names: dict[str, str] = {}
        for c in candidates:
            names.setdefault(normalise_title(c.label), c.label)
        for key, iris in self._by_key.items():
            for iri in iris:
                if iri in self.concepts and (kinds is None or self.concepts[iri].kind in kinds):
                    names.setdefault(key, self.concepts[iri].label)
        # an IRI, slug or prefixed name is compared by its last segment
        key = normalise_title(re.split(r"[/:#]", raw.strip("<> "))[-1])
        close = difflib.get_close_matches(key, list(names), n=5, cutoff=0.6)
        labels = list(dict.fromkeys(names[k] for k in close))[:3]
        if labels:
            return "did you mean " + " or ".join(repr(label) for label in labels) + "?"
        known = [c.label for c in candidates]
        shown = ", ".join(known[:20]) + (", ..." if len(known) > 20 else "")
        return f"known: {shown}"


#: the CSV column each kind of concept goes in
_COLUMNS = {"technique": "techniques", "level": "levels", "governance": "governance measures",
            "layer": "layers"}


def column_for(kind: str) -> str:
    return _COLUMNS.get(kind, "concepts")
