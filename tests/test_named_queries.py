"""Named queries: every .rq file parses and declares its parameters; each answers exactly what
the paper supports (answer sets worked out by reading the two texts)."""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import Dataset, URIRef
from rdflib.plugins.sparql import prepareQuery

from ai45kg.kg import queries as named
from ai45kg.kg.namespaces import AI45R
from ai45kg.kg.stores import load_built_dataset

V103 = "Towards AI-45° Law (version dated 2024-12-24, 103 references)"
V101 = "Towards AI-45° Law (undated version, 101 references)"
AA = {"supervised-fine-tuning", "machine-unlearning"}
INT = {"feedback-based-value-alignment", "scalable-oversight", "mechanistic-interpretability",
       "adversarial-training", "learning-from-x-feedback", "controllable-generation"}
REFL = {"mental-models", "value-reflection", "counterfactual-interpretability"}

#: concept -> reference numbers of the citation groups attached to it, per version, read off the
#: two texts (v103 = file 000, v101 = file 001)
CITATIONS: dict[str, tuple[set[int], set[int]]] = {
    "technique/supervised-fine-tuning": ({26}, {25}),
    "technique/machine-unlearning": ({23, 59, 29, 97, 31}, {28, 95, 30}),
    "technique/rlhf": ({78, 85, 69, 102}, {76, 83, 67, 100}),
    "technique/rlaif": ({8}, {8}),
    "technique/controllable-generation": ({53}, {52}),
    "technique/explicit-control-generation": ({87}, {85}),
    "technique/implicit-control-generation": ({103, 60}, {101, 58}),
    "technique/mechanistic-interpretability": ({10, 21, 80, 76, 100, 77}, {10, 21, 78, 74, 98, 75}),
    "technique/feedback-based-value-alignment": ({34}, {33}),
    "technique/scalable-oversight": ({12, 15}, {12, 15}),
    "technique/adversarial-training": ({75, 40}, {73, 39}),
    "family/intervention-based-methods": ({51}, {50}),
    # "reinforcement learning-based methods [85, 69] ... through reinforcement learning [86]",
    # and section 4's "human-in-the-loop methods, such as reinforcement learning [78, 85, 69]"
    "family/reinforcement-learning-based-methods": ({85, 69, 86, 78}, {83, 67, 84, 76}),
    "technique/value-reflection": ({71, 84, 82}, {69, 82, 80}),
    "technique/mental-models": ({33, 35, 21, 37}, {32, 34, 21, 36}),
    "technique/counterfactual-interpretability": ({61, 91, 90, 19, 20}, {59, 89, 88, 19, 20}),
    "threat/adversarial-attacks": ({75, 40}, {73, 39}),
    "threat/data-poisoning": ({17}, {17}),
    "threat/model-theft": ({99, 101}, {99, 97}),
    "practice/red-teaming": ({11, 72}, {11, 70}),
    "practice/watermarking": ({54, 48}, {53, 47}),
    "practice/safety-guardrails": ({65, 36, 56, 57, 28, 55, 52}, {63, 35, 55, 56, 27, 54, 51}),
    "practice/adversarial-defense-techniques": ({49}, {48}),
    "governance/lifecycle-management": ({44, 64, 39, 42}, {43, 62, 38, 41}),
    "governance/multi-stakeholders": ({25, 89}, {24, 87}),
    "governance/governance-for-good": ({70, 42}, {68, 41}),
    "governance/ai-safety-as-a-global-public-good": ({38, 95}, {37, 93}),
    "model/llama-2-3": ({88, 30}, {86, 29}),
    "model/qwen": ({6, 98}, {6, 96}),
    "model/internlm": ({16}, {16}),
    "model/openai-o1-preview": ({67}, {65}),
    "task/image-understanding": ({7, 93, 22, 27}, {7, 91, 22, 26}),
    "task/image-generation": ({94}, {92}),
    "task/video-generation": ({68}, {66}),
    # section 1.1 "Rapid Development of AI Capabilities": scaling laws, architecture and
    # compute, human-like language, NLP, creative problem-solving, risks, safety protocols
    "state/rapid-development-of-ai-capabilities": ({83, 45, 79, 81, 32, 63},
                                                   {81, 44, 77, 79, 31, 61}),
    "model/chatgpt": ({13}, {13}),
    "model/gpt-4": ({66}, {64}),
    # section 1.2 "Limitations of Current AI Safety Measures": the reactive approach, threats in
    # general, strategies in isolation
    "state/limitations-of-current-ai-safety-measures": ({5, 14, 62, 42, 41, 47, 18},
                                                        {5, 14, 60, 41, 40, 46, 18}),
    "line/red-line": ({9}, {9}),  # section 2.2: catastrophic risks
    "line/yellow-line": ({24, 3}, {23, 3}),  # section 2.3: the thresholds; the IDAIS statement
    "framework/causal-ladder": ({50, 58, 92, 43}, {49, 57, 90, 42}),  # section 3
    "layer/approximate-alignment": ({96, 46}, {94, 45}),  # section 3.1
    "layer/reflectable": ({82, 84, 71}, {80, 82, 69}),  # section 3.3: self-reflection, -correction
    "initiative/idais": ({2}, {2}),
    "initiative/responsible-scaling-policies": ({1, 4}, {1, 4}),
    "framework/ladder-of-causation": ({74}, {72}),
    "rung/counterfactual": ({73, 74}, {71, 72}),
}


@pytest.fixture(scope="module")
def ds(built_dist: Path) -> Dataset:
    return load_built_dataset(built_dist)


def run(ds: Dataset, name: str, **params: str) -> list[dict[str, str]]:
    q = named.load_all()[name]
    result = ds.query(q.text, initBindings=q.bind(params))
    names = [str(v) for v in result.vars or []]
    return [{n: ("" if v is None else str(v)) for n, v in zip(names, row, strict=True)}
            for row in result]


def slug(iri: str) -> str:
    return iri.removeprefix(str(AI45R))


def test_every_named_query_parses_and_declares_its_parameters() -> None:
    catalogue = named.load_all()
    assert set(catalogue) == {
        "techniques-for-level", "layer-techniques", "levels", "works-for-concept",
        "single-version-works", "citation-differences", "governance-measures",
        "red-line-risks", "representative-models", "why",
        # the analysts' report (issue 7)
        "coverage-techniques", "coverage-layers", "coverage-levels", "coverage-governance",
        "concepts-without-works", "evidence-years", "works-for-several-concepts",
        "import-additions", "matrix-evidence", "version-summary", "reference-renumbering",
        "single-version-evidence", "single-version-citation-groups", "concept-literature"}
    for q in catalogue.values():
        prepareQuery(q.text)
        assert q.title and q.description
        for p in q.params:
            assert f"?{p.name}" in q.text
            assert p.default is not None


def test_a_header_parameter_that_is_not_a_variable_is_refused(tmp_path: Path) -> None:
    (tmp_path / "bad.rq").write_text(
        "#+ summary: s\n#+ description: d\n#+ param: level | iri | x:y | a level\n"
        "SELECT ?x WHERE { ?x ?p ?o }\n")
    with pytest.raises(named.QueryFileError, match="not a variable"):
        named.load_all(tmp_path)


def test_a_running_service_sees_an_edited_query_within_a_recheck(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """kg.queries.catalogue re-reads the files once RECHECK_S has passed and a file changed;
    until then it answers from what it read (no stat of every file per request)."""
    clock = [1000.0]
    monkeypatch.setattr(named.time, "monotonic", lambda: clock[0])
    header = "#+ summary: {}\n#+ description: d\n"
    (tmp_path / "one.rq").write_text(header.format("first") + "ASK {}\n")
    first = named.catalogue(tmp_path)
    assert first.queries["one"].title == "first"
    (tmp_path / "one.rq").write_text(header.format("second, longer") + "ASK {}\n")
    (tmp_path / "two.rq").write_text(header.format("new") + "ASK {}\n")
    assert named.catalogue(tmp_path) is first  # within RECHECK_S
    clock[0] += named.RECHECK_S
    again = named.catalogue(tmp_path)
    assert again.stamp != first.stamp
    assert {n: q.title for n, q in again.queries.items()} == {"one": "second, longer",
                                                               "two": "new"}
    clock[0] += named.RECHECK_S
    assert named.catalogue(tmp_path) is again  # nothing changed: nothing parsed


def test_parameters_are_typed_and_checked() -> None:
    q = named.load_all()["techniques-for-level"]
    assert q.bind({}) == {"level": AI45R["level/autonomy"]}
    assert q.bind({"level": "level:perception"}) == {"level": AI45R["level/perception"]}
    with pytest.raises(named.ParamError, match="allowed: level"):
        q.bind({"lvl": "x"})
    with pytest.raises(named.ParamError, match="must be an IRI"):
        q.bind({"level": "not an iri"})


def test_techniques_supporting_autonomy_trustworthiness(ds: Dataset) -> None:
    rows = run(ds, "techniques-for-level")
    assert {slug(r["technique"]).removeprefix("technique/") for r in rows} == AA | INT | REFL
    assert len(rows) == 11
    # ranked by reliance: every layer is relied on highly at Autonomy, Reflectable first
    assert {r["degreeLabel"] for r in rows} == {"high"}
    assert [r["layerLabel"] for r in rows[:3]] == ["Reflectable Layer"] * 3
    assert all(r["status"] == "interpreted" and r["evidence"] for r in rows)


def test_perception_needs_no_reflectable_technique(ds: Dataset) -> None:
    rows = run(ds, "techniques-for-level", level="level:perception")
    assert {slug(r["technique"]).removeprefix("technique/") for r in rows} == AA | INT


def test_reasoning_is_ranked_by_reliance(ds: Dataset) -> None:
    rows = run(ds, "techniques-for-level", level=str(AI45R["level/reasoning"]))
    ranks = [int(r["degreeRank"]) for r in rows]
    assert ranks == sorted(ranks, reverse=True)
    last = rows[-3:]
    assert {r["layerLabel"] for r in last} == {"Reflectable Layer"}
    assert {r["degreeLabel"] for r in last} == {"limited"}
    assert {r["status"] for r in last} == {"stated"}


def test_techniques_of_each_layer_with_rung_and_question(ds: Dataset) -> None:
    rows = run(ds, "layer-techniques")
    by_layer: dict[str, set[str]] = {}
    for r in rows:
        by_layer.setdefault(r["layerLabel"], set()).add(slug(r["technique"])[10:])
    assert by_layer == {"Approximate Alignment Layer": AA, "Intervenable Layer": INT,
                        "Reflectable Layer": REFL}
    rungs = {(r["layerLabel"], r["rungLabel"], r["question"]) for r in rows}
    assert rungs == {
        ("Approximate Alignment Layer", "association", "What is it"),
        ("Intervenable Layer", "intervention", "What will happen if X is intervened on?"),
        ("Reflectable Layer", "counterfactual",
         "What would have happened if a different choice had been made?"),
    }
    assert [r["layerRank"] for r in rows] == sorted(r["layerRank"] for r in rows)


def test_levels_in_order_with_their_reliance(ds: Dataset) -> None:
    rows = run(ds, "levels")
    assert len(rows) == 15
    order = list(dict.fromkeys(r["levelLabel"] for r in rows))
    assert order == ["Perception Trustworthiness", "Reasoning Trustworthiness",
                     "Decision-making Trustworthiness", "Autonomy Trustworthiness",
                     "Collaboration Trustworthiness"]
    reflectable = [(r["degreeLabel"], r["status"]) for r in rows
                   if r["layerLabel"] == "Reflectable Layer"]
    assert reflectable == [("none", "stated"), ("limited", "stated"),
                           ("moderate", "interpreted"), ("high", "interpreted"),
                           ("very high", "interpreted")]
    builds = {r["levelLabel"]: r["buildsOnLabel"] for r in rows}
    assert builds["Perception Trustworthiness"] == ""
    assert builds["Collaboration Trustworthiness"] == "Autonomy Trustworthiness"


@pytest.mark.parametrize("concept", sorted(CITATIONS))
def test_every_concept_cites_what_the_paper_cites_in_both_versions(ds: Dataset,
                                                                    concept: str) -> None:
    rows = run(ds, "works-for-concept", concept=str(AI45R[concept]))
    got103 = {int(r["referenceNumber"]) for r in rows if r["versionLabel"] == V103}
    got101 = {int(r["referenceNumber"]) for r in rows if r["versionLabel"] == V101}
    assert (got103, got101) == CITATIONS[concept]


def test_no_other_concept_has_citations(ds: Dataset) -> None:
    q = """SELECT DISTINCT ?c WHERE { ?g <https://w3id.org/ai45/ontology#supportsConcept> ?c }"""
    assert {slug(str(r[0])) for r in ds.query(q)} == set(CITATIONS)


def test_works_for_machine_unlearning_have_titles_and_years(ds: Dataset) -> None:
    rows = run(ds, "works-for-concept")
    eldan = [r for r in rows if r["title"].startswith("Who’s harry potter")]
    assert {(r["versionLabel"], r["referenceNumber"], r["year"]) for r in eldan} == {
        (V103, "31", "2023"), (V101, "30", "2023")}
    assert {r["section"] for r in rows} == {"3.1"}


def test_works_cited_in_one_version_only(ds: Dataset) -> None:
    rows = run(ds, "single-version-works")
    assert [(r["versionLabel"], r["referenceNumber"], r["title"]) for r in rows] == [
        (V103, "23", "Machine unlearning doesn’t do what you think: Lessons for generative ai "
                     "policy, research, and practice"),
        (V103, "59", "Machine unlearning in generative ai: A survey"),
    ]


def test_citation_groups_that_differ_between_versions(ds: Dataset) -> None:
    rows = run(ds, "citation-differences")
    assert [(slug(r["concept"]), r["section"], r["versionLabel"], r["referenceNumber"])
            for r in rows] == [
        ("technique/machine-unlearning", "3.1", V103, "23"),
        ("technique/machine-unlearning", "3.1", V103, "59"),
    ]


def test_reference_counts_per_version(ds: Dataset) -> None:
    q = """PREFIX ai45: <https://w3id.org/ai45/ontology#>
    SELECT ?v ?n (COUNT(?r) AS ?m) WHERE { ?v ai45:referenceCount ?n . ?r ai45:referenceIn ?v }
    GROUP BY ?v ?n"""
    counts = {slug(str(v)): (int(n), int(m)) for v, n, m in ds.query(q)}  # type: ignore[misc]
    assert counts == {"paper/towards-ai-45-law/v103": (103, 103),
                      "paper/towards-ai-45-law/v101": (101, 101)}


def test_governance_measures_and_their_works(ds: Dataset) -> None:
    rows = run(ds, "governance-measures")
    works: dict[str, set[str]] = {}
    for r in rows:
        works.setdefault(r["measureLabel"], set()).add(r["title"].split(":")[0].lower())
    assert works == {
        "Lifecycle management": {"when code isn’t law", "accountability in artificial "
                                 "intelligence", "stabilizing translucencies",
                                 "from pixels to principles"},
        "Multi-stakeholders": {"artificial intelligence regulation",
                               "value sensitive design and responsible innovation"},
        "Governance for good": {"a ‘biased’ emerging governance regime for artificial "
                                "intelligence? how ai ethics get skewed moving from principles "
                                "to practices", "from pixels to principles"},
        "AI safety as a global public good": {"an overview of catastrophic ai risks",
                                              "“ai safety as global public goods” working report"},
    }


def test_red_line_risks(ds: Dataset) -> None:
    rows = run(ds, "red-line-risks")
    assert [r["riskLabel"] for r in rows] == [
        "assisting weapon development", "autonomous replication or improvement",
        "cyberattacks", "deception", "power-seeking"]
    assert {r["proposedByLabel"] for r in rows} == {"International Dialogues on AI Safety"}
    assert {r["section"] for r in rows} == {"2.2"}


def test_representative_models_and_their_placement(ds: Dataset) -> None:
    rows = run(ds, "representative-models")
    placed = {(r["modelLabel"], r["levelLabel"], r["layerLabel"], r["status"]) for r in rows}
    assert placed == {
        ("Llama2/3", "Perception Trustworthiness", "Approximate Alignment Layer", "stated"),
        ("Llama2/3", "Perception Trustworthiness", "Intervenable Layer", "stated"),
        ("Qwen", "Perception Trustworthiness", "Approximate Alignment Layer", "stated"),
        ("Qwen", "Perception Trustworthiness", "Intervenable Layer", "stated"),
        ("InternLM", "Perception Trustworthiness", "Approximate Alignment Layer", "stated"),
        ("InternLM", "Perception Trustworthiness", "Intervenable Layer", "stated"),
        ("OpenAI-o1 (preview)", "Reasoning Trustworthiness", "Reflectable Layer", "stated"),
    }


def test_why_gives_the_quote_behind_a_statement(ds: Dataset) -> None:
    rows = run(ds, "why", resource="technique:machine-unlearning")
    in_layer = [r for r in rows if r["propertyLabel"] == "in layer"]
    assert [(r["valueLabel"], r["status"], r["section"], r["quote"]) for r in in_layer] == [
        ("Approximate Alignment Layer", "stated", "3.1",
         "Key methods include, but are not limited to, supervised fine-tuning and machine "
         "unlearning.")]
    assert set(in_layer[0]["versions"].split(" | ")) == {V103, V101}
    inferred = {r["valueLabel"] for r in rows if r["status"] == "inferred"
                and r["propertyLabel"] == "supports level"}
    assert inferred == {"Perception Trustworthiness", "Reasoning Trustworthiness",
                        "Decision-making Trustworthiness", "Autonomy Trustworthiness",
                        "Collaboration Trustworthiness"}
    assert {r["rule"] for r in rows if r["propertyLabel"] == "supports level"} == {
        "Layer reliance rule"}


def test_why_tells_interpreted_from_stated(ds: Dataset) -> None:
    rows = run(ds, "why", resource=str(AI45R["reliance/decision-making-reflectable"]))
    degree = [r for r in rows if r["propertyLabel"] == "reliance degree"]
    assert [(r["valueLabel"], r["status"]) for r in degree] == [("moderate", "interpreted")]


def test_unknown_resource_has_no_statements(ds: Dataset) -> None:
    assert run(ds, "why", resource=str(URIRef("https://w3id.org/ai45/id/technique/nope"))) == []
