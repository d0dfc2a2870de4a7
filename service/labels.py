"""Labels and links for the terms the service shows, so that no page shows a bare IRI where the
graph has a label (Prez's rule), and every IRI under BASE_IRI links to its local page.

The labels of the whole dataset are fetched with one query and kept per app, keyed by the
dataset's content hash (the dataset of a running app does not change, and one query is cheaper
than one per IRI). They also drive the "did you mean" suggestions of the 404 page.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from flask import current_app, has_request_context, request
from rdflib import BNode, Literal
from rdflib.namespace import XSD
from rdflib.term import Node

from ai45kg.kg.namespaces import GRAPH, GRAPH_IMPORT_PREFIX, PREFIXES

#: label properties, best first; English (or untagged) labels win over other languages
LABEL_QUERY = """
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX foaf: <http://xmlns.com/foaf/0.1/>
PREFIX ai45: <https://w3id.org/ai45/ontology#>
SELECT ?s ?p ?label WHERE {
  VALUES ?p { skos:prefLabel rdfs:label dcterms:title foaf:name ai45:quote }
  ?s ?p ?label .
  FILTER(isIRI(?s) && isLiteral(?label))
}
"""
_LABEL_RANK = {
    "http://www.w3.org/2004/02/skos/core#prefLabel": 0,
    "http://www.w3.org/2000/01/rdf-schema#label": 1,
    "http://purl.org/dc/terms/title": 2,
    "http://xmlns.com/foaf/0.1/name": 3,
    "https://w3id.org/ai45/ontology#quote": 4,  # an evidence node is shown by its quote
}
#: a quote used as a label is cut to this many characters
QUOTE_LABEL_LENGTH = 90
#: how many labels one app keeps (a remote store may hold far more than this small dataset)
MAX_LABELS = 200_000
_EXTENSION_KEY = "ai45kg.views"
T = TypeVar("T")

#: labels of the W3C terms the data uses but does not describe (the labels their own
#: vocabularies give them), so that pages say "type" rather than rdf:type
W3C_LABELS: dict[str, str] = {
    "http://www.w3.org/1999/02/22-rdf-syntax-ns#type": "type",
    "http://www.w3.org/1999/02/22-rdf-syntax-ns#subject": "subject",
    "http://www.w3.org/1999/02/22-rdf-syntax-ns#predicate": "predicate",
    "http://www.w3.org/1999/02/22-rdf-syntax-ns#object": "object",
    "http://www.w3.org/1999/02/22-rdf-syntax-ns#first": "first",
    "http://www.w3.org/1999/02/22-rdf-syntax-ns#rest": "rest",
    "http://www.w3.org/1999/02/22-rdf-syntax-ns#Statement": "Statement",
    "http://www.w3.org/2000/01/rdf-schema#label": "label",
    "http://www.w3.org/2000/01/rdf-schema#comment": "comment",
    "http://www.w3.org/2000/01/rdf-schema#seeAlso": "see also",
    "http://www.w3.org/2000/01/rdf-schema#isDefinedBy": "is defined by",
    "http://www.w3.org/2000/01/rdf-schema#subClassOf": "subclass of",
    "http://www.w3.org/2000/01/rdf-schema#subPropertyOf": "subproperty of",
    "http://www.w3.org/2000/01/rdf-schema#domain": "domain",
    "http://www.w3.org/2000/01/rdf-schema#range": "range",
    "http://www.w3.org/2000/01/rdf-schema#Class": "Class",
    "http://www.w3.org/2002/07/owl#Class": "Class",
    "http://www.w3.org/2002/07/owl#Axiom": "Axiom",
    "http://www.w3.org/2002/07/owl#NamedIndividual": "Named individual",
    "http://www.w3.org/2002/07/owl#ObjectProperty": "Object property",
    "http://www.w3.org/2002/07/owl#DatatypeProperty": "Datatype property",
    "http://www.w3.org/2002/07/owl#AnnotationProperty": "Annotation property",
    "http://www.w3.org/2002/07/owl#Ontology": "Ontology",
    "http://www.w3.org/2002/07/owl#sameAs": "same as",
    "http://www.w3.org/2002/07/owl#equivalentClass": "equivalent class",
    "http://www.w3.org/2002/07/owl#equivalentProperty": "equivalent property",
    "http://www.w3.org/2002/07/owl#inverseOf": "inverse of",
    "http://www.w3.org/2002/07/owl#disjointWith": "disjoint with",
    "http://www.w3.org/2002/07/owl#versionIRI": "version IRI",
    "http://www.w3.org/2002/07/owl#versionInfo": "version info",
    "http://www.w3.org/2002/07/owl#annotatedSource": "annotated source",
    "http://www.w3.org/2002/07/owl#annotatedProperty": "annotated property",
    "http://www.w3.org/2002/07/owl#annotatedTarget": "annotated target",
    "http://www.w3.org/2002/07/owl#deprecated": "deprecated",
    "http://www.w3.org/2004/02/skos/core#altLabel": "alternative label",
    "http://www.w3.org/2004/02/skos/core#prefLabel": "preferred label",
    "http://www.w3.org/2004/02/skos/core#definition": "definition",
    "http://www.w3.org/2004/02/skos/core#scopeNote": "scope note",
    "http://www.w3.org/2004/02/skos/core#notation": "notation",
    "http://www.w3.org/2004/02/skos/core#exactMatch": "has exact match",
    "http://www.w3.org/2004/02/skos/core#closeMatch": "has close match",
    "http://purl.org/dc/terms/title": "title",
    "http://purl.org/dc/terms/description": "description",
    "http://purl.org/dc/terms/creator": "creator",
    "http://purl.org/dc/terms/publisher": "publisher",
    "http://purl.org/dc/terms/license": "license",
    "http://purl.org/dc/terms/created": "created",
    "http://purl.org/dc/terms/date": "date",
    "http://purl.org/dc/terms/issued": "issued",
    "http://purl.org/dc/terms/source": "source",
    "http://purl.org/dc/terms/identifier": "identifier",
    "http://purl.org/dc/terms/subject": "subject",
    "http://purl.org/vocab/vann/preferredNamespacePrefix": "preferred namespace prefix",
    "http://purl.org/vocab/vann/preferredNamespaceUri": "preferred namespace URI",
}

#: short forms for IRIs without a label: the project's prefixes, plus a few for data types
_CURIE_PREFIXES: dict[str, str] = {**PREFIXES, "sd": "http://www.w3.org/ns/sparql-service-description#"}


@dataclass(frozen=True)
class TermView:
    """One RDF term as a template shows it: text to print, where it links, what it is."""

    kind: str  # "iri", "literal", "bnode"
    value: str  # the IRI, the lexical form, or the blank node id
    text: str  # what to print: label, short form, or the literal itself
    href: str | None = None
    labelled: bool = False  # text is a label from the graph
    curie: str | None = None
    lang: str | None = None
    datatype: str | None = None  # short form of the datatype, for literals not plain strings
    local: bool = False  # href is a page of this service

    @property
    def is_iri(self) -> bool:
        return self.kind == "iri"


class Labels:
    """The labels of the dataset's IRIs, and what to show for any term."""

    def __init__(self, labels: dict[str, str], base_iri: str) -> None:
        self._labels = labels
        self.base_iri = base_iri

    def __len__(self) -> int:
        return len(self._labels)

    def get(self, iri: str | Node) -> str | None:
        return self._labels.get(str(iri))

    def items(self) -> list[tuple[str, str]]:
        return list(self._labels.items())

    def text(self, term: Node | str | None) -> str:
        """A label, else a short form, else the IRI itself (for plain-text contexts)."""
        if term is None:
            return ""
        if isinstance(term, Literal):
            return str(term)
        if isinstance(term, BNode):
            return "blank node"
        return self.get(term) or graph_title(str(term)) or curie(str(term)) or str(term)

    def view(self, term: Node | None) -> TermView | None:
        """A TermView of `term` (None for an unbound value)."""
        if term is None:
            return None
        if isinstance(term, Literal):
            dt = None
            if term.datatype is not None and term.datatype != XSD.string:
                dt = curie(str(term.datatype)) or str(term.datatype)
            return TermView("literal", str(term), str(term), lang=term.language, datatype=dt)
        if isinstance(term, BNode):
            return TermView("bnode", str(term), "blank node")
        iri = str(term)
        label = self.get(iri)
        short = curie(iri)
        href = local_path(iri, self.base_iri)
        text = label or graph_title(iri) or short or iri
        return TermView(
            "iri",
            iri,
            text,
            href=href or (iri if iri.startswith(("http://", "https://")) else None),
            labelled=label is not None,
            curie=short,
            local=href is not None,
        )

    def suggest(self, text: str, n: int = 8) -> list[tuple[str, str]]:
        """Resources whose label or IRI looks most like `text`: (IRI, label), best first."""
        # SequenceMatcher is quadratic: a long text (a URL of 8 kB) would take seconds per label
        wanted = _words(text)[:SUGGEST_CHARS]
        if not wanted:
            return []
        scored: list[tuple[float, str, str]] = []
        for iri, label in self._labels.items():
            # resources people look for; evidence records and derivations are bookkeeping
            if not iri.startswith(self.base_iri + "id/") or iri.startswith(
                (self.base_iri + "id/evidence/", self.base_iri + "id/inference/")
            ):
                continue
            candidates = [_words(label), _words(iri[len(self.base_iri) + 3 :])]
            score = max(
                difflib.SequenceMatcher(None, wanted, c).ratio() for c in candidates if c
            )
            if wanted in candidates[0] or wanted in candidates[1]:
                score += 1.0
            scored.append((score, label, iri))
        scored.sort(key=lambda t: (-t[0], t[1]))
        return [(iri, label) for _, label, iri in scored[:n]]


#: how much of a text `Labels.suggest` compares (longer names are typing errors or attacks)
SUGGEST_CHARS = 100


def _words(text: str) -> str:
    return " ".join(re.findall(r"[a-z0-9]+", text.lower()))


def curie(iri: str) -> str | None:
    """`ai45:Layer` for https://w3id.org/ai45/ontology#Layer (longest namespace wins)."""
    best: tuple[int, str] | None = None
    for prefix, ns in _CURIE_PREFIXES.items():
        if iri.startswith(ns) and len(iri) > len(ns):
            if best is None or len(ns) > best[0]:
                best = (len(ns), f"{prefix}:{iri[len(ns):]}")
    return best[1] if best else None


#: what each named graph holds (DESIGN.md); import graphs get a generic description
GRAPH_DESCRIPTIONS: dict[str, str] = {
    str(GRAPH["ontology"]): "The ontology (TBox): classes, properties and their axioms.",
    str(GRAPH["framework"]): "Curated facts of the paper's framework, each with its evidence "
    "(quote, section, paper version, stated or interpreted).",
    str(GRAPH["bibliography"]): "The paper, its two versions, their reference lists, the cited "
    "works and the in-text citations.",
    str(GRAPH["inferred"]): "Facts derived by reasoning from the stated graphs, each annotated "
    "with its rule and premises; never mixed with stated facts.",
}


def graph_description(iri: str) -> str:
    """What a named graph holds, in a sentence."""
    if iri in GRAPH_DESCRIPTIONS:
        return GRAPH_DESCRIPTIONS[iri]
    if iri.startswith(str(GRAPH) + "import/"):
        return "Facts added by one analyst import, kept apart from the paper's own graphs."
    return "A named graph of the dataset."


def graph_title(iri: str) -> str | None:
    """A readable name for one of the dataset's named graphs (they carry no label)."""
    base = str(GRAPH)
    if iri.startswith(GRAPH_IMPORT_PREFIX):
        return f"import graph “{iri[len(GRAPH_IMPORT_PREFIX):]}”"
    if iri.startswith(base) and "/" not in iri[len(base) :]:
        return f"{iri[len(base):].capitalize()} graph"
    return None


def local_path(iri: str, base_iri: str) -> str | None:
    """The path of this service that serves `iri`, or None when it is not under BASE_IRI."""
    if not iri.startswith(base_iri):
        return None
    rest = iri[len(base_iri) :]
    if not (rest == "" or rest.startswith(("id/", "ontology", "graph/", ".well-known/"))):
        return None
    root = request.script_root if has_request_context() else ""
    return f"{root}/{rest}"


def base_iri() -> str:
    """The configured BASE_IRI, always ending in a slash."""
    base = str(current_app.config.get("BASE_IRI") or "https://w3id.org/ai45/")
    return base if base.endswith("/") else base + "/"


def cached(name: str, build: Callable[[], T]) -> T:
    """`build()`, computed once per app, dataset and base: for views of the data that only
    change when the dataset does (labels, the ontology's documentation).

    The cache lives on the app (`app.extensions`), never in the module, and holds the values of
    one dataset only."""
    backend = current_app.extensions["ai45kg"]
    root = request.script_root if has_request_context() else ""
    version = f"{backend.content_hash}|{base_iri()}|{root}"
    cache: dict[str, Any] = current_app.extensions.setdefault(_EXTENSION_KEY, {})
    if cache.get("version") != version:
        cache.clear()
        cache["version"] = version
    if name not in cache:
        cache[name] = build()
    return cache[name]  # type: ignore[no-any-return]


def get_labels() -> Labels:
    """The labels of the current app's dataset (fetched once per content hash)."""
    backend = current_app.extensions["ai45kg"]
    return cached("labels", lambda: Labels(_fetch(backend), base_iri()))


def _fetch(backend: Any) -> dict[str, str]:
    outcome = backend.run(LABEL_QUERY, max_rows=MAX_LABELS)
    best: dict[str, tuple[int, str]] = {}
    for s, p, label in outcome.result.rows:
        if not isinstance(label, Literal):
            continue
        lang = (label.language or "").lower()
        lang_rank = 0 if lang in ("", "en") or lang.startswith("en-") else 1
        rank = lang_rank * 10 + _LABEL_RANK.get(str(p), 9)
        text = " ".join(str(label).split())
        if rank % 10 == 4:
            if len(text) > QUOTE_LABEL_LENGTH:
                text = text[: QUOTE_LABEL_LENGTH - 1].rstrip() + "…"
            text = f"“{text}”"
        current = best.get(str(s))
        if current is None or (rank, text) < current:
            best[str(s)] = (rank, text)
    labels = dict(W3C_LABELS)
    labels.update({iri: text for iri, (_, text) in best.items()})
    return labels


def results_table(
    outcome: Any, labels: Labels, *, max_html_rows: int | None = None
) -> dict[str, Any]:
    """A query outcome as rows of TermViews, for the HTML results table (_table.html).

    SELECT gives its variables as columns; CONSTRUCT and DESCRIBE give subject, predicate and
    object; ASK gives its answer. `max_html_rows` caps what a page renders (downloads have all).
    """
    result = outcome.result
    table: dict[str, Any] = {
        "type": result.type,
        "columns": [],
        "rows": [],
        "count": 0,
        "boolean": result.boolean,
        "truncated": bool(outcome.truncated),
        "elapsed_ms": outcome.elapsed_ms,
        "cut": False,
    }
    if result.type == "ASK":
        return table
    if result.type == "SELECT":
        table["columns"] = list(result.vars)
        raw: list[tuple[Node | None, ...]] = list(result.rows)
    else:
        table["columns"] = ["subject", "predicate", "object"]
        triples = list(result.graph) if result.graph is not None else []
        raw = [tuple(t) for t in sorted(triples, key=lambda t: (t[0].n3(), t[1].n3(), t[2].n3()))]
    table["count"] = len(raw)
    if max_html_rows is not None and len(raw) > max_html_rows:
        raw = raw[:max_html_rows]
        table["cut"] = True
    table["rows"] = [[labels.view(t) for t in row] for row in raw]
    return table
