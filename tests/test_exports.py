"""Exports (kg.exports, `ai45kg export`, /export/...): the taxonomy as SKOS only, loadable by a
thesaurus tool; the works as BibTeX that a BibTeX parser reads and `ai45kg import` reads back."""

from __future__ import annotations

from pathlib import Path

import bibtexparser
import pytest
from click.testing import CliRunner
from flask.testing import FlaskClient
from rdflib import Graph, URIRef
from rdflib.namespace import RDF, RDFS, SKOS

from ai45kg.kg.exports import works_bibtex
from ai45kg.kg.literature import bibtex
from ai45kg.kg.literature.imports import prepare
from ai45kg.kg.namespaces import AI45R
from ai45kg.kg.reports import OxigraphRunner
from ai45kg.service.cli import main


@pytest.fixture(scope="module")
def runner(built_dist: Path) -> OxigraphRunner:
    return OxigraphRunner(built_dist)


@pytest.fixture(scope="module")
def skos(runner: OxigraphRunner) -> Graph:
    text = CliRunner().invoke(main, ["export", "skos", "--dist", str(runner.dist)]).output
    return Graph().parse(data=text, format="turtle")


@pytest.fixture(scope="module")
def bib(runner: OxigraphRunner) -> str:
    return works_bibtex(runner)


def test_the_skos_export_has_only_skos_and_rdfs_terms(skos: Graph) -> None:
    allowed = (str(SKOS), str(RDF), str(RDFS))
    assert {str(p) for p in skos.predicates()} <= {str(SKOS[n]) for n in (
        "prefLabel", "altLabel", "hiddenLabel", "definition", "broader", "narrower", "inScheme",
        "topConceptOf", "hasTopConcept")} | {str(RDF.type), str(RDFS.label)}
    assert all(str(p).startswith(allowed) for p in skos.predicates())
    assert set(skos.objects(None, RDF.type)) == {SKOS.Concept, SKOS.ConceptScheme}


def test_the_skos_export_is_one_scheme_with_a_hierarchy(skos: Graph) -> None:
    (scheme,) = skos.subjects(RDF.type, SKOS.ConceptScheme)
    concepts = set(skos.subjects(RDF.type, SKOS.Concept))
    assert len(concepts) >= 63
    for c in concepts:
        labels = list(skos.objects(c, SKOS.prefLabel))
        assert len(labels) == 1 and labels[0].language == "en", c
        assert (c, SKOS.inScheme, scheme) in skos
        assert set(skos.objects(c, SKOS.altLabel)).isdisjoint(labels)
    for narrow, wide in skos.subject_objects(SKOS.broader):
        assert (wide, SKOS.narrower, narrow) in skos
    tops = set(skos.objects(scheme, SKOS.hasTopConcept))
    assert tops == set(skos.subjects(SKOS.topConceptOf, scheme))
    for c in concepts:  # every concept reaches a top concept, without cycles
        seen, node = set(), c
        while node not in tops:
            assert node not in seen, f"cycle at {node}"
            seen.add(node)
            node = sorted(skos.objects(node, SKOS.broader))[0]
    broader = {(str(s).removeprefix(str(AI45R)), str(o).removeprefix(str(AI45R)))
               for s, o in skos.subject_objects(SKOS.broader)}
    assert ("technique/rlhf", "technique/learning-from-x-feedback") in broader
    assert ("technique/machine-unlearning", "layer/approximate-alignment") in broader
    assert ("layer/reflectable", "framework/causal-ladder") in broader
    assert ("level/autonomy", "framework/matrix") in broader
    assert ("risk/deception", "line/red-line") in broader
    assert ("governance/multi-stakeholders", "https://w3id.org/ai45/ontology#GovernanceMeasure") \
        in broader


def test_skos_graph_is_served(client: FlaskClient, skos: Graph) -> None:
    response = client.get("/export/skos.ttl")
    assert response.mimetype == "text/turtle"
    assert len(Graph().parse(data=response.get_data(as_text=True), format="turtle")) == len(skos)


def test_the_bibtex_export_parses(bib: str) -> None:
    library = bibtexparser.parse_string(bib)
    assert library.failed_blocks == []
    assert len(library.entries) == 102
    keys = [e.key for e in library.entries]
    assert len(set(keys)) == 102
    entries = {e.key: e for e in library.entries}
    entry = entries["bereska-2024-mechanistic-interpretability-ai-safety"]
    assert entry["eprint"] == "2404.14082"
    assert entry["year"] == "2024"
    assert "technique/mechanistic-interpretability" in entry["keywords"]
    assert entry["author"] == "Leonard Bereska and Efstratios Gavves"
    # our own reader agrees
    assert [e.key for e in bibtex.parse(bib)] == keys


def test_the_bibtex_export_imports_back_onto_the_papers_works(bib: str, tmp_path: Path) -> None:
    path = tmp_path / "works.bib"
    path.write_text(bib, encoding="utf-8")
    graph, summary = prepare(path, "roundtrip")
    assert (summary.works, summary.new) == (102, 0)  # every work linked, none duplicated
    assert (AI45R["work/bereska-2024-mechanistic-interpretability-ai-safety"],
            URIRef("https://w3id.org/ai45/ontology#addresses"),
            AI45R["technique/mechanistic-interpretability"]) in graph


def test_the_bibtex_export_is_served(client: FlaskClient) -> None:
    response = client.get("/export/works.bib")
    assert response.status_code == 200
    assert len(bibtexparser.parse_string(response.get_data(as_text=True)).entries) == 102
