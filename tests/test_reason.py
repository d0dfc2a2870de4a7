"""Reasoning: the inferred graph holds exactly what the rules entail, apart from stated facts,
each inferred fact traceable to its rule and premises."""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import Dataset, URIRef
from rdflib.namespace import OWL, RDF, RDFS

from ai45kg.kg.namespaces import AI45, AI45R, GRAPH_FRAMEWORK, GRAPH_INFERRED
from ai45kg.kg.stores import load_built_dataset

LEVELS = ["perception", "reasoning", "decision-making", "autonomy", "collaboration"]
AA = {"supervised-fine-tuning", "machine-unlearning"}
INT = {"feedback-based-value-alignment", "scalable-oversight", "mechanistic-interpretability",
       "adversarial-training", "learning-from-x-feedback", "controllable-generation"}
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
    lxf = AI45R["technique/learning-from-x-feedback"]
    rlhf_work = AI45R["work/ouyang-2022-training-language-models-follow"]
    assert (lxf, AI45.citesWork, rlhf_work) not in ds.graph(GRAPH_FRAMEWORK)
    assert (lxf, AI45.citesWork, rlhf_work) in ds.graph(GRAPH_INFERRED)


def test_sub_kinds_are_not_techniques_of_a_layer(ds: Dataset) -> None:
    """RLHF, RLAIF and the two kinds of control generation belong to their technique: no
    ai45:inLayer of their own, so "the techniques of a layer" is the paper's set."""
    for sub in ("rlhf", "rlaif", "explicit-control-generation", "implicit-control-generation"):
        assert list(ds.triples((AI45R[f"technique/{sub}"], AI45.inLayer, None))) == []


def works_of(ds: Dataset, concept: str) -> set[URIRef]:
    return set(ds.objects(AI45R[concept], AI45.citesWork))  # type: ignore[arg-type]


def test_what_holds_of_a_sub_kind_rolls_up_to_its_technique(ds: Dataset) -> None:
    """Works cited for RLHF and RLAIF count for Learning from X Feedback; a model that uses
    RLHF uses Learning from X Feedback; each with its rule and premises."""
    lxf = "technique/learning-from-x-feedback"
    assert works_of(ds, lxf) == works_of(ds, "technique/rlhf") | works_of(ds, "technique/rlaif")
    assert len(works_of(ds, lxf)) == 5  # [78, 85, 69, 102] and [8] of v103
    cg = "technique/controllable-generation"
    assert works_of(ds, cg) == (works_of(ds, "technique/explicit-control-generation")
                                | works_of(ds, "technique/implicit-control-generation")
                                | {AI45R["work/liang-2024-controllable-text-generation-large"]})
    inferred = ds.graph(GRAPH_INFERRED)
    for model in ("llama-2-3", "qwen", "internlm"):
        assert (AI45R[f"model/{model}"], AI45.usesTechnique, AI45R[lxf]) in inferred
    ax = next(a for a in inferred.subjects(OWL.annotatedSource, AI45R["model/qwen"])
              if inferred.value(a, OWL.annotatedTarget) == AI45R[lxf])
    assert inferred.value(ax, AI45.derivedBy) == AI45R["rule/chain"]
    premises = {(inferred.value(st, RDF.subject), inferred.value(st, RDF.predicate),
                 inferred.value(st, RDF.object)) for st in inferred.objects(ax, AI45.premise)}
    assert premises == {
        (AI45R["model/qwen"], AI45.usesTechnique, AI45R["technique/rlhf"]),
        (AI45R["technique/rlhf"], AI45.subKindOf, AI45R[lxf])}


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
