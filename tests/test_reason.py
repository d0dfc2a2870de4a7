"""Reasoning: the inferred graph holds exactly what the rules entail, apart from stated facts,
each inferred fact traceable to its rule and premises."""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import Dataset, URIRef
from rdflib.namespace import OWL, RDF, RDFS

from kg.namespaces import AI45, AI45R, GRAPH_FRAMEWORK, GRAPH_INFERRED
from kg.stores import load_built_dataset

LEVELS = ["perception", "reasoning", "decision-making", "autonomy", "collaboration"]
AA = {"supervised-fine-tuning", "machine-unlearning"}
INT = {"intervention-based-methods", "reinforcement-learning-based-methods",
       "feedback-based-value-alignment", "scalable-oversight", "mechanistic-interpretability",
       "adversarial-training", "learning-from-x-feedback", "rlhf", "rlaif",
       "controllable-generation", "explicit-control-generation", "implicit-control-generation"}
REFL = {"mental-models", "value-reflection", "counterfactual-interpretability"}


@pytest.fixture(scope="module")
def ds(built_dist: Path) -> Dataset:
    return load_built_dataset(built_dist)


def techniques_supporting(ds: Dataset, level: str) -> set[str]:
    return {str(t).rsplit("/", 1)[-1]
            for t in ds.graph(GRAPH_INFERRED).subjects(AI45.supportsLevel, AI45R[f"level/{level}"])}


def test_supports_level_follows_layer_reliance(ds: Dataset) -> None:
    assert techniques_supporting(ds, "perception") == AA | INT
    for level in LEVELS[1:]:
        assert techniques_supporting(ds, level) == AA | INT | REFL, level


def test_inferred_facts_are_only_in_the_inferred_graph(ds: Dataset) -> None:
    assert list(ds.graph(GRAPH_FRAMEWORK).triples((None, AI45.supportsLevel, None))) == []
    assert (AI45R["technique/rlhf"], AI45.inLayer, AI45R["layer/intervenable"]) not in \
        ds.graph(GRAPH_FRAMEWORK)
    assert (AI45R["technique/rlhf"], AI45.inLayer, AI45R["layer/intervenable"]) in \
        ds.graph(GRAPH_INFERRED)


def test_sub_kinds_inherit_the_layer_through_the_property_chain(ds: Dataset) -> None:
    inferred = ds.graph(GRAPH_INFERRED)
    for sub, layer in [("rlhf", "intervenable"), ("rlaif", "intervenable"),
                       ("explicit-control-generation", "intervenable"),
                       ("implicit-control-generation", "intervenable")]:
        assert (AI45R[f"technique/{sub}"], AI45.inLayer, AI45R[f"layer/{layer}"]) in inferred


def test_inverse_and_superclass_facts(ds: Dataset) -> None:
    inferred = ds.graph(GRAPH_INFERRED)
    assert (AI45R["layer/reflectable"], AI45.hasTechnique,
            AI45R["technique/value-reflection"]) in inferred
    assert (AI45R["technique/value-reflection"], RDF.type, AI45.FrameworkConcept) in inferred


def test_every_inferred_fact_names_its_rule_and_premises(ds: Dataset) -> None:
    inferred = ds.graph(GRAPH_INFERRED)
    annotated = set()
    for ax in inferred.subjects(RDF.type, OWL.Axiom):
        s = inferred.value(ax, OWL.annotatedSource)
        p = inferred.value(ax, OWL.annotatedProperty)
        o = inferred.value(ax, OWL.annotatedTarget)
        rule = inferred.value(ax, AI45.derivedBy)
        assert rule is not None and inferred.value(rule, RDFS.label) is not None
        premises = list(inferred.objects(ax, AI45.premise))
        assert premises, ax
        for st in premises:
            premise = (inferred.value(st, RDF.subject), inferred.value(st, RDF.predicate),
                       inferred.value(st, RDF.object))
            assert premise in ds, premise  # the premise holds (stated or inferred)
        annotated.add((s, p, o))
    facts = {t for t in inferred if not _is_annotation(inferred, t)}
    assert facts == annotated


def test_supports_level_is_traced_to_the_reliance_cell(ds: Dataset) -> None:
    inferred = ds.graph(GRAPH_INFERRED)
    t, lv = AI45R["technique/value-reflection"], AI45R["level/reasoning"]
    axioms = [ax for ax in inferred.subjects(OWL.annotatedSource, t)
              if inferred.value(ax, OWL.annotatedProperty) == AI45.supportsLevel
              and inferred.value(ax, OWL.annotatedTarget) == lv]
    assert len(axioms) == 1
    assert set(inferred.objects(axioms[0], AI45.premiseNode)) == {
        AI45R["reliance/reasoning-reflectable"]}


def _is_annotation(g: object, triple: tuple) -> bool:
    s, p, o = triple
    text = str(s)
    return (
        "/inference/" in text
        or text.startswith(str(AI45R["rule/"]))
        or isinstance(s, URIRef) and "/premise/" in text
    )
