"""HermiT (owlready2, the machine's Java) finds the ontology plus data consistent, and finds an
inconsistent change inconsistent."""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import Graph
from rdflib.namespace import RDF

from ai45kg.kg.consistency import check_consistency, java_available
from ai45kg.kg.namespaces import AI45, AI45R
from ai45kg.kg.stores import load_built_dataset

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not java_available(), reason="HermiT needs Java (default-jre-headless)"),
]


@pytest.fixture(scope="module")
def union(built_dist: Path) -> Graph:
    ds = load_built_dataset(built_dist)
    g = Graph()
    for s, p, o, _ in ds.quads((None, None, None, None)):
        g.add((s, p, o))
    return g


def test_ontology_and_data_are_consistent(union: Graph) -> None:
    result = check_consistency(union)
    assert result.consistent, result.message


def test_a_technique_that_is_also_a_layer_is_inconsistent(union: Graph) -> None:
    broken = Graph()
    for triple in union:
        broken.add(triple)
    # Technique and Layer are disjoint classes
    broken.add((AI45R["technique/machine-unlearning"], RDF.type, AI45.Layer))
    assert not check_consistency(broken).consistent


def test_a_level_building_on_itself_is_inconsistent(union: Graph) -> None:
    broken = Graph()
    for triple in union:
        broken.add(triple)
    # buildsOn is irreflexive
    broken.add((AI45R["level/autonomy"], AI45.buildsOn, AI45R["level/autonomy"]))
    assert not check_consistency(broken).consistent
