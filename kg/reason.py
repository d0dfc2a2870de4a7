"""Derive the inferred graph: targeted OWL 2 RL rules for exactly the axioms the ontology uses.

Full OWL 2 RL closure (owlrl) costs seconds at this size and tens of seconds at 100k triples, and
derives mostly trivia; instead each rule below mirrors one kind of axiom in ontology/ai45.ttl
(subclass, subproperty, inverse, two-step property chain) plus the domain rule of the Matrix:
a technique supports a level when the level relies on the technique's layer to a degree above
none.  Every inferred triple gets an owl:Axiom annotation naming its rule and its premises, so
"why is this here?" has an answer in SPARQL.  Inferred facts live only in the inferred graph.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator

from rdflib import Dataset, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.graph import ReadOnlyGraphAggregate
from rdflib.namespace import OWL, RDF, RDFS, SKOS
from rdflib.term import Node

from .load import bind_prefixes
from .namespaces import (
    AI45,
    AI45R,
    GRAPH_BIBLIOGRAPHY,
    GRAPH_FRAMEWORK,
    GRAPH_INFERRED,
    GRAPH_ONTOLOGY,
)

Triple = tuple[Node, Node, Node]
#: a derivation: the inferred triple, its premises (triples) and premise nodes (resources)
Derivation = tuple[Triple, list[Triple], list[Node]]

RULES: dict[str, tuple[str, str]] = {
    "subclass": ("Subclass rule (OWL 2 RL cax-sco)", "An instance of a class is an instance of "
                 "each of its superclasses."),
    "subproperty": ("Subproperty rule (OWL 2 RL prp-spo1)", "A statement with a property holds "
                    "for each of its superproperties."),
    "inverse": ("Inverse rule (OWL 2 RL prp-inv)", "A statement with a property holds, reversed, "
                "for its inverse property."),
    "chain": ("Property chain rule (OWL 2 RL prp-spo2)", "A two-step path along a property chain "
              "implies the chained property."),
    "layer-reliance": ("Layer reliance rule", "A technique supports a trustworthiness level when "
                       "the level relies on the technique's layer to a degree above none."),
}


def rule_iri(name: str) -> URIRef:
    return AI45R[f"rule/{name}"]


def _subclass(onto: Graph, data: Graph) -> Iterator[Derivation]:
    supers: dict[Node, set[URIRef]] = {}
    for c, sup in onto.subject_objects(RDFS.subClassOf):
        if isinstance(c, URIRef) and isinstance(sup, URIRef):
            supers.setdefault(c, set()).add(sup)
    for s, c in list(data.subject_objects(RDF.type)):
        for sup in sorted(supers.get(c, set())):
            yield (s, RDF.type, sup), [(s, RDF.type, c)], [c]


def _subproperty(onto: Graph, data: Graph) -> Iterator[Derivation]:
    for p, sup in onto.subject_objects(RDFS.subPropertyOf):
        if not (isinstance(p, URIRef) and isinstance(sup, URIRef)):
            continue
        for s, o in list(data.subject_objects(p)):
            yield (s, sup, o), [(s, p, o)], [p]


def _inverse(onto: Graph, data: Graph) -> Iterator[Derivation]:
    for p, q in onto.subject_objects(OWL.inverseOf):
        for a, b in ((p, q), (q, p)):
            for s, o in list(data.subject_objects(a)):
                if isinstance(o, URIRef):
                    yield (o, b, s), [(s, a, o)], [a]


def _chain(onto: Graph, data: Graph) -> Iterator[Derivation]:
    for p, head in onto.subject_objects(OWL.propertyChainAxiom):
        steps = list(Collection(onto, head))
        if len(steps) != 2:
            continue
        first, second = steps
        for x, y in list(data.subject_objects(first)):
            for z in list(data.objects(y, second)):
                yield (x, p, z), [(x, first, y), (y, second, z)], [p]


def _layer_reliance(onto: Graph, data: Graph) -> Iterator[Derivation]:
    # the reliance degrees (and their ranks) are individuals of the ontology
    rows = ReadOnlyGraphAggregate([onto, data]).query(
        """
        SELECT ?technique ?layer ?level ?reliance WHERE {
          ?technique ai45:inLayer ?layer .
          ?reliance ai45:relianceOnLayer ?layer ;
                    ai45:relianceOfLevel ?level ;
                    ai45:relianceDegree ?degree .
          ?degree ai45:degreeRank ?rank .
          FILTER(?rank > 0)
        }""",
        initNs={"ai45": AI45},
    )
    for technique, layer, level, reliance in rows:  # type: ignore[misc]
        yield (
            (technique, AI45.supportsLevel, level),
            [(technique, AI45.inLayer, layer)],
            [reliance],
        )


RULE_FUNCS: dict[str, Callable[[Graph, Graph], Iterator[Derivation]]] = {
    "subclass": _subclass,
    "subproperty": _subproperty,
    "inverse": _inverse,
    "chain": _chain,
    "layer-reliance": _layer_reliance,
}


def _key(triple: Triple) -> str:
    return hashlib.sha1(" ".join(t.n3() for t in triple).encode()).hexdigest()[:16]  # type: ignore[attr-defined]


def infer(ds: Dataset, max_rounds: int = 10) -> Graph:
    """Return the inferred graph for the stated graphs of `ds` (which is not modified)."""
    onto = ds.graph(GRAPH_ONTOLOGY)
    work = Graph()
    for gid in (GRAPH_FRAMEWORK, GRAPH_BIBLIOGRAPHY):
        for triple in ds.graph(gid):
            work.add(triple)
    stated = set(work)
    derived: dict[Triple, tuple[str, list[Triple], list[Node]]] = {}
    for _ in range(max_rounds):
        new = 0
        for name, func in RULE_FUNCS.items():
            for triple, premises, nodes in list(func(onto, work)):
                if triple in stated or triple in derived:
                    continue
                derived[triple] = (name, premises, nodes)
                new += 1
        for triple in derived:
            work.add(triple)
        if not new:
            break
    out = Graph(identifier=GRAPH_INFERRED)
    bind_prefixes(out)
    for name, (label, comment) in RULES.items():
        r = rule_iri(name)
        out.add((r, RDF.type, AI45.InferenceRule))
        out.add((r, RDFS.label, Literal(label, lang="en")))
        out.add((r, SKOS.prefLabel, Literal(label, lang="en")))
        out.add((r, SKOS.definition, Literal(comment, lang="en")))
    for triple, (name, premises, nodes) in sorted(derived.items(), key=lambda kv: _key(kv[0])):
        out.add(triple)
        ax = AI45R[f"inference/{_key(triple)}"]
        s, p, o = triple
        out.add((ax, RDF.type, OWL.Axiom))
        out.add((ax, OWL.annotatedSource, s))
        out.add((ax, OWL.annotatedProperty, p))
        out.add((ax, OWL.annotatedTarget, o))
        out.add((ax, AI45.derivedBy, rule_iri(name)))
        for i, (ps, pp, po) in enumerate(premises, start=1):
            st = AI45R[f"inference/{_key(triple)}/premise/{i}"]
            out.add((ax, AI45.premise, st))
            out.add((st, RDF.type, RDF.Statement))
            out.add((st, RDF.subject, ps))
            out.add((st, RDF.predicate, pp))
            out.add((st, RDF.object, po))
        for node in nodes:
            out.add((ax, AI45.premiseNode, node))
    return out
