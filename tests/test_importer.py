"""The paper importer (kg/paper/): reference lists, shared works, citation groups, Turtle.

The expected values were read off the two texts in ../shared/paper by hand; tests that need those
texts skip when they are absent. The fixtures in tests/fixtures/importer cover malformed input.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import FOAF, RDF, SKOS, XSD

from ai45kg.kg import paths
from ai45kg.kg.concepts import load_concept_labels
from ai45kg.kg.namespaces import AI45, AI45R, CITO
from ai45kg.kg.paper import (
    ImportResult,
    PaperImportError,
    ParsedCitation,
    ParsedReference,
    import_papers,
    match_concept,
    parse_citations,
    parse_entry,
    parse_references,
    turtle_text,
    work_slug,
    write_bibliography,
)

FILE_000 = "000_f256b45877e1ef53.txt"
FILE_001 = "001_08170e784c781668.txt"
V103 = AI45R["paper/towards-ai-45-law/v103"]
V101 = AI45R["paper/towards-ai-45-law/v101"]
FIXTURES = Path(__file__).parent / "fixtures" / "importer"
TEST_VERSION = URIRef("https://w3id.org/ai45/id/paper/test/v1")

needs_paper = pytest.mark.skipif(
    not (paths.PAPER_TEXT_DIR / FILE_000).exists()
    or not (paths.PAPER_TEXT_DIR / FILE_001).exists(),
    reason="the paper texts in ../shared/paper are not present",
)


def _text(name: str) -> str:
    return (paths.PAPER_TEXT_DIR / name).read_text(encoding="utf-8")


def _ref(refs: list[ParsedReference], number: int) -> ParsedReference:
    return next(r for r in refs if r.number == number)


def _concept(name: str) -> URIRef:
    return AI45R[name]


#: a test-local label set, so these tests do not depend on framework.ttl's exact content
LABELS: dict[URIRef, list[str]] = {
    _concept("technique/machine-unlearning"): ["Machine Unlearning"],
    _concept("technique/rlhf"): ["reinforcement learning from human feedback", "RLHF"],
    _concept("technique/rlaif"): ["reinforcement learning from AI feedback", "RLAIF"],
    _concept("technique/controllable-generation"): ["Controllable Generation"],
    _concept("technique/explicit-control-generation"): ["Explicit control generation"],
    _concept("technique/implicit-control-generation"): ["Implicit control generation"],
    _concept("technique/mental-models"): ["Mental Models", "world models"],
    _concept("technique/counterfactual-interpretability"): ["Counterfactual Interpretability"],
    _concept("family/intervention-based-methods"): [
        "intervention-based methods",
        "intervention-based",
    ],
    _concept("threat/adversarial-attacks"): ["adversarial attacks"],
    _concept("threat/model-theft"): ["model theft"],
    _concept("initiative/idais"): ["International Dialogues on AI Safety", "IDAIS"],
    _concept("framework/ladder-of-causation"): ["Ladder of Causation"],
    _concept("rung/association"): ["association"],
    _concept("rung/intervention"): ["intervention"],
    _concept("rung/counterfactual"): ["counterfactual"],
    _concept("model/openai-o1"): ["OpenAI-o1 (preview)"],
}


@pytest.fixture(scope="module")
def paper_import() -> ImportResult:
    """Both texts imported once with the test-local labels."""
    return import_papers([paths.PAPER_TEXT_DIR / FILE_000, paths.PAPER_TEXT_DIR / FILE_001], LABELS)


def _select(graph: Graph, query: str, **bindings: object) -> list[tuple]:
    prefixes = "PREFIX ai45: <https://w3id.org/ai45/ontology#>\nPREFIX cito: <http://purl.org/spar/cito/>\n"
    return [tuple(row) for row in graph.query(prefixes + query, initBindings=bindings)]


def _work_of(graph: Graph, version: URIRef, number: int) -> URIRef:
    work = graph.value(URIRef(f"{version}/ref/{number}"), AI45.refersTo)
    assert isinstance(work, URIRef), f"{version} [{number}] has no work"
    return work


# ---------------------------------------------------------------------------
# Reference lists
# ---------------------------------------------------------------------------


@needs_paper
@pytest.mark.parametrize(("name", "count"), [(FILE_000, 103), (FILE_001, 101)])
def test_reference_lists_have_their_exact_length_numbered_without_gaps(
    name: str, count: int
) -> None:
    refs, warnings = parse_references(_text(name))
    assert len(refs) == count
    assert [r.number for r in refs] == list(range(1, count + 1))
    assert not any("no entry numbered" in w for w in warnings)


@needs_paper
def test_entries_of_file_000_are_split_into_their_fields() -> None:
    refs, _ = parse_references(_text(FILE_000))
    bereska = _ref(refs, 10)
    assert bereska.authors == ["Leonard Bereska", "Efstratios Gavves"]
    assert bereska.title == "Mechanistic interpretability for ai safety—a review"
    assert (bereska.year, bereska.venue, bereska.arxiv) == (2024, "arXiv preprint", "2404.14082")
    assert (bereska.doi, bereska.url, bereska.accessed, bereska.et_al) == (None, None, None, False)

    bowman = _ref(refs, 12)  # et al., and a non-ASCII name (misspelt in this file)
    assert bowman.et_al is True
    assert len(bowman.authors) == 10
    assert bowman.authors[6] == "Kamilė Lukošiuūtė"

    ha = _ref(refs, 37)
    assert ha.authors == ["David Ha", "Jürgen Schmidhuber"]
    assert ha.venue == "Advances in neural information processing systems"
    assert ha.year == 2018

    cooper = _ref(refs, 23)  # 35 authors, initials with full stops, a lower-case name
    assert len(cooper.authors) == 35
    assert cooper.authors[:2] == ["A. Feder Cooper", "Christopher A. Choquette-Choo"]
    assert "danah boyd" in cooper.authors
    assert cooper.title.startswith("Machine unlearning doesn’t do what you think")
    assert cooper.year == 2024 and cooper.venue is None

    harry = _ref(refs, 31)  # a "?" inside the title
    assert harry.title == "Who’s harry potter? approximate unlearning in llms"

    zhou = _ref(refs, 102)  # an editor list before the venue
    assert zhou.venue == "Findings of the Association for Computational Linguistics: ACL 2024"
    assert zhou.year == 2024

    rayhan = _ref(refs, 79)  # DOI in angle brackets, year in parentheses after the title
    assert rayhan.doi == "10.13140/rg.2.34900.99200"
    assert (
        rayhan.title
        == "Natural language processing: transforming how machines understand human language"
    )
    assert rayhan.year == 2023 and rayhan.url is None

    lawless = _ref(refs, 47)  # book title in emphasis, ending in "?"
    assert lawless.title == "Evaluations: autonomy and artificial intelligence: a threat or savior?"
    assert (lawless.venue, lawless.year) == ("Springer", 2017)


@needs_paper
def test_entries_without_author_or_with_an_organisation_author() -> None:
    refs, _ = parse_references(_text(FILE_000))
    rsp = _ref(refs, 1)
    assert rsp.authors == []
    assert rsp.title == "Responsible scaling policy"
    assert rsp.url == "https://www.anthropic.com/news/anthropics-responsible-scaling-policy"
    assert (rsp.year, rsp.accessed, rsp.venue) == (2023, date(2023, 9, 19), None)

    cais = _ref(refs, 32)
    assert cais.authors == ["Center for AI Safety"]
    assert (cais.title, cais.year, cais.accessed) == (
        "Statement on ai risk",
        2024,
        date(2023, 5, 30),
    )

    assert [_ref(refs, n).authors for n in (66, 67, 68)] == [["OpenAI"]] * 3
    assert _ref(refs, 66).title == "GPT-4 technical report" and _ref(refs, 66).year == 2023
    assert _ref(refs, 67).title == "Openai o1 system card"


@needs_paper
def test_the_capitalised_title_fragment_of_000_48_is_not_an_author() -> None:
    refs, warnings = parse_references(_text(FILE_000))
    entry = _ref(refs, 48)
    assert entry.authors == []
    assert entry.title == "Learning to watermark llm-generated text via reinforcement learning"
    assert entry.year is None
    assert any(w.startswith("line 223:") and "VIA REINFORCEMENT LEARNING" in w for w in warnings)


@needs_paper
def test_entries_of_file_001_are_split_into_their_fields() -> None:
    refs, warnings = parse_references(_text(FILE_001))
    assert (
        _ref(refs, 1).url == "https://www.anthropic.com/news/anthropics-responsible-scaling-policy"
    )
    assert _ref(refs, 10).title == "Mechanistic interpretability for ai safety–a review"
    assert _ref(refs, 24).authors[0] == "Patricia Gomes Rêgo de Almeida"
    assert _ref(refs, 35).title.startswith("Mllmguard:")
    carlsmith = _ref(refs, 18)  # "?" then an unemphasised venue
    assert carlsmith.title == "Is power-seeking ai an existential risk?"
    assert (carlsmith.venue, carlsmith.arxiv, carlsmith.year) == (
        "arXiv preprint",
        "2206.13353",
        2022,
    )
    assert _ref(refs, 46).venue == "Springer"
    renze = _ref(refs, 79)  # stray "arxiv 2024." between title and venue
    assert renze.title == "Self-reflection in llm agents: Effects on problem-solving performance"
    assert (renze.authors, renze.year, renze.arxiv) == (["M Renze", "E Guven"], 2024, "2405.06682")


@needs_paper
def test_the_garbled_doi_of_001_is_repaired_with_a_warning_naming_the_line() -> None:
    refs, warnings = parse_references(_text(FILE_001))
    assert _ref(refs, 77).doi == "10.13140/rg.2.34900.99200"
    assert any(w.startswith("line 151:") and "garbled DOI" in w for w in warnings)


def test_a_doi_that_cannot_be_repaired_is_left_out_with_a_warning() -> None:
    ref, problems = parse_entry(1, "Jane Doe. A title. DOI: https://doi.org/not-a-doi.", 9)
    assert ref is not None and ref.doi is None
    assert problems and "not a valid DOI" in problems[0]


def test_malformed_reference_lines_are_named_and_the_rest_imported() -> None:
    refs, warnings = parse_references((FIXTURES / "malformed.txt").read_text(encoding="utf-8"))
    assert [r.number for r in refs] == [1, 2, 3, 4, 5, 6]
    assert any(w.startswith("line 15: '- [x] foo'") and "not a number" in w for w in warnings)
    assert any(w.startswith("line 20: '- [7]'") and "empty" in w for w in warnings)
    lovelace, cais, rsp, hopper, kaplan, accents = refs
    assert lovelace.authors == ["Ada Lovelace", "Charles Babbage"] and lovelace.year == 1843
    assert lovelace.venue == "Scientific Memoirs"
    assert cais.authors == ["Center for AI Safety"]
    assert rsp.authors == [] and rsp.accessed == date(2023, 9, 19)
    assert hopper.authors == ["Grace Hopper"] and hopper.et_al
    assert hopper.venue == "Proceedings of the ACM National Meeting"
    assert kaplan.authors == ["Jared Kaplan", "Sam McCandlish", "Dario Amodei"]
    assert accents.doi == "10.1234/abc.5" and accents.title == "A títle with accents—and dashes"


def test_a_text_without_references_line_gives_a_warning() -> None:
    refs, warnings = parse_references("Just a body [1].\n")
    assert refs == [] and warnings and "References" in warnings[0]


# ---------------------------------------------------------------------------
# Citation groups and concepts
# ---------------------------------------------------------------------------


@needs_paper
@pytest.mark.parametrize(("name", "count"), [(FILE_000, 66), (FILE_001, 65)])
def test_every_citation_group_of_the_body_is_found(name: str, count: int) -> None:
    groups = parse_citations(_text(name))
    assert len(groups) == count
    assert [g.order for g in groups] == list(range(1, count + 1))
    assert all(len(g.anchor) <= 80 for g in groups)


@needs_paper
@pytest.mark.parametrize(
    ("name", "numbers"), [(FILE_000, [23, 59, 29, 97, 31]), (FILE_001, [28, 95, 30])]
)
def test_the_machine_unlearning_group_sits_in_section_3_1(name: str, numbers: list[int]) -> None:
    groups = [g for g in parse_citations(_text(name)) if g.anchor == "Machine Unlearning"]
    assert len(groups) == 1
    group = groups[0]
    assert (group.section, group.numbers, group.order) == ("3.1", numbers, 31)
    assert group.content == "[" + ", ".join(map(str, numbers)) + "]"


@needs_paper
def test_sections_follow_the_headings() -> None:
    sections = [g.section for g in parse_citations(_text(FILE_000))]
    assert sections[0] == "1.1"
    assert sorted(set(sections)) == [
        "1.1",
        "1.2",
        "1.3",
        "2.2",
        "2.3",
        "3",
        "3.1",
        "3.2",
        "3.3",
        "4",
        "5",
    ]
    assert "3.3" in [g.section for g in parse_citations(_text(FILE_001))]


def test_sections_and_anchors_of_a_small_text() -> None:
    groups = parse_citations((FIXTURES / "malformed.txt").read_text(encoding="utf-8"))
    assert [(g.section, g.numbers) for g in groups] == [
        ("abstract", [1, 2]),
        ("abstract", [3]),
        ("1", [4]),
        ("1", [5]),
        ("1", [6, 9]),
    ]
    assert groups[0].anchor == "We cite Machine Unlearning"


def _citation(before: str) -> ParsedCitation:
    """A group whose sentence ends with ``before`` (the matcher reads only that)."""
    return ParsedCitation(
        order=1, section="3.2", numbers=[1], content="[1]", anchor=before[-60:], sentence=before
    )


@pytest.mark.parametrize(
    ("sentence", "concept"),
    [
        ("Machine Unlearning", "technique/machine-unlearning"),
        ("Various threats [14, 62], including adversarial attacks", "threat/adversarial-attacks"),
        ("such as reinforcement learning from human feedback (RLHF)", "technique/rlhf"),
        ("As mentioned in the International Dialogues on AI Safety (IDAIS)", "initiative/idais"),
        ("a framework based on the “Ladder of Causation”", "framework/ladder-of-causation"),
        (
            "Technologies relevant to this layer include intervention-based",
            "family/intervention-based-methods",
        ),
        ("the most advanced reasoning models, OpenAI-o1 (preview)", "model/openai-o1"),
        (
            "Controllable Generation [53]: Explicit control generation involves clearly "
            "defined instructions, directing the model to generate text in a Shakespearean or "
            "humorous tone",
            "technique/explicit-control-generation",
        ),
        (
            "This layer corresponds to the “counterfactual” level of the ladder of causation, "
            "enabling the AI to infer counterfactual scenarios by contemplating hypothetical "
            "conditions and evaluating outcomes under varying circumstances",
            "rung/counterfactual",
        ),
        ("Mental Models [33, 35, 21], or called world models", "technique/mental-models"),
    ],
)
def test_the_concept_matcher_resolves_the_papers_cases(sentence: str, concept: str) -> None:
    assert match_concept(_citation(sentence), LABELS) == _concept(concept)


@pytest.mark.parametrize(
    "sentence",
    [
        "driven by innovations in scaling laws",
        "However, these models often lack the capacity for genuine self-reflection",
        "the need for interventions",  # "intervention" must stand at a word boundary
    ],
)
def test_the_concept_matcher_leaves_unnamed_groups_unmatched(sentence: str) -> None:
    assert match_concept(_citation(sentence), LABELS) is None


def test_rule_two_only_reads_the_current_sentence() -> None:
    text = "Machine Unlearning is old. Nothing here names a concept"
    assert match_concept(_citation(text), LABELS) is None


def test_a_name_with_its_own_bracket_does_not_take_a_later_one() -> None:
    """"AI systems like ChatGPT [13] and GPT-4 [66], which ... human-like language [79]": [79]
    is about language, not about GPT-4, which has its bracket."""
    labels = {_concept("model/gpt-4"): ["GPT-4"], _concept("state/rapid"): ["Rapid Development"]}
    sentence = "systems like GPT-4 [66], which demonstrate human-like language"
    assert match_concept(_citation(sentence), labels) is None
    cit = ParsedCitation(order=1, section="1.1", numbers=[79], content="[79]", anchor=sentence,
                         sentence=sentence, alone=False, heading="Rapid Development of AI")
    assert match_concept(cit, labels) == _concept("state/rapid")


def test_an_only_bracket_takes_the_name_later_in_its_sentence() -> None:
    before = "Furthermore, through human-in-the-loop methods, such as reinforcement learning"
    after = "can be applied across tasks, placing these methods within the Intervenable Layer"
    labels = {_concept("layer/intervenable"): ["Intervenable Layer"]}
    alone = ParsedCitation(order=1, section="4", numbers=[78], content="[78]", anchor=before,
                           sentence=before, after=after, alone=True)
    assert match_concept(alone, labels) == _concept("layer/intervenable")
    shared = ParsedCitation(order=1, section="4", numbers=[78], content="[78]", anchor=before,
                            sentence=before, after=after, alone=False)
    assert match_concept(shared, labels) is None


def test_the_heading_names_the_concept_when_the_sentence_does_not() -> None:
    labels = {_concept("line/yellow-line"): ["Yellow Line"],
              _concept("line/red-line"): ["Red Line"]}
    cit = ParsedCitation(order=1, section="2.3", numbers=[24], content="[24]",
                         anchor="that define these thresholds",
                         sentence="the appropriate boundaries that define these thresholds",
                         alone=True, heading="Yellow Line: Early Warning Indicators and Proactive "
                                             "Mitigation")
    assert match_concept(cit, labels) == _concept("line/yellow-line")


@needs_paper
def test_every_group_knows_its_heading_and_whether_it_is_alone() -> None:
    groups = {g.order: g for g in parse_citations(_text(FILE_000))}
    assert groups[1].heading == "Rapid Development of AI Capabilities"
    assert groups[23].heading == "Yellow Line: Early Warning Indicators and Proactive Mitigation"
    assert (groups[21].alone, groups[1].alone) == (True, False)
    assert groups[21].after == "which could even become existential threats to humanity"


@needs_paper
def test_the_matcher_on_the_real_groups(paper_import: ImportResult) -> None:
    rows = _select(
        paper_import.graph,
        "SELECT ?c ?x WHERE { ?c ai45:inVersion ?v ; ai45:supportsConcept ?x }",
        v=V103,
    )
    by_group = {int(str(c).rsplit("/", 1)[1]): x for c, x in rows}
    assert by_group[31] == _concept("technique/machine-unlearning")
    assert by_group[22] == _concept("initiative/idais")
    assert by_group[39] == _concept("technique/rlhf")
    assert by_group[40] == _concept("technique/rlaif")
    assert by_group[42] == _concept("technique/explicit-control-generation")
    assert by_group[47] == _concept("rung/counterfactual")
    assert 1 not in by_group  # "scaling laws [83]": no test-local label names it


@needs_paper
def test_authors_are_people_shared_across_works(paper_import: ImportResult) -> None:
    """One person per printed name, in author order; a paper author is the same resource."""
    graph = paper_import.graph
    lu = AI45R["person/chaochao-lu"]
    rows = _select(graph, "SELECT ?w ?pos WHERE { ?w ai45:hasAuthorship ?a . ?a ai45:author ?p ; "
                          "ai45:authorPosition ?pos }", p=lu)
    assert sorted((str(w).rsplit("/", 1)[1], int(pos)) for w, pos in rows) == [
        ("chen-2024-cello-causal-evaluation-large", 4),
        ("chen-2024-imitation-introspection-probing-self", 4),
        ("chen-2024-quantifying-mitigating-unimodal-biases", 4),
    ]
    assert (lu, RDF.type, FOAF.Person) in graph and graph.value(lu, FOAF.name) == Literal(
        "Chaochao Lu")
    # the paper's own authors are described in paper.ttl, not given a second definition here
    assert graph.value(lu, SKOS.definition) is None
    assert graph.value(AI45R["person/leonard-bereska"], SKOS.definition) is not None
    # organisations keep the printed name only
    assert not any("center-for-ai-safety" in str(p) for p in graph.subjects(RDF.type, FOAF.Person))


def test_concept_labels_come_from_framework_concepts_only(tmp_path: Path) -> None:
    labels = load_concept_labels(FIXTURES / "framework.ttl", paths.ONTOLOGY_FILE)
    assert labels == {
        _concept("technique/machine-unlearning"): ["Machine Unlearning", "machine-unlearning"],
        _concept("threat/model-theft"): ["model theft"],
    }
    assert load_concept_labels(tmp_path / "absent.ttl", paths.ONTOLOGY_FILE) == {}


# ---------------------------------------------------------------------------
# Cited works shared across the versions
# ---------------------------------------------------------------------------


@needs_paper
def test_entries_of_both_versions_share_102_works(paper_import: ImportResult) -> None:
    graph = paper_import.graph
    works = set(graph.subjects(RDF.type, AI45.CitedWork))
    assert len(works) == 102
    assert len(set(graph.objects(V103, CITO.cites))) == 102  # 103 entries, [81] and [82] one work
    assert len(set(graph.objects(V101, CITO.cites))) == 100  # 101 entries, [79] and [80] one work
    assert graph.value(V103, AI45.referenceCount) == Literal(103)
    assert graph.value(V101, AI45.referenceCount) == Literal(101)
    assert _work_of(graph, V103, 81) == _work_of(graph, V103, 82) == _work_of(graph, V101, 79)
    assert _work_of(graph, V101, 79) == _work_of(graph, V101, 80)


@needs_paper
def test_only_two_machine_unlearning_works_are_missing_from_v101(
    paper_import: ImportResult,
) -> None:
    graph = paper_import.graph
    only_v103 = set(graph.objects(V103, CITO.cites)) - set(graph.objects(V101, CITO.cites))
    assert only_v103 == {_work_of(graph, V103, 23), _work_of(graph, V103, 59)}
    assert only_v103 == {
        AI45R["work/cooper-2024-machine-unlearning-doesnt-think"],
        AI45R["work/liu-2024-machine-unlearning-generative-ai"],
    }
    assert set(graph.objects(V101, CITO.cites)) <= set(graph.objects(V103, CITO.cites))
    for n_103, n_101 in ((29, 28), (97, 95), (31, 30)):
        assert _work_of(graph, V103, n_103) == _work_of(graph, V101, n_101)


@needs_paper
@pytest.mark.parametrize(
    ("n_103", "n_101", "slug"),
    [
        (10, 10, "bereska-2024-mechanistic-interpretability-ai-safety"),
        (74, 72, "pearl-2018-book-why-new-science"),
        (99, 97, "zeng-2023-huref-human-readable-fingerprint"),
        (101, 99, "zhang-2024-reef-representation-encoding-fingerprints"),
        (36, 35, "gu-2024-mllmgaurd-multi-dimensional-safety"),  # by fuzzy title
        (70, 68, "palladino-2023-biased-emerging-governance-regime"),
        (79, 77, "rayhan-2023-natural-language-processing-transforming"),  # by the repaired DOI
        (48, 47, "learning-watermark-llm-generated-text"),
        (1, 1, "responsible-2023-scaling-policy"),
    ],
)
def test_works_are_renumbered_between_versions(
    paper_import: ImportResult, n_103: int, n_101: int, slug: str
) -> None:
    assert _work_of(paper_import.graph, V103, n_103) == AI45R[f"work/{slug}"]
    assert _work_of(paper_import.graph, V101, n_101) == AI45R[f"work/{slug}"]


@needs_paper
def test_the_only_fuzzy_match_is_the_mllmguard_typo(paper_import: ImportResult) -> None:
    assert len(paper_import.fuzzy_matches) == 1
    assert "Mllmguard" in paper_import.fuzzy_matches[0]
    assert "Mllmgaurd" in paper_import.fuzzy_matches[0]


@needs_paper
def test_a_work_keeps_the_printing_of_file_000(paper_import: ImportResult) -> None:
    graph = paper_import.graph
    bowman = _work_of(graph, V101, 12)
    names = {
        str(graph.value(a, AI45.authorName)) for a in graph.objects(bowman, AI45.hasAuthorship)
    }
    assert "Kamilė Lukošiuūtė" in names and "Kamilė Lukošiūtė" not in names
    assert any("Lukošiūtė" in n for n in paper_import.notes)
    renze = _work_of(graph, V103, 81)  # of two entries of one list, the fuller author list
    first = URIRef(f"{renze}/author/1")
    assert graph.value(first, AI45.authorName) == Literal("Matthew Renze")
    assert graph.value(first, AI45.authorPosition) == Literal("1", datatype=XSD.positiveInteger)


@needs_paper
def test_work_fields_and_types(paper_import: ImportResult) -> None:
    graph = paper_import.graph
    bereska = AI45R["work/bereska-2024-mechanistic-interpretability-ai-safety"]
    assert graph.value(bereska, AI45.arxivId) == Literal("2404.14082")
    assert graph.value(bereska, AI45.venue) == Literal("arXiv preprint")
    issued = graph.value(bereska, URIRef("http://purl.org/dc/terms/issued"))
    assert issued == Literal("2024", datatype=XSD.gYear)
    rsp = AI45R["work/responsible-2023-scaling-policy"]
    assert graph.value(rsp, AI45.accessed) == Literal("2023-09-19", datatype=XSD.date)
    assert graph.value(rsp, AI45.url) == Literal(
        "https://www.anthropic.com/news/anthropics-responsible-scaling-policy", datatype=XSD.anyURI
    )
    assert graph.value(AI45R["work/bai-2023-qwen-technical-report"], AI45.etAl) == Literal(True)
    assert graph.value(_work_of(graph, V103, 79), AI45.doi) == Literal("10.13140/rg.2.34900.99200")


def test_slugs_are_stable() -> None:
    def ref(authors: list[str], title: str, year: int | None) -> ParsedReference:
        return ParsedReference(number=1, title=title, authors=authors, year=year)

    assert work_slug(
        ref(
            ["Leonard Bereska", "Efstratios Gavves"],
            "Mechanistic interpretability for ai safety—a review",
            2024,
        )
    ) == ("bereska-2024-mechanistic-interpretability-ai-safety")
    assert work_slug(ref(["OpenAI"], "Video generation models as world simulators", 2024)) == (
        "openai-2024-video-generation-models-world"
    )
    assert work_slug(ref(["Center for AI Safety"], "Statement on ai risk", 2024)) == (
        "center-for-ai-safety-2024-statement-ai-risk"
    )
    assert (
        work_slug(
            ref(["Jeroen Van den Hoven"], "Value sensitive design and responsible innovation", 2013)
        )
        == "van-den-hoven-2013-value-sensitive-design-responsible"
    )
    assert work_slug(ref(["Charlotte Högberg"], "Stabilizing translucencies", 2024)) == (
        "hogberg-2024-stabilizing-translucencies"
    )
    assert (
        work_slug(ref([], "Responsible scaling policy", 2023)) == "responsible-2023-scaling-policy"
    )


def test_slug_collisions_are_numbered_deterministically() -> None:
    result = import_papers(
        [FIXTURES / "collisions.txt"], {}, versions={"collisions.txt": TEST_VERSION}
    )
    works = sorted(str(w) for w in result.graph.subjects(RDF.type, AI45.CitedWork))
    assert works == [
        str(AI45R["work/doe-2024-safety-models"]),
        str(AI45R["work/doe-2024-safety-models-2"]),
    ]
    ref1 = result.graph.value(URIRef(f"{TEST_VERSION}/ref/1"), AI45.refersTo)
    assert ref1 == result.graph.value(URIRef(f"{TEST_VERSION}/ref/3"), AI45.refersTo)
    assert ref1 == AI45R["work/doe-2024-safety-models"]  # arXiv 2401.00001 sorts first


# ---------------------------------------------------------------------------
# Citation groups in the graph
# ---------------------------------------------------------------------------


@needs_paper
def test_citation_groups_in_the_graph(paper_import: ImportResult) -> None:
    graph = paper_import.graph
    for version, count in ((V103, 66), (V101, 65)):
        assert len(set(graph.subjects(AI45.inVersion, version))) == count
    group = URIRef(f"{V103}/citation/31")
    assert graph.value(group, AI45.section) == Literal("3.1")
    assert graph.value(group, AI45.anchorText) == Literal("Machine Unlearning")
    assert str(graph.value(group, URIRef("http://www.w3.org/2000/01/rdf-schema#label"))) == (
        "[23, 59, 29, 97, 31] in section 3.1 (v103)"
    )
    numbers = _select(
        graph,
        "SELECT ?n WHERE { ?c ai45:supportsConcept ?x ; ai45:inVersion ?v ; "
        "ai45:citesReference ?r . ?r ai45:referenceNumber ?n } ORDER BY ?n",
        x=_concept("technique/machine-unlearning"),
        v=V101,
    )
    assert [int(n) for (n,) in numbers] == [28, 30, 95]
    cited = set(graph.objects(_concept("technique/machine-unlearning"), AI45.citesWork))
    assert len(cited) == 5


@needs_paper
def test_the_model_theft_groups_cite_the_same_two_works(paper_import: ImportResult) -> None:
    graph = paper_import.graph

    def works(version: URIRef, content: str) -> set[URIRef]:
        rows = _select(
            graph,
            "SELECT ?w WHERE { ?c ai45:inVersion ?v ; <http://purl.org/spar/c4o/hasContent> ?t ; "
            "ai45:citesReference ?r . ?r ai45:refersTo ?w }",
            v=version,
            t=Literal(content),
        )
        return {w for (w,) in rows}

    v103, v101 = works(V103, "[99, 101]"), works(V101, "[99, 97]")
    assert (
        v103
        == v101
        == {
            AI45R["work/zeng-2023-huref-human-readable-fingerprint"],
            AI45R["work/zhang-2024-reef-representation-encoding-fingerprints"],
        }
    )
    assert set(graph.objects(_concept("threat/model-theft"), AI45.citesWork)) == v103


@needs_paper
def test_the_graph_holds_no_whole_entries_or_long_passages(paper_import: ImportResult) -> None:
    literals = [o for o in paper_import.graph.objects() if isinstance(o, Literal)]
    assert max(len(str(o)) for o in literals) < 200
    assert not any("arXiv preprint arXiv:" in str(o) for o in literals)
    anchors = paper_import.graph.objects(None, AI45.anchorText)
    assert all(len(str(a)) <= 80 for a in anchors)


def test_citations_of_numbers_missing_from_the_list_are_warned() -> None:
    result = import_papers(
        [FIXTURES / "malformed.txt"], LABELS, versions={"malformed.txt": TEST_VERSION}
    )
    assert any("cites [9]" in w for w in result.warnings)
    assert any("'- [x] foo'" in w for w in result.warnings)
    assert len(set(result.graph.subjects(RDF.type, AI45.Reference))) == 6
    group = URIRef(f"{TEST_VERSION}/citation/1")
    assert result.graph.value(group, AI45.supportsConcept) == _concept(
        "technique/machine-unlearning"
    )
    assert result.graph.value(group, AI45.section) == Literal("abstract")


# ---------------------------------------------------------------------------
# Inputs and output
# ---------------------------------------------------------------------------


def test_an_unknown_source_file_is_a_clear_error(tmp_path: Path) -> None:
    stray = tmp_path / "unknown-paper.txt"
    stray.write_text("References\n- [1] A title.\n", encoding="utf-8")
    with pytest.raises(PaperImportError, match="unknown-paper.txt.*ai45:sourceFile"):
        import_papers([stray], {})


def test_two_files_of_one_version_are_an_error(tmp_path: Path) -> None:
    a, b = tmp_path / "a.txt", tmp_path / "b.txt"
    for f in (a, b):
        f.write_text("References\n- [1] A title.\n", encoding="utf-8")
    with pytest.raises(PaperImportError, match="both version"):
        import_papers([a, b], {}, versions={"a.txt": TEST_VERSION, "b.txt": TEST_VERSION})


def test_a_missing_framework_file_is_a_warning_not_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(paths, "FRAMEWORK_FILE", tmp_path / "framework.ttl")
    result = import_papers([FIXTURES / "malformed.txt"], versions={"malformed.txt": TEST_VERSION})
    assert any("not matched to concepts" in w for w in result.warnings)
    assert not list(result.graph.subjects(AI45.supportsConcept, None))


def test_written_turtle_parses_back_to_the_same_graph(tmp_path: Path) -> None:
    result = import_papers(
        [FIXTURES / "malformed.txt"], LABELS, versions={"malformed.txt": TEST_VERSION}
    )
    out = write_bibliography(result.graph, tmp_path / "bib.ttl")
    text = out.read_text(encoding="utf-8")
    assert text.startswith("# Generated by `ai45kg import-paper`")
    assert "do not edit by hand" in text.splitlines()[0]
    assert Graph().parse(out, format="turtle").isomorphic(result.graph)


@needs_paper
def test_the_import_is_deterministic(paper_import: ImportResult) -> None:
    files = [paths.PAPER_TEXT_DIR / FILE_001, paths.PAPER_TEXT_DIR / FILE_000]  # other order
    again = import_papers(files, LABELS)
    assert turtle_text(again.graph) == turtle_text(paper_import.graph)


@needs_paper
def test_the_committed_bibliography_is_a_fresh_import(tmp_path: Path) -> None:
    labels = load_concept_labels(paths.FRAMEWORK_FILE, paths.ONTOLOGY_FILE)
    result = import_papers(
        [paths.PAPER_TEXT_DIR / FILE_000, paths.PAPER_TEXT_DIR / FILE_001], labels
    )
    fresh = write_bibliography(result.graph, tmp_path / "bibliography.ttl")
    assert paths.BIBLIOGRAPHY_FILE.read_bytes() == fresh.read_bytes(), (
        "ontology/data/bibliography.ttl is out of date: run `ai45kg import-paper` on the two texts"
    )
    assert Graph().parse(paths.BIBLIOGRAPHY_FILE, format="turtle").isomorphic(result.graph)
