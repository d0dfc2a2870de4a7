"""Fidelity: every domain statement the graph marks *stated* has a quote that states it, and
every name it presents as the paper's is printed by the paper.

The check is mechanical where it can be: a quote states a statement when it names the subject
(one of its names, any letter case) and the object (its name, or the literal itself, verbatim),
and, for a type, a word that names the kind of thing (KIND_WORDS). Where the paper states a fact
across a heading, a figure or a paragraph's structure, the statement is listed in STRUCTURAL with
the reason; each line of that table was checked by hand against both texts (docs/fidelity.md).
"""

from __future__ import annotations

import re
import unicodedata

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF, RDFS, SKOS
from rdflib.term import Node

from ai45kg.kg import paths
from ai45kg.kg.namespaces import AI45, AI45R

from .kgutil import V101_FILE, V103_FILE, needs_paper, normalise, paper_text

#: the words by which a quote names the kind of thing a resource is typed as
KIND_WORDS: dict[URIRef, str] = {
    AI45.Principle: r"\bprinciple\b",
    AI45.DevelopmentState: r"\b(state|period|landscape)\b",
    AI45.RedLine: r"\bred lines?\b",
    AI45.YellowLine: r"\byellow line\b",
    AI45.RedLineRisk: r"\baspects\b",
    AI45.ExternalInitiative: r"\b(dialogues|policies)\b",
    AI45.Framework: r"\bframework\b",
    AI45.CausalRung: r"\blevel of the ladder of causation\b",
    AI45.Layer: r"\blayers?\b",
    AI45.TrustworthinessDimension: r"\bdimensions\b",
    AI45.Technique: r"\b(methods|methodologies|method|technique)\b",
    AI45.TechniqueSubKind: r"\bmethods\b",
    AI45.MethodFamily: r"\b(technologies|methods)\b",
    AI45.TrustworthinessLevel: r"\blevels\b",
    AI45.RepresentativeModel: r"\bmodels\b",
    AI45.AISystem: r"\bai systems\b",
    AI45.Task: r"\btasks\b",
    AI45.GovernanceMeasure: r"\bgovernance measures\b",
    AI45.Threat: r"\bthreats\b",
    AI45.SafetyPractice: r"\b(tools|measures)\b",
}

#: statements stated across a heading, a figure or a paragraph's structure rather than in one
#: sentence that names both ends: (subject, property, object) -> why the quote states it.
#: Subjects and objects are local IRIs after https://w3id.org/ai45/id/ (or the literal).
STRUCTURAL: dict[tuple[str, str, str], str] = {
    # the paragraphs of section 5, under its heading "Governance measures"
    ("governance/lifecycle-management", "type", "GovernanceMeasure"):
        "a paragraph under the heading of section 5, 'Governance measures'",
    ("governance/multi-stakeholders", "type", "GovernanceMeasure"):
        "a paragraph under the heading of section 5, 'Governance measures'",
    ("governance/governance-for-good", "type", "GovernanceMeasure"):
        "a paragraph under the heading of section 5, 'Governance measures'",
    ("governance/ai-safety-as-a-global-public-good", "type", "GovernanceMeasure"):
        "a paragraph under the heading of section 5, 'Governance measures'",
    # technique paragraphs ("Name [..]: This involves ...") of sections 3.1-3.3
    ("technique/learning-from-x-feedback", "type", "Technique"):
        "the technique paragraph 'Learning from X Feedback: This involves ...' of section 3.2",
    ("technique/learning-from-x-feedback", "inLayer", "layer/intervenable"):
        "a technique paragraph of section 3.2, 'Layer 2: Intervenable Layer'",
    ("technique/controllable-generation", "type", "Technique"):
        "the technique paragraph 'Controllable Generation [53]: ...' of section 3.2",
    ("technique/controllable-generation", "inLayer", "layer/intervenable"):
        "a technique paragraph of section 3.2, 'Layer 2: Intervenable Layer'",
    ("technique/explicit-control-generation", "type", "TechniqueSubKind"):
        "the first kind of generation the Controllable Generation paragraph names",
    ("technique/implicit-control-generation", "type", "TechniqueSubKind"):
        "'on the other hand': the second kind of generation of the Controllable Generation "
        "paragraph",
    ("technique/implicit-control-generation", "subKindOf", "technique/controllable-generation"):
        "'Implicit control generation [..], on the other hand, ...' in the Controllable "
        "Generation paragraph",
    ("technique/rlhf", "subKindOf", "technique/learning-from-x-feedback"):
        "the Learning from X Feedback paragraph: '... enabling human-in-the-loop reinforcement "
        "learning methods, such as reinforcement learning from human feedback (RLHF)'",
    ("technique/rlaif", "subKindOf", "technique/learning-from-x-feedback"):
        "the Learning from X Feedback paragraph: '... and reinforcement learning from AI feedback "
        "(RLAIF)'",
    ("technique/supervised-fine-tuning", "inLayer", "layer/approximate-alignment"):
        "'Key methods include ... supervised fine-tuning' in section 3.1, 'Layer 1: Approximate "
        "Alignment Layer'",
    ("technique/machine-unlearning", "inLayer", "layer/approximate-alignment"):
        "'Key methods include ... machine unlearning' in section 3.1, 'Layer 1: Approximate "
        "Alignment Layer'",
    ("family/intervention-based-methods", "relevantToLayer", "layer/intervenable"):
        "'Technologies relevant to this layer' in section 3.2, 'Layer 2: Intervenable Layer'",
    ("family/reinforcement-learning-based-methods", "relevantToLayer", "layer/intervenable"):
        "'Technologies relevant to this layer' in section 3.2, 'Layer 2: Intervenable Layer'",
    # "This layer corresponds to ..." in each layer's section
    ("layer/approximate-alignment", "correspondsToRung", "rung/association"):
        "'This layer corresponds to the “association” level' in section 3.1",
    ("layer/intervenable", "correspondsToRung", "rung/intervention"):
        "'This layer corresponds to the “intervention” level' in section 3.2",
    ("layer/reflectable", "correspondsToRung", "rung/counterfactual"):
        "'This layer corresponds to the “counterfactual” level' in section 3.3",
    ("layer/approximate-alignment", "answersQuestion", "What is it"):
        "'At this level, ... answer the question “What is it”' in section 3.1",
    ("layer/intervenable", "answersQuestion", "What will happen if X is intervened on?"):
        "'At this level, AI models address the question ...' in section 3.2",
    ("layer/reflectable", "answersQuestion",
     "What would have happened if a different choice had been made?"):
        "'At this level, AI models address the question, ...' in section 3.3",
    # the levels and what they build on: "Each level builds upon the previous one"
    ("level/reasoning", "buildsOn", "level/perception"):
        "'Each level builds upon the previous one'",
    ("level/decision-making", "buildsOn", "level/reasoning"):
        "'Each level builds upon the previous one'",
    ("level/autonomy", "buildsOn", "level/decision-making"):
        "'Each level builds upon the previous one'",
    ("level/collaboration", "buildsOn", "level/autonomy"):
        "'Each level builds upon the previous one'",
    ("level/perception", "partOfFramework", "framework/matrix"):
        "one of the five levels defined in section 4, 'The Matrix of Trustworthy AGI'",
    ("level/reasoning", "partOfFramework", "framework/matrix"):
        "one of the five levels defined in section 4, 'The Matrix of Trustworthy AGI'",
    ("level/decision-making", "partOfFramework", "framework/matrix"):
        "one of the five levels defined in section 4, 'The Matrix of Trustworthy AGI'",
    ("level/autonomy", "partOfFramework", "framework/matrix"):
        "one of the five levels defined in section 4, 'The Matrix of Trustworthy AGI'",
    ("level/collaboration", "partOfFramework", "framework/matrix"):
        "one of the five levels defined in section 4, 'The Matrix of Trustworthy AGI'",
    ("framework/matrix", "type", "Framework"):
        "section 4, headed 'The Matrix of Trustworthy AGI', says its levels 'collectively form "
        "a comprehensive framework'",
    ("framework/matrix", "basedOnFramework", "framework/causal-ladder"):
        "'Based on the causal ladder of trustworthy AGI, we prospectively define five levels' "
        "opens section 4, 'The Matrix of Trustworthy AGI'",
    ("framework/causal-ladder", "implementsPrinciple", "law/ai-45-law"):
        "'To explore a practical approach to the AI-45° law, we propose a three-layer technical "
        "framework' (section 3, 'The Causal Ladder of Trustworthy AGI')",
    ("framework/causal-ladder", "basedOnFramework", "framework/ladder-of-causation"):
        "'we propose a three-layer technical framework based on the “Ladder of Causation”' "
        "(section 3, 'The Causal Ladder of Trustworthy AGI')",
    ("dimension/endogenous", "partOfFramework", "framework/causal-ladder"):
        "'Within this framework [the Causal Ladder], we define two key dimensions'",
    ("dimension/exogenous", "partOfFramework", "framework/causal-ladder"):
        "'Within this framework [the Causal Ladder], we define two key dimensions'",
    # the law and its lines
    ("law/ai-45-law", "respondsTo", "state/crippled-ai"):
        "'In response to this imbalance, we introduce the AI-45° law'; section 1's heading names "
        "the imbalance: 'Crippled AI: The Imbalance Between AI Capability and Safety'",
    ("law/ai-45-law", "hasSafetyLine", "line/red-line"):
        "'Following the AI-45° law, the “Red Lines” can be more clearly illustrated as occupying "
        "the lower right region relative to the 45° line'; figure 1's caption",
    ("law/ai-45-law", "hasSafetyLine", "line/yellow-line"):
        "figure 1, the AI-45° Law's figure, divides the areas of early warning indicators "
        "(Yellow line)",
    ("line/yellow-line", "warnsOf", "line/red-line"):
        "'These thresholds [of the Yellow Line] would serve as indicators that a system may be on "
        "the verge of crossing into the “Red Line” territory'",
    ("law/ai-45-law", "tolerance", "some flexibility is allowed within a defined range"):
        "'Although strict adherence to the 45° line is not mandatory, some flexibility is "
        "allowed within a defined range' follows 'This law posits ...' in section 2.1",
    ("line/yellow-line", "aboveThreshold", "more rigorous assurance mechanisms and safety "
                                           "protocols"):
        "'for more advanced AI systems that exceed these thresholds, more rigorous assurance "
        "mechanisms and safety protocols would be necessary'",
    # section 4 on the foundation models
    ("model/llama-2-3", "placedAtLevel", "level/perception"):
        "'However, at their core, they still focused on the Perception Trustworthiness level', "
        "closing the paragraph on the foundation models",
    ("model/qwen", "placedAtLevel", "level/perception"):
        "'However, at their core, they still focused on the Perception Trustworthiness level', "
        "closing the paragraph on the foundation models",
    ("model/internlm", "placedAtLevel", "level/perception"):
        "'However, at their core, they still focused on the Perception Trustworthiness level', "
        "closing the paragraph on the foundation models",
    ("model/llama-2-3", "usesLayer", "layer/approximate-alignment"):
        "'These models are then fine-tuned ..., representing techniques within the Approximate "
        "Alignment Layer'",
    ("model/qwen", "usesLayer", "layer/approximate-alignment"):
        "'These models are then fine-tuned ..., representing techniques within the Approximate "
        "Alignment Layer'",
    ("model/internlm", "usesLayer", "layer/approximate-alignment"):
        "'These models are then fine-tuned ..., representing techniques within the Approximate "
        "Alignment Layer'",
    ("model/llama-2-3", "usesLayer", "layer/intervenable"):
        "'through human-in-the-loop methods ... placing these methods within the Intervenable "
        "Layer', on the same models",
    ("model/qwen", "usesLayer", "layer/intervenable"):
        "'through human-in-the-loop methods ... placing these methods within the Intervenable "
        "Layer', on the same models",
    ("model/internlm", "usesLayer", "layer/intervenable"):
        "'through human-in-the-loop methods ... placing these methods within the Intervenable "
        "Layer', on the same models",
    ("model/llama-2-3", "usesTechnique", "technique/supervised-fine-tuning"):
        "'These models are then fine-tuned on specific tasks through supervised learning'",
    ("model/qwen", "usesTechnique", "technique/supervised-fine-tuning"):
        "'These models are then fine-tuned on specific tasks through supervised learning'",
    ("model/internlm", "usesTechnique", "technique/supervised-fine-tuning"):
        "'These models are then fine-tuned on specific tasks through supervised learning'",
    ("model/openai-o1-preview", "placedAtLevel", "level/reasoning"):
        "'Due to its incorporation of ... we also consider it to fall within the level of "
        "Reasoning Trustworthiness', 'it' being OpenAI-o1 (preview) of the sentence before",
    # section 4's trend across the levels
    ("framework/matrix", "increasingRelianceOn", "layer/reflectable"):
        "'As we progress through the levels of AGI trustworthiness, reliance on the Reflectable "
        "Layer increases' (the levels of the Matrix, section 4)",
}

#: the evidence of a level's own paragraph ("This level ensures ...") names the level by its
#: heading, "Level N: <name>.", just before: these properties are checked on the literal alone
LEVEL_PARAGRAPH = {AI45.definedAs, AI45.includes, AI45.ensures, AI45.requirement,
                   AI45.involves, AI45.emphasizes}


def fold(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).replace("[…]", " ")
    text = text.translate(str.maketrans({"\u2019": "'", "\u201c": '"', "\u201d": '"',
                                         "\u2013": "-", "\u2014": "-"}))
    return re.sub(r"\s+", " ", text).casefold()


@pytest.fixture(scope="module")
def fw() -> Graph:
    g = Graph().parse(paths.FRAMEWORK_FILE)
    g.parse(paths.ONTOLOGY_FILE)
    return g


def local(node: Node) -> str:
    if isinstance(node, Literal):
        return str(node)
    text = str(node)
    for base in (str(AI45R), str(AI45), str(RDF), str(SKOS)):
        if text.startswith(base):
            return text.removeprefix(base)
    return text


def names(g: Graph, node: Node) -> list[str]:
    return [fold(str(n)) for p in (RDFS.label, SKOS.altLabel, SKOS.hiddenLabel)
            for n in g.objects(node, p)]


def stated_statements(g: Graph) -> list[tuple[Node, Node, Node, list[str]]]:
    """Every annotated statement with at least one stated evidence, with its stated quotes."""
    out = []
    for ax in g.subjects(RDF.type, OWL.Axiom):
        quotes = [str(g.value(e, AI45.quote)) for e in g.objects(ax, AI45.evidence)
                  if g.value(e, AI45.evidenceStatus) == AI45.stated]
        if quotes:
            out.append((g.value(ax, OWL.annotatedSource), g.value(ax, OWL.annotatedProperty),
                        g.value(ax, OWL.annotatedTarget), quotes))
    return out


def states(g: Graph, s: Node, p: Node, o: Node, quotes: list[str]) -> bool:
    """Whether one of the quotes states the statement by the mechanical rules."""
    for quote in map(fold, quotes):
        if p == SKOS.altLabel or (p in LEVEL_PARAGRAPH and isinstance(o, Literal)):
            # a printed name or a level's own words: the quote prints it verbatim
            if fold(str(o)) in quote:
                return True
            continue
        if not any(n in quote for n in names(g, s)):
            continue
        if p == RDF.type:
            if o in KIND_WORDS and re.search(KIND_WORDS[o], quote):
                return True
        elif isinstance(o, Literal):
            if fold(str(o)) in quote:
                return True
        elif any(n in quote for n in names(g, o)):
            return True
    return False


def test_every_stated_statement_has_a_quote_that_states_it(fw: Graph) -> None:
    unsupported = []
    for s, p, o, quotes in stated_statements(fw):
        key = (local(s), "type" if p == RDF.type else local(p), local(o))
        if (s, RDF.type, AI45.LayerReliance) in fw:
            # the cells are the project's nodes for "the dependence on each layer ... varies
            # across levels"; their degrees are checked in test_framework_data
            continue
        if key in STRUCTURAL:
            continue
        if not states(fw, s, p, o, quotes):
            unsupported.append(key)
    assert unsupported == []


def test_the_structural_table_lists_only_stated_statements_of_the_graph(fw: Graph) -> None:
    """Every line of STRUCTURAL is a stated statement that the mechanical rules cannot check
    (a line they can check, or one that is not in the graph, is stale)."""
    stated = {(local(s), "type" if p == RDF.type else local(p), local(o)): (s, p, o, q)
              for s, p, o, q in stated_statements(fw)}
    stale = [k for k in STRUCTURAL if k not in stated]
    assert stale == []
    checkable = [k for k, (s, p, o, q) in stated.items()
                 if k in STRUCTURAL and states(fw, s, p, o, q)]
    assert checkable == []


def test_interpreted_statements_say_how_they_were_read(fw: Graph) -> None:
    for ev in fw.subjects(AI45.evidenceStatus, AI45.interpreted):
        assert fw.value(ev, AI45.interpretationNote) is not None, ev


@needs_paper
def test_every_name_presented_as_the_papers_is_printed_by_it(fw: Graph) -> None:
    """A concept's label is printed by one of the versions, or an axiom with interpreted
    evidence says the label is the project's; every alternative name is printed verbatim in
    the quote of its axiom (checked above) and so in the paper."""
    texts = normalise(paper_text(V103_FILE)) + " " + normalise(paper_text(V101_FILE))
    concepts = {s for s, c in fw.subject_objects(RDF.type)
                if (c, RDFS.subClassOf, AI45.FrameworkConcept) in fw}
    not_printed = []
    for c in concepts:
        label = str(fw.value(c, RDFS.label))
        if label in texts:
            continue
        owned = any(fw.value(ax, OWL.annotatedProperty) == RDFS.label
                    and fw.value(e, AI45.evidenceStatus) == AI45.interpreted
                    for ax in fw.subjects(OWL.annotatedSource, c)
                    for e in fw.objects(ax, AI45.evidence))
        if not owned:
            not_printed.append(label)
    assert not_printed == []
    for c, alt in fw.subject_objects(SKOS.altLabel):
        assert str(alt) in texts, (c, alt)


def test_alternative_names_are_the_papers_and_search_labels_the_projects(fw: Graph) -> None:
    """The printed alternative names, exactly: the paper's other names for its concepts."""
    alts = {(local(c), str(a)) for c, a in fw.subject_objects(SKOS.altLabel)}
    assert alts == {
        ("line/red-line", "Red Lines"),
        ("initiative/idais", "IDAIS"),
        ("framework/causal-ladder", "Causal Ladder"),
        ("framework/causal-ladder", "causal ladder of AGI"),
        ("layer/intervenable", "Interventable Layer"),
        ("technique/rlhf", "RLHF"),
        ("technique/rlaif", "RLAIF"),
        ("technique/mental-models", "world models"),
        ("governance/ai-safety-as-a-global-public-good", "Global Public Good"),
        ("practice/safety-guardrails", "guardrails"),
    }
    # names the paper never prints are the project's search labels, never alternative names
    hidden = {str(h) for h in fw.objects(None, SKOS.hiddenLabel)}
    assert {"SFT", "explicit controllable generation", "Intervenable", "AI-45 Law",
            "RSP"} <= hidden
