"""The IRIs of the public vocabulary contract (see DESIGN.md), defined once."""

from __future__ import annotations

from rdflib import Namespace, URIRef
from rdflib.namespace import DCTERMS, FOAF, OWL, PROV, RDF, RDFS, SKOS, XSD

BASE = "https://w3id.org/ai45/"
AI45 = Namespace(BASE + "ontology#")
AI45R = Namespace(BASE + "id/")
ONTOLOGY_IRI = URIRef(BASE + "ontology")

FABIO = Namespace("http://purl.org/spar/fabio/")
FRBR = Namespace("http://purl.org/vocab/frbr/core#")
CITO = Namespace("http://purl.org/spar/cito/")
BIRO = Namespace("http://purl.org/spar/biro/")
C4O = Namespace("http://purl.org/spar/c4o/")
VANN = Namespace("http://purl.org/vocab/vann/")
SCHEMA = Namespace("https://schema.org/")
SH = Namespace("http://www.w3.org/ns/shacl#")
VOID = Namespace("http://rdfs.org/ns/void#")
DCAT = Namespace("http://www.w3.org/ns/dcat#")
SD = Namespace("http://www.w3.org/ns/sparql-service-description#")

GRAPH = Namespace(BASE + "graph/")
GRAPH_ONTOLOGY = GRAPH["ontology"]
GRAPH_FRAMEWORK = GRAPH["framework"]
GRAPH_BIBLIOGRAPHY = GRAPH["bibliography"]
GRAPH_INFERRED = GRAPH["inferred"]
GRAPH_IMPORT_PREFIX = BASE + "graph/import/"

PAPER = AI45R["paper/towards-ai-45-law"]

#: prefixes bound in every graph the project writes and offered to query authors
PREFIXES: dict[str, str] = {
    "ai45": str(AI45),
    "ai45r": str(AI45R),
    "rdf": str(RDF),
    "rdfs": str(RDFS),
    "owl": str(OWL),
    "xsd": str(XSD),
    "skos": str(SKOS),
    "dcterms": str(DCTERMS),
    "prov": str(PROV),
    "foaf": str(FOAF),
    "fabio": str(FABIO),
    "frbr": str(FRBR),
    "cito": str(CITO),
    "biro": str(BIRO),
    "c4o": str(C4O),
    "vann": str(VANN),
    "schema": str(SCHEMA),
}
#: one prefix per kind of resource, so queries can say level:autonomy (a SPARQL or Turtle local
#: name cannot contain an unescaped "/", so ai45r:level/autonomy is not valid syntax)
RESOURCE_KINDS = (
    "law", "state", "line", "risk", "initiative", "framework", "rung", "layer", "dimension",
    "technique", "family", "task", "level", "reliance", "model", "governance", "threat", "practice",
    "evidence",
    "work", "paper", "person", "org", "scheme", "rule",
)
PREFIXES.update({kind: f"{AI45R}{kind}/" for kind in RESOURCE_KINDS})


def graph_for_import(name: str) -> URIRef:
    """The named graph of one analyst import."""
    return URIRef(GRAPH_IMPORT_PREFIX + name)
