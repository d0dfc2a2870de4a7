"""The OWL ontology: metadata, labels, definitions, domains and ranges, disjointness, shapes."""

from __future__ import annotations

import pytest
from rdflib import Graph, URIRef
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS, SKOS

from ai45kg.kg import paths
from ai45kg.kg.namespaces import AI45, ONTOLOGY_IRI, SH, VANN


@pytest.fixture(scope="module")
def onto() -> Graph:
    return Graph().parse(paths.ONTOLOGY_FILE)


def ai45_terms(onto: Graph, kind: URIRef) -> list[URIRef]:
    return sorted(s for s in onto.subjects(RDF.type, kind) if str(s).startswith(str(AI45)))


def test_ontology_metadata(onto: Graph) -> None:
    assert (ONTOLOGY_IRI, RDF.type, OWL.Ontology) in onto
    for p in (DCTERMS.title, DCTERMS.description, DCTERMS.creator, DCTERMS.license,
              OWL.versionIRI, OWL.versionInfo, VANN.preferredNamespacePrefix,
              VANN.preferredNamespaceUri):
        assert onto.value(ONTOLOGY_IRI, p) is not None, p
    assert str(onto.value(ONTOLOGY_IRI, VANN.preferredNamespacePrefix)) == "ai45"
    assert str(onto.value(ONTOLOGY_IRI, VANN.preferredNamespaceUri)) == str(AI45)


def test_core_terms_of_the_contract_exist(onto: Graph) -> None:
    for cls in ("Layer", "TrustworthinessLevel", "Technique", "GovernanceMeasure", "CitedWork",
                "LayerReliance", "Evidence", "Paper", "PaperVersion", "RedLine", "YellowLine",
                "RedLineRisk", "CausalRung", "TrustworthinessDimension", "Threat",
                "SafetyPractice", "RepresentativeModel", "Principle"):
        assert (AI45[cls], RDF.type, OWL.Class) in onto, cls
    for prop in ("inLayer", "buildsOn", "supportsLevel", "citesWork"):
        assert (AI45[prop], RDF.type, OWL.ObjectProperty) in onto, prop
    assert (AI45.levelRank, RDF.type, OWL.DatatypeProperty) in onto


@pytest.mark.parametrize("kind", [OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty,
                                  OWL.AnnotationProperty])
def test_every_term_is_labelled_and_defined(onto: Graph, kind: URIRef) -> None:
    terms = ai45_terms(onto, kind)
    assert terms
    for term in terms:
        labels = list(onto.objects(term, RDFS.label))
        assert len(labels) == 1 and labels[0].language == "en", term
        assert onto.value(term, SKOS.prefLabel) == labels[0], term
        assert onto.value(term, SKOS.definition) is not None, term


def test_every_object_property_has_domain_and_range(onto: Graph) -> None:
    for prop in ai45_terms(onto, OWL.ObjectProperty):
        assert onto.value(prop, RDFS.domain) is not None, f"{prop} has no domain"
        assert onto.value(prop, RDFS.range) is not None, f"{prop} has no range"


def test_top_classes_are_disjoint(onto: Graph) -> None:
    groups = []
    for node in onto.subjects(RDF.type, OWL.AllDisjointClasses):
        members = onto.collection(onto.value(node, OWL.members))
        groups.append(set(members))
    framework = {AI45.Layer, AI45.TrustworthinessLevel, AI45.Technique, AI45.GovernanceMeasure,
                 AI45.Threat, AI45.SafetyPractice, AI45.AISystem, AI45.MethodFamily,
                 AI45.TechniqueSubKind, AI45.Task}
    top = {AI45.FrameworkConcept, AI45.CitedWork, AI45.Evidence, AI45.PaperVersion,
           AI45.LayerReliance}
    assert any(framework <= g for g in groups)
    assert any(top <= g for g in groups)


def test_alignments_to_standard_vocabularies(onto: Graph) -> None:
    expected = {
        AI45.FrameworkConcept: URIRef("http://www.w3.org/2004/02/skos/core#Concept"),
        AI45.Evidence: URIRef("http://www.w3.org/ns/prov#Entity"),
        AI45.Paper: URIRef("http://purl.org/spar/fabio/Work"),
        AI45.PaperVersion: URIRef("http://purl.org/spar/fabio/Expression"),
        AI45.CitedWork: URIRef("http://purl.org/spar/fabio/Work"),
        AI45.Reference: URIRef("http://purl.org/spar/biro/BibliographicReference"),
        AI45.CitationGroup: URIRef("http://purl.org/spar/c4o/InTextReferencePointerList"),
        AI45.Person: URIRef("http://xmlns.com/foaf/0.1/Person"),
    }
    for cls, sup in expected.items():
        assert (cls, RDFS.subClassOf, sup) in onto, cls
    assert (AI45.subKindOf, RDFS.subPropertyOf, SKOS.broader) in onto
    assert (AI45.quotedFrom, RDFS.subPropertyOf,
            URIRef("http://www.w3.org/ns/prov#wasQuotedFrom")) in onto


def test_every_class_has_a_shape(onto: Graph) -> None:
    shapes = Graph().parse(paths.SHAPES_FILE)
    targeted = set(shapes.objects(None, SH.targetClass))
    missing = [c for c in ai45_terms(onto, OWL.Class) if c not in targeted]
    assert missing == []
