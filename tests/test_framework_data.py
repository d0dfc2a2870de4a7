"""The curated framework data: exact labels from the paper, ranks and order, and evidence whose
quotes are verbatim in the versions they cite."""

from __future__ import annotations

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF, RDFS, SKOS

from ai45kg.kg import paths
from ai45kg.kg.namespaces import AI45, AI45R

from .kgutil import V101_FILE, V103_FILE, needs_paper, normalise, paper_text, quote_in

V103 = AI45R["paper/towards-ai-45-law/v103"]
V101 = AI45R["paper/towards-ai-45-law/v101"]


@pytest.fixture(scope="module")
def fw() -> Graph:
    g = Graph().parse(paths.FRAMEWORK_FILE)
    g.parse(paths.ONTOLOGY_FILE)
    return g


def labels_of(g: Graph, cls: URIRef) -> dict[str, str]:
    return {str(s).removeprefix(str(AI45R)): str(g.value(s, RDFS.label))
            for s in g.subjects(RDF.type, cls)}


def test_layers_in_order_with_rung_and_question(fw: Graph) -> None:
    rows = {
        str(fw.value(layer, RDFS.label)): (
            int(fw.value(layer, AI45.layerRank)),
            str(fw.value(fw.value(layer, AI45.correspondsToRung), RDFS.label)),
            str(fw.value(layer, AI45.answersQuestion)),
        )
        for layer in fw.subjects(RDF.type, AI45.Layer)
    }
    assert rows == {
        "Approximate Alignment Layer": (1, "association", "What is it"),
        "Intervenable Layer": (2, "intervention", "What will happen if X is intervened on?"),
        "Reflectable Layer": (3, "counterfactual",
                              "What would have happened if a different choice had been made?"),
    }


def test_levels_in_order_each_building_on_the_one_below(fw: Graph) -> None:
    ranks = {str(fw.value(lv, RDFS.label)): int(fw.value(lv, AI45.levelRank))
             for lv in fw.subjects(RDF.type, AI45.TrustworthinessLevel)}
    assert ranks == {
        "Perception Trustworthiness": 1,
        "Reasoning Trustworthiness": 2,
        "Decision-making Trustworthiness": 3,
        "Autonomy Trustworthiness": 4,
        "Collaboration Trustworthiness": 5,
    }
    pairs = {(str(fw.value(a, RDFS.label)), str(fw.value(b, RDFS.label)))
             for a, b in fw.subject_objects(AI45.buildsOn)}
    assert pairs == {
        ("Reasoning Trustworthiness", "Perception Trustworthiness"),
        ("Decision-making Trustworthiness", "Reasoning Trustworthiness"),
        ("Autonomy Trustworthiness", "Decision-making Trustworthiness"),
        ("Collaboration Trustworthiness", "Autonomy Trustworthiness"),
    }


def test_named_concepts_spelled_as_the_paper(fw: Graph) -> None:
    assert labels_of(fw, AI45.GovernanceMeasure) == {
        "governance/lifecycle-management": "Lifecycle management",
        "governance/multi-stakeholders": "Multi-stakeholders",
        "governance/governance-for-good": "Governance for good",
        "governance/ai-safety-as-a-global-public-good": "AI safety as a global public good",
    }
    assert set(labels_of(fw, AI45.RedLineRisk).values()) == {
        "autonomous replication or improvement", "power-seeking",
        "assisting weapon development", "cyberattacks", "deception"}
    assert set(labels_of(fw, AI45.Threat).values()) == {
        "adversarial attacks", "data poisoning", "model theft"}
    assert set(labels_of(fw, AI45.SafetyPractice).values()) == {
        "red teaming", "watermarking", "safety guardrails", "evaluation frameworks",
        "adversarial defense techniques"}
    assert set(labels_of(fw, AI45.TrustworthinessDimension).values()) == {
        "Endogenous Trustworthiness", "Exogenous Trustworthiness"}
    assert labels_of(fw, AI45.Principle) == {"law/ai-45-law": "AI-45° Law"}
    # the state of the field as section 1 and its subsections head it
    assert labels_of(fw, AI45.DevelopmentState) == {
        "state/crippled-ai": "Crippled AI",
        "state/rapid-development-of-ai-capabilities": "Rapid Development of AI Capabilities",
        "state/limitations-of-current-ai-safety-measures":
            "Limitations of Current AI Safety Measures"}
    assert labels_of(fw, AI45.MethodFamily) == {
        "family/intervention-based-methods": "intervention-based methods",
        "family/reinforcement-learning-based-methods": "reinforcement learning-based methods"}
    assert labels_of(fw, AI45.Task) == {
        "task/image-understanding": "image understanding",
        "task/image-generation": "image generation",
        "task/video-generation": "video generation"}
    # ChatGPT and GPT-4 are AI systems of section 1.1, not models placed in the matrix
    assert labels_of(fw, AI45.AISystem) == {"model/chatgpt": "ChatGPT", "model/gpt-4": "GPT-4"}


def test_techniques_per_layer(fw: Graph) -> None:
    """The technique paragraphs plus the methodologies the listing sentences name: 2, 6, 3."""
    stated = {
        (str(fw.value(t, RDFS.label)), str(fw.value(layer, RDFS.label)))
        for t, layer in fw.subject_objects(AI45.inLayer)
    }
    assert {t for t, _ in stated} == {str(fw.value(t, RDFS.label))
                                      for t in fw.subjects(RDF.type, AI45.Technique)}
    assert stated == {
        ("Supervised Fine-Tuning", "Approximate Alignment Layer"),
        ("Machine Unlearning", "Approximate Alignment Layer"),
        ("feedback-based value alignment", "Intervenable Layer"),
        ("scalable oversight", "Intervenable Layer"),
        ("Mechanistic Interpretability", "Intervenable Layer"),
        ("adversarial training", "Intervenable Layer"),
        ("Learning from X Feedback", "Intervenable Layer"),
        ("Controllable Generation", "Intervenable Layer"),
        ("Mental Models", "Reflectable Layer"),
        ("Value Reflection", "Reflectable Layer"),
        ("Counterfactual Interpretability", "Reflectable Layer"),
    }
    sub_kinds = {(str(fw.value(a, RDFS.label)), str(fw.value(b, RDFS.label)))
                 for a, b in fw.subject_objects(AI45.subKindOf)}
    assert sub_kinds == {
        ("reinforcement learning from human feedback", "Learning from X Feedback"),
        ("reinforcement learning from AI feedback", "Learning from X Feedback"),
        ("Explicit control generation", "Controllable Generation"),
        ("Implicit control generation", "Controllable Generation"),
    }
    assert {str(fw.value(s, RDFS.label)) for s in fw.subjects(RDF.type, AI45.TechniqueSubKind)} \
        == {a for a, _ in sub_kinds}
    # "Technologies relevant to this layer include intervention-based [...] and reinforcement
    # learning-based methods": families relevant to the layer, not techniques of it
    assert {(str(fw.value(f, RDFS.label)), str(fw.value(layer, RDFS.label)))
            for f, layer in fw.subject_objects(AI45.relevantToLayer)} == {
        ("intervention-based methods", "Intervenable Layer"),
        ("reinforcement learning-based methods", "Intervenable Layer")}


def test_model_placements(fw: Graph) -> None:
    placed = {(str(fw.value(m, RDFS.label)), str(fw.value(lv, RDFS.label)))
              for m, lv in fw.subject_objects(AI45.placedAtLevel)}
    assert placed == {
        ("Llama2/3", "Perception Trustworthiness"),
        ("Qwen", "Perception Trustworthiness"),
        ("InternLM", "Perception Trustworthiness"),
        ("OpenAI-o1 (preview)", "Reasoning Trustworthiness"),
    }
    assert {str(fw.value(m, RDFS.label)) for m in fw.subjects(RDF.type, AI45.RepresentativeModel)} \
        == {m for m, _ in placed}
    o1 = AI45R["model/openai-o1-preview"]
    assert set(fw.objects(o1, AI45.usesLayer)) == {AI45R["layer/reflectable"]}


def evidence_of(g: Graph, s: URIRef, p: URIRef, o: object) -> list[URIRef]:
    out = []
    for ax in g.subjects(OWL.annotatedSource, s):
        if g.value(ax, OWL.annotatedProperty) == p and g.value(ax, OWL.annotatedTarget) == o:
            out.extend(g.objects(ax, AI45.evidence))
    return out


def test_only_the_cells_the_paper_states_are_stated(fw: Graph) -> None:
    status = {}
    for cell in fw.subjects(RDF.type, AI45.LayerReliance):
        degree = fw.value(cell, AI45.relianceDegree)
        kinds = {fw.value(e, AI45.evidenceStatus)
                 for e in evidence_of(fw, cell, AI45.relianceDegree, degree)}
        assert len(kinds) == 1, cell
        status[str(cell).rsplit("/", 1)[-1]] = (str(fw.value(degree, RDFS.label)), kinds.pop())
    assert len(status) == 15
    stated = {k: v[0] for k, v in status.items() if v[1] == AI45.stated}
    assert stated == {"perception-reflectable": "none", "reasoning-reflectable": "limited"}
    reflectable = [status[f"{lv}-reflectable"][0] for lv in
                   ("perception", "reasoning", "decision-making", "autonomy", "collaboration")]
    assert reflectable == ["none", "limited", "moderate", "high", "very high"]


def test_every_domain_statement_has_evidence(fw: Graph) -> None:
    framework = Graph().parse(paths.FRAMEWORK_FILE)
    missing = []
    for s, p, o in framework:
        domain = str(p).startswith(str(AI45)) and p != AI45.evidence and p not in (
            AI45.quote, AI45.section, AI45.quotedFrom, AI45.evidenceStatus,
            AI45.interpretationNote)
        typed = p == RDF.type and str(o).startswith(str(AI45)) and o != AI45.Evidence
        if (domain or typed) and not isinstance(s, type(None)):
            if (s, RDF.type, AI45.Evidence) in framework:
                continue
            if not evidence_of(framework, s, p, o):  # type: ignore[arg-type]
                missing.append((s, p, o))
    assert missing == []


def test_every_resource_is_labelled_and_defined(fw: Graph) -> None:
    framework = Graph().parse(paths.FRAMEWORK_FILE)
    for s in set(framework.subjects(RDF.type, None)):
        if not isinstance(s, URIRef):
            continue
        label = framework.value(s, RDFS.label)
        assert isinstance(label, Literal) and label.language == "en", s
        assert framework.value(s, SKOS.prefLabel) == label, s
        assert framework.value(s, SKOS.definition) is not None, s


@needs_paper
def test_every_quote_is_verbatim_in_exactly_the_versions_it_cites(fw: Graph) -> None:
    texts = {V103: normalise(paper_text(V103_FILE)), V101: normalise(paper_text(V101_FILE))}
    problems = []
    for ev in fw.subjects(RDF.type, AI45.Evidence):
        quote = str(fw.value(ev, AI45.quote))
        cited = set(fw.objects(ev, AI45.quotedFrom))
        for version, text in texts.items():
            if quote_in(quote, text) != (version in cited):
                problems.append((str(ev), str(version)))
    assert problems == []


@needs_paper
def test_content_differences_between_versions_are_recorded(fw: Graph) -> None:
    only_v103 = {str(e).rsplit("/", 1)[-1] for e in fw.subjects(RDF.type, AI45.Evidence)
                 if set(fw.objects(e, AI45.quotedFrom)) == {V103}}
    # the Counterfactual Interpretability paragraph and the figure captions are only in v103;
    # "AI-45°" lost its degree sign in v101
    assert {"cf-interp-paragraph", "figure-1-lines", "ladder-implements-v103"} <= only_v103
    only_v101 = {str(e).rsplit("/", 1)[-1] for e in fw.subjects(RDF.type, AI45.Evidence)
                 if set(fw.objects(e, AI45.quotedFrom)) == {V101}}
    # v101 prints "AI- law" where v103 prints "AI-45° law"
    assert only_v101 == {"ladder-implements-v101", "law-guiding-principle-v101",
                         "law-tolerance-v101"}
