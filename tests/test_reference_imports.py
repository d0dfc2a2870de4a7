"""Analyst imports of what reference managers and OpenAlex export, as they export them
(kg.literature.refmanagers): Zotero's CSL-JSON, RIS from Zotero / EndNote / Mendeley (CRLF line
ends, a BOM), OpenAlex work records (one work, a list, an API page). Exact records, exact links to
the paper's cited works, exact problems with their item and field (JSON) or line (RIS), and nothing
changed by a file with a problem.

The fixtures are in tests/fixtures/imports/: zotero-export.json, library.ris (CRLF and a UTF-8
BOM, byte for byte as a reference manager writes it: keep it binary in git), openalex-page.json,
and their broken variants zotero-broken.json, broken.ris, openalex-broken.json.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from rdflib import Graph, Literal
from rdflib.collection import Collection
from rdflib.namespace import DCTERMS, RDF, SKOS, XSD
from rdflib.term import Node

from ai45kg.kg import paths
from ai45kg.kg.concepts import ConceptIndex
from ai45kg.kg.literature import FORMAT_NAMES
from ai45kg.kg.literature.files import decode
from ai45kg.kg.literature.imports import (
    ImportFailed,
    PaperWorks,
    detect_format,
    drop_import,
    import_file,
    list_imports,
    prepare,
)
from ai45kg.kg.literature.refmanagers import (
    abstract_from_inverted_index,
    read_csl_json_records,
    read_openalex_records,
    read_ris_records,
    sniff_json,
)
from ai45kg.kg.namespaces import AI45, AI45R, SH, graph_for_import
from ai45kg.kg.stores import read_manifest
from ai45kg.service.cli import main

from .importutil import problems_of

FIXTURES = Path(__file__).parent / "fixtures" / "imports"
ZOTERO = FIXTURES / "zotero-export.json"
RIS = FIXTURES / "library.ris"
OPENALEX = FIXTURES / "openalex-page.json"

BEREKSA = AI45R["work/bereska-2024-mechanistic-interpretability-ai-safety"]
BAI = AI45R["work/bai-2022-constitutional-ai-harmlessness-ai"]
PEARL = AI45R["work/pearl-2018-book-why-new-science"]
BURNS = AI45R["work/burns-2023-weak-strong-generalization-eliciting"]
BENGIO = AI45R["work/bengio-2024-managing-extreme-ai-risks"]
RAYHAN = AI45R["work/rayhan-2023-natural-language-processing-transforming"]
PEREZ = AI45R["work/perez-2022-red-teaming-language-models"]

NEW_FORMATS = ("csl-json", "ris", "openalex")


# --------------------------------------------------------------------------- the shapes


def allowed_formats(shapes: Graph) -> set[str]:
    """The values the SHACL shapes allow for an import's ai45:sourceFormat."""
    allowed: set[str] = set()
    for node in shapes.subjects(SH.path, AI45.sourceFormat):
        listed = shapes.value(node, SH["in"])
        if listed is not None:
            allowed |= {str(v) for v in Collection(shapes, listed)}
    return allowed


def test_the_shapes_accept_every_import_format() -> None:
    assert set(FORMAT_NAMES) == allowed_formats(Graph().parse(paths.SHAPES_FILE))


# --------------------------------------------------------------------------- fixtures




def text_of(path: Path) -> str:
    text, problem = decode(path.read_bytes())
    assert problem is None
    return text


def subjects(graph: Graph, work: Node) -> set[str]:
    return {str(o) for o in graph.objects(work, DCTERMS.subject)}


# --------------------------------------------------------------------------- format detection


@pytest.mark.parametrize(("name", "content", "expected"), [
    ("zotero.json", ZOTERO.read_text(encoding="utf-8"), "csl-json"),
    ("page.json", OPENALEX.read_text(encoding="utf-8"), "openalex"),
    ("work.json", json.dumps(json.loads(OPENALEX.read_text())["results"][1]), "openalex"),
    ("works.json", json.dumps(json.loads(OPENALEX.read_text())["results"]), "openalex"),
    ("bare-work.json", '{"id": "https://openalex.org/W4390833527", "title": "x"}', "openalex"),
    ("ld.json", (FIXTURES / "survey.jsonld").read_text(encoding="utf-8"), "json-ld"),
    ("ld-list.json", '[{"@id": "https://example.org/w", "dcterms:title": "x"}]', "json-ld"),
    ("prefixed.json", '{"dcterms:title": "A work", "ai45:addresses": "RLHF"}', "json-ld"),
    ("one-item.json", '{"type": "book", "title": "The Book of Why"}', "csl-json"),
    ("library.ris", "", "ris"),
    ("LIBRARY.RIS", "", "ris"),
    ("survey.jsonld", "[]", "json-ld"),
], ids=["csl-json", "openalex-page", "openalex-work", "openalex-list", "openalex-bare",
        "json-ld", "json-ld-list", "json-ld-prefixes", "csl-one-item", "ris", "ris-upper",
        "jsonld-extension"])
def test_the_format_is_told_by_extension_then_content(tmp_path: Path, name: str, content: str,
                                                      expected: str) -> None:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    assert detect_format(path) == expected


def test_a_given_format_wins_over_the_content(tmp_path: Path) -> None:
    path = tmp_path / "export.json"
    path.write_text(ZOTERO.read_text(encoding="utf-8"), encoding="utf-8")
    assert detect_format(path, "openalex") == "openalex"
    with pytest.raises(ImportFailed, match="unknown format 'endnote'; one of csv, bibtex, turtle, "
                                           "json-ld, csl-json, ris, openalex"):
        detect_format(path, "endnote")


@pytest.mark.parametrize(("content", "problem"), [
    ('[{"name": "x"}, {"name": "y"}]',
     "the file: cannot tell the format of this JSON: neither CSL-JSON (items with 'type' and "
     "'title'), OpenAlex works ('authorships', an 'https://openalex.org/W...' id) nor JSON-LD "
     "('@context', '@graph', '@id'); give the format (csl-json, openalex or json-ld)"),
    ("[]", "the file: holds no works (an empty array)"),
    ('"a string"', "line 1: the file holds a string, not works (a JSON array or object)"),
    ('[\n {"type": "book", "title": "A"},\n {"authorships": [], "title": "B"}\n]',
     "item 2 (line 3): looks like an OpenAlex work but item 1 (line 2) like CSL-JSON: one "
     "format per file"),
    ('[\n {"type": "book",\n  "title": "A"\n}',
     "line 4: not JSON (column 2): Expecting ',' delimiter"),
], ids=["unknown", "empty", "string", "mixed", "truncated"])
def test_json_whose_format_cannot_be_told_is_refused(tmp_path: Path, content: str,
                                                     problem: str) -> None:
    path = tmp_path / "export.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ImportFailed) as caught:
        prepare(path, "t")
    assert [str(p) for p in caught.value.problems] == [problem]
    assert str(caught.value).startswith("export.json: not imported, its format cannot be told "
                                        "(nothing was changed):")


# --------------------------------------------------------------------------- CSL-JSON (Zotero)


def test_a_zotero_csl_json_export(index: ConceptIndex, paper: PaperWorks) -> None:
    graph, summary = prepare(ZOTERO, "zotero", index=index, paper=paper)
    assert (summary.format, summary.works, summary.new, summary.mappings, summary.unmapped) == (
        "csl-json", 5, 2, 0, 5)
    assert summary.linked == [("item 1 (line 2)", BEREKSA, "arXiv 2404.14082"),
                              ("item 2 (line 43)", BAI, "arXiv 2212.08073"),
                              ("item 5 (line 154)", PEARL, "title")]
    assert summary.warnings == []
    imp = AI45R["import/zotero"]
    assert str(graph.value(imp, AI45.sourceFormat)) == "csl-json"

    amodei = AI45R["import/zotero/work/amodei-2016-concrete-problems-ai-safety"]
    nist = AI45R["import/zotero/work/national-institute-of-standards-and-technology-2023-"
                 "artificial-intelligence-risk-management"]
    assert set(graph.subjects(RDF.type, AI45.ImportedWork)) == {amodei, nist}
    assert graph.value(amodei, DCTERMS.title) == Literal("Concrete Problems in AI Safety",
                                                         lang="en")
    assert str(graph.value(amodei, DCTERMS.creator)) == (
        "Dario Amodei; Chris Olah; Jacob Steinhardt; Paul Christiano; John Schulman; Dan Mané")
    assert graph.value(amodei, DCTERMS.issued) == Literal("2016", datatype=XSD.gYear)
    assert str(graph.value(amodei, AI45.arxivId)) == "1606.06565"  # from the note
    assert graph.value(amodei, AI45.doi) is None and graph.value(amodei, AI45.url) is None
    assert graph.value(amodei, DCTERMS.abstract) == Literal(
        "Five practical research problems about accidents in machine learning systems: avoiding "
        "side effects, avoiding reward hacking, scalable supervision, safe exploration, and "
        "robustness to distributional shift.")
    assert subjects(graph, amodei) == {"Computer Science - Artificial Intelligence",
                                       "Computer Science - Machine Learning", "AI safety"}
    # an organisation as author (a CSL literal name), a DOI, JATS markup left out of the abstract
    assert str(graph.value(nist, DCTERMS.title)) == \
        "Artificial Intelligence Risk Management Framework (AI RMF 1.0)"
    assert str(graph.value(nist, DCTERMS.creator)) == \
        "National Institute of Standards and Technology"
    assert graph.value(nist, DCTERMS.issued) == Literal("2023", datatype=XSD.gYear)
    assert str(graph.value(nist, AI45.doi)) == "10.6028/nist.ai.100-1"
    assert graph.value(nist, AI45.arxivId) is None  # its `number` is a report number
    assert str(graph.value(nist, AI45.url)) == \
        "https://nvlpubs.nist.gov/nistpubs/ai/NIST.AI.100-1.pdf"
    assert str(graph.value(nist, DCTERMS.abstract)) == (
        "The AI Risk Management Framework is a voluntary resource for organizations that "
        "design, develop, deploy or use AI systems, to help them manage the risks of AI and "
        "promote trustworthy and responsible development and use.")
    assert subjects(graph, nist) == {"risk management", "AI governance", "trustworthy AI"}

    # linked works keep the paper's IRI and gain the abstract and keywords, nothing else
    assert set(graph.predicates(BEREKSA)) == {AI45.inImport, DCTERMS.abstract, DCTERMS.subject}
    assert str(graph.value(BEREKSA, DCTERMS.abstract)).startswith(
        "Understanding what happens inside AI systems matters")
    assert subjects(graph, BEREKSA) == {"Computer Science - Artificial Intelligence",
                                        "Computer Science - Machine Learning"}
    assert subjects(graph, BAI) == {"Computer Science - Artificial Intelligence",
                                    "Computer Science - Computation and Language"}
    assert set(graph.predicates(PEARL)) == {AI45.inImport}  # no abstract, no keyword
    assert not list(graph.objects(None, AI45.addresses))  # no mapping: the works map nowhere


def test_the_csl_json_reader() -> None:
    items = [
        {"type": "article", "title": "A", "archive_location": "arXiv:2401.05566v2",
         "author": [{"family": "Hubinger", "given": "Evan"}, {"literal": "others"}],
         "issued": {"raw": "2024-01-10"}, "keyword": ["deception", " Deception ", "backdoor"]},
        {"type": "article", "title": "B", "number": "2310.01405", "archive": "arXiv",
         "editor": [{"family": "Gogh", "given": "Vincent", "non-dropping-particle": "van"}],
         "issued": {"literal": "spring 2023"}, "keyword": "safety; alignment, oversight"},
        {"type": "report", "title": "C", "number": "2310.01405",
         "DOI": "10.48550/arXiv.2202.03286", "issued": {"date-parts": [["2022"]]}},
        {"type": "article", "title": 1984, "issued": None},
    ]
    out = read_csl_json_records(json.dumps(items, indent=1))
    assert out.problems == []
    a, b, c, d = out.records
    assert (a.where, a.arxiv, a.fields["arxiv"], a.authors, a.et_al, a.year, a.keywords) == (
        "item 1 (line 2)", "2401.05566v2", "field 'archive_location'", ["Evan Hubinger"], True,
        "2024", ["deception", "backdoor"])
    # a bare id in `number` is an arXiv id only when the item says it is from arXiv
    assert (b.arxiv, b.authors, b.fields["authors"], b.year, b.keywords) == (
        "2310.01405", ["Vincent van Gogh"], "field 'editor'", "2023",
        ["safety", "alignment, oversight"])
    assert (c.arxiv, c.fields["arxiv"], c.year) == ("2202.03286", "field 'DOI'", "2022")
    assert (d.title, d.year) == ("1984", "")


# --------------------------------------------------------------------------- RIS


@pytest.mark.parametrize("variant", ["as stored (CRLF, BOM)", "LF", "CR", "CRLF without BOM"])
def test_ris_reads_the_same_whatever_the_line_ends(variant: str) -> None:
    stored = RIS.read_bytes()
    body = stored.removeprefix(b"\xef\xbb\xbf").replace(b"\r\n", b"\n")
    data = {"as stored (CRLF, BOM)": stored, "LF": body, "CR": body.replace(b"\n", b"\r"),
            "CRLF without BOM": body.replace(b"\n", b"\r\n")}[variant]
    text, problem = decode(data)
    assert problem is None
    out = read_ris_records(text)
    assert out.problems == []
    assert [(r.where, r.title, r.year, r.doi, r.arxiv) for r in out.records] == [
        ("line 1", "Weak-to-Strong Generalization: Eliciting Strong Capabilities With Weak "
         "Supervision", "2023", "10.48550/arXiv.2312.09390", "2312.09390"),
        ("line 28", "Managing extreme AI risks amid rapid progress", "2024",
         "10.1126/science.adn0117", ""),
        ("line 69", "Natural Language Processing: Transforming How Machines Understand Human "
         "Language", "2023", "10.13140/RG.2.34900.99200", ""),
        ("line 82", "Representation Engineering: A Top-Down Approach to AI Transparency", "2023",
         "", "2310.01405"),
    ]


def test_the_ris_fixture_is_stored_as_windows_writes_it() -> None:
    data = RIS.read_bytes()
    assert data.startswith(b"\xef\xbb\xbfTY  - GEN\r\n")
    assert data.count(b"\n") == data.count(b"\r\n") == 97  # no bare LF: git kept it binary


def test_a_ris_file_from_zotero_endnote_and_mendeley(index: ConceptIndex,
                                                      paper: PaperWorks) -> None:
    graph, summary = prepare(RIS, "ris", index=index, paper=paper)
    assert (summary.format, summary.works, summary.new, summary.mappings, summary.unmapped) == (
        "ris", 4, 1, 0, 4)
    assert summary.linked == [("line 1", BURNS, "arXiv 2312.09390"),
                              ("line 28", BENGIO, "title"),
                              ("line 69", RAYHAN, "DOI 10.13140/rg.2.34900.99200")]
    assert str(graph.value(AI45R["import/ris"], AI45.sourceFormat)) == "ris"
    zou = AI45R["import/ris/work/zou-2023-representation-engineering-top-down"]
    assert set(graph.subjects(RDF.type, AI45.ImportedWork)) == {zou}
    assert str(graph.value(zou, DCTERMS.title)) == \
        "Representation Engineering: A Top-Down Approach to AI Transparency"
    assert str(graph.value(zou, DCTERMS.creator)) == \
        "Andy Zou; Long Phan; Sarah Chen; James Campbell; Phillip Guo; Dan Hendrycks"
    assert graph.value(zou, DCTERMS.issued) == Literal("2023", datatype=XSD.gYear)  # "2023///"
    assert str(graph.value(zou, AI45.arxivId)) == "2310.01405"
    assert str(graph.value(zou, AI45.url)) == "https://arxiv.org/abs/2310.01405"
    assert graph.value(zou, AI45.doi) is None
    # an abstract on three lines (a long value continues on the next lines) is one text
    assert str(graph.value(zou, DCTERMS.abstract)) == (
        "Representation engineering puts population-level representations, rather than neurons "
        "or circuits, at the centre of analysis, and uses them to monitor and steer high-level "
        "cognitive phenomena such as honesty and power-seeking in language models.")
    assert subjects(graph, zou) == {"representation engineering", "AI transparency"}
    assert str(graph.value(BENGIO, DCTERMS.abstract)) == (
        "Preparation is needed for the risks of increasingly capable AI systems: a consensus of "
        "researchers on the research and governance priorities that could keep such systems "
        "safe.")
    assert subjects(graph, BENGIO) == set()
    # KW lines: one keyword each; the same keyword twice (case aside) is kept once
    assert subjects(graph, RAYHAN) == {"natural language processing", "machine learning"}
    assert str(graph.value(RAYHAN, DCTERMS.abstract)).startswith(
        "An overview of natural language processing")  # N2, as older writers name it


def test_the_ris_reader_on_authors_and_dates() -> None:
    out = read_ris_records("TY  - JOUR\nT1  - A\nA1  - Smith, John, Jr.\nAU  - OpenAI\n"
                           "AU  - et al.\nY1  - 2021/05/01/spring\nER  -\n")
    (rec,) = out.records
    assert (rec.title, rec.authors, rec.et_al, rec.year) == (
        "A", ["John Smith Jr.", "OpenAI"], True, "2021")
    assert (rec.fields["year"], rec.lines["year"]) == ("tag 'Y1'", "line 6")


def test_a_broken_ris_file_names_the_line_of_every_problem() -> None:
    assert problems_of(FIXTURES / "broken.ris") == [
        "line 7: the record that starts here has no end ('ER  - '): the next record starts on "
        "line 12",
        "line 12, tag 'TI': a work needs a title",
        "line 14, tag 'PY': '20x3' is not a year (four digits)",
        "line 15, tag 'UR': 'arxiv.org/abs/2310.01405' is not an http(s) URL",
    ]


@pytest.mark.parametrize(("text", "problems"), [
    ("TY  - JOUR\r\nTI  - A\r\nPY  - 2024\r\n",
     ["line 1: the record that starts here has no end ('ER  - '): the file ends on line 3"]),
    ("TI  - A\nAU  - Smith, J.\nER  - \nTY  - JOUR\nTI  - B\nER  - \n",
     ["line 1, tag 'TI': outside a record (a record starts with 'TY  - ')"]),
    ("TY  - JOUR\nTI  - A\nER  - \nER  - \n",
     ["line 4: 'ER  - ' ends a record that never started (a record starts with 'TY  - ')"]),
    ("%0 Journal Article\n%T A title\n",
     ["line 1: not a RIS line: '%0 Journal Article' (a line is 'XX  - value'; a record starts "
      "with 'TY  - ')"]),
    ("\r\n\r\n", ["the file: holds no RIS records (a record starts with 'TY  - ' and ends with "
                  "'ER  - ')"]),
], ids=["no-er-at-the-end", "no-ty", "er-twice", "endnote-tagged-not-ris", "empty"])
def test_ris_structure_problems(tmp_path: Path, text: str, problems: list[str]) -> None:
    path = tmp_path / "refs.ris"
    path.write_bytes(text.encode("utf-8"))
    assert problems_of(path) == problems


def test_a_ris_file_that_is_not_utf8_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "endnote.ris"
    path.write_bytes("TY  - JOUR\r\nAU  - Mindermann, Sören\r\n".encode("cp1252"))
    assert problems_of(path) == [
        "line 2: the file is not UTF-8 (byte 0xf6 at column 20); save it as UTF-8 (in a "
        "spreadsheet: CSV UTF-8)"]


# --------------------------------------------------------------------------- OpenAlex


HUBINGER_ABSTRACT = (
    "Humans can act helpfully most of the time and pursue other goals when given the chance. We "
    "train language models with backdoors that write secure code for one year in the prompt and "
    "exploitable code for another, and show that standard safety training does not remove such "
    "behaviour.")


def test_an_openalex_api_page(index: ConceptIndex, paper: PaperWorks) -> None:
    graph, summary = prepare(OPENALEX, "openalex", index=index, paper=paper)
    assert (summary.format, summary.works, summary.new, summary.mappings, summary.unmapped) == (
        "openalex", 2, 1, 0, 2)
    # linked by the arXiv id of its arXiv location (its DOI is the EMNLP paper's)
    assert summary.linked == [("item 1 (line 10)", PEREZ, "arXiv 2202.03286")]
    hubinger = AI45R["import/openalex/work/hubinger-2024-sleeper-agents-training-deceptive"]
    assert set(graph.subjects(RDF.type, AI45.ImportedWork)) == {hubinger}
    assert str(graph.value(hubinger, DCTERMS.title)) == \
        "Sleeper Agents: Training Deceptive LLMs that Persist Through Safety Training"
    assert str(graph.value(hubinger, DCTERMS.creator)) == \
        "Evan Hubinger; Carson Denison; Jesse Mu; Mike Lambert; Meg Tong; Ethan Perez"
    assert graph.value(hubinger, DCTERMS.issued) == Literal("2024", datatype=XSD.gYear)
    assert str(graph.value(hubinger, AI45.doi)) == "10.48550/arxiv.2401.05566"
    assert str(graph.value(hubinger, AI45.arxivId)) == "2401.05566"
    assert str(graph.value(hubinger, AI45.url)) == "https://arxiv.org/abs/2401.05566"
    assert str(graph.value(hubinger, DCTERMS.abstract)) == HUBINGER_ABSTRACT
    assert subjects(graph, hubinger) == {"Backdoor", "Deception"}  # not concepts, not topics
    assert str(graph.value(hubinger, SKOS.definition)) == \
        "A work imported by openalex: Hubinger et al., 2024."
    assert str(graph.value(PEREZ, DCTERMS.abstract)) == (
        "Language models can produce harmful text that is hard to foresee before deployment. We "
        "use one language model to generate test cases for another and find harmful replies "
        "with a classifier, uncovering offensive content, leaked data and other failures of a "
        "chatbot at scale.")
    assert subjects(graph, PEREZ) == {"Red Teaming", "Language Models"}


@pytest.mark.parametrize("shape", ["one work", "a list"])
def test_openalex_works_without_a_page(shape: str) -> None:
    works = json.loads(OPENALEX.read_text(encoding="utf-8"))["results"]
    doc = works[1] if shape == "one work" else works
    out = read_openalex_records(json.dumps(doc, indent=2))
    assert out.problems == []
    assert [(r.where, r.title, r.year, r.arxiv) for r in out.records][-1] == (
        "item 1 (line 1)" if shape == "one work" else "item 2 (line 479)",
        "Sleeper Agents: Training Deceptive LLMs that Persist Through Safety Training", "2024",
        "2401.05566")


def test_the_abstract_comes_back_from_the_inverted_index() -> None:
    assert abstract_from_inverted_index(
        {"AI": [0, 4], "safety": [1], "is": [2], "about": [3], "systems.": [5]}) == (
        "AI safety is about AI systems.", None)
    assert abstract_from_inverted_index({}) == ("", None)
    assert abstract_from_inverted_index({"a": [0], "b": [0]}) == (
        "", "position 0 has two words, 'a' and 'b'")
    assert abstract_from_inverted_index(["a"]) == (
        "", "is an array, not an object of words and their positions")
    # a position far out is placed by sorting, never by allocating up to it
    assert abstract_from_inverted_index({"end": [10**12], "start": [0]}) == ("start end", None)


def test_a_broken_openalex_page_names_item_and_field() -> None:
    assert problems_of(FIXTURES / "openalex-broken.json") == [
        "item 2 (line 11): is a string: each OpenAlex work is a JSON object {...}",
        "item 3 (line 12), field 'authorships': authorship 1 has no author.display_name",
        "item 3 (line 12), field 'abstract_inverted_index': the positions of 'Safety' are not a "
        "list of whole numbers (0, 1, ...)",
        "item 3 (line 12), field 'title': a work needs a title",
    ]


# --------------------------------------------------------------------------- broken JSON


def test_a_broken_zotero_export_names_item_and_field() -> None:
    assert problems_of(FIXTURES / "zotero-broken.json") == [
        "item 2 (line 9): is a string: each item of CSL-JSON is a JSON object {...}",
        "item 3 (line 10), field 'author': name 2 has no 'family', 'given' or 'literal' name",
        "item 3 (line 10), field 'issued': 'date-parts' is not a list of dates such as "
        "[[2023, 5]]",
        "item 4 (line 17), field 'title': a work needs a title",
        "item 4 (line 17), field 'DOI': 'NIST.AI.100-1' is not a DOI (10.NNNN/...)",
    ]


def test_a_truncated_export_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "zotero.json"
    path.write_text("".join(ZOTERO.read_text(encoding="utf-8").splitlines(True)[:60]),
                    encoding="utf-8")
    with pytest.raises(ImportFailed) as caught:
        prepare(path, "t")
    assert [str(p) for p in caught.value.problems] == [
        "line 61: not JSON (column 1): Expecting ',' delimiter"]
    # the same when the format is given: the reader reports it
    assert problems_of(path, fmt="csl-json") == [
        "line 61: not JSON (column 1): Expecting ',' delimiter"]


def test_a_duplicate_within_an_export_is_refused(tmp_path: Path) -> None:
    items = json.loads(ZOTERO.read_text(encoding="utf-8"))
    path = tmp_path / "zotero.json"
    path.write_text(json.dumps([items[2], items[3], {**items[2], "id": "copy"}], indent=1),
                    encoding="utf-8")
    assert problems_of(path) == [
        "item 3 (line 71): the same work as item 1 (line 2) (same arXiv id 1606.06565): merge "
        "the two into one"]


@pytest.mark.parametrize(("reader", "fixture"), [
    (read_csl_json_records, ZOTERO), (read_ris_records, RIS), (read_openalex_records, OPENALEX)])
def test_the_readers_never_need_the_network(reader: object, fixture: Path) -> None:
    from ai45kg.kg.rdfsafe import no_network

    with no_network():
        out = reader(text_of(fixture))  # type: ignore[operator]
    assert out.records and not out.problems


def test_sniffing_reads_the_item_lines() -> None:
    assert sniff_json(text_of(ZOTERO)) == ("csl-json", [])
    assert sniff_json(text_of(OPENALEX)) == ("openalex", [])


# --------------------------------------------------------------------------- the other readers


def test_bibtex_abstracts_and_rdf_abstracts_and_keywords_are_kept(
        tmp_path: Path, index: ConceptIndex, paper: PaperWorks) -> None:
    bib = tmp_path / "refs.bib"
    bib.write_text("@article{zou2023, title = {Representation Engineering}, year = 2023,\n"
                   "  abstract = {Population-level   representations\n  of {AI} systems.}}\n",
                   encoding="utf-8")
    graph, _ = prepare(bib, "bib", index=index, paper=paper)
    (work,) = graph.subjects(RDF.type, AI45.ImportedWork)
    assert str(graph.value(work, DCTERMS.abstract)) == \
        "Population-level representations of AI systems."
    ttl = tmp_path / "works.ttl"
    ttl.write_text('[] dcterms:title "Representation Engineering" ;\n'
                   '   dcterms:abstract "Population-level representations." ;\n'
                   '   dcterms:subject "AI transparency" , "steering" .\n', encoding="utf-8")
    graph, summary = prepare(ttl, "ttl", index=index, paper=paper)
    (work,) = graph.subjects(RDF.type, AI45.ImportedWork)
    assert str(graph.value(work, DCTERMS.abstract)) == "Population-level representations."
    assert subjects(graph, work) == {"AI transparency", "steering"}
    assert summary.warnings == []


# --------------------------------------------------------------------------- storing, building


def test_import_replace_and_a_failed_import_end_to_end(built: Path) -> None:
    summary = import_file(ZOTERO, "reading")
    stored = built.parent / "imports" / "reading.ttl"
    assert summary.built and summary.path == stored
    manifest = read_manifest(built)
    graph_iri = str(graph_for_import("reading"))
    assert graph_iri in manifest["triples"]
    (info,) = list_imports()
    assert (info.meta["format"], info.meta["works"], info.meta["new"], info.meta["linked"],
            info.meta["mappings"]) == ("csl-json", "5", "2", "3", "0")
    stored_graph = Graph().parse(stored, format="turtle")
    assert str(stored_graph.value(PEARL, AI45.inImport)) == str(AI45R["import/reading"])
    assert len(list(stored_graph.subject_objects(DCTERMS.abstract))) == 4

    # a broken file of any format leaves the stored import and dist/ as they were
    stored_bytes = stored.read_bytes()
    for broken in ("broken.ris", "zotero-broken.json", "openalex-broken.json"):
        with pytest.raises(ImportFailed, match="nothing was changed"):
            import_file(FIXTURES / broken, "reading")
        assert stored.read_bytes() == stored_bytes, broken
        assert read_manifest(built) == manifest, broken
    assert sorted(p.name for p in stored.parent.iterdir()) == [".lock", "reading.ttl"]

    # re-importing the name replaces the graph, whatever the format
    import_file(RIS, "reading")
    stored_graph = Graph().parse(stored, format="turtle")
    assert {str(w) for w in stored_graph.subjects(RDF.type, AI45.ImportedWork)} == {
        str(AI45R["import/reading/work/zou-2023-representation-engineering-top-down"])}
    assert str(stored_graph.value(AI45R["import/reading"], AI45.sourceFormat)) == "ris"
    assert list_imports()[0].meta["format"] == "ris"
    assert read_manifest(built)["sources_digest"] != manifest["sources_digest"]
    drop_import("reading")
    assert not stored.exists()


def test_the_import_command_reads_ris_and_json_by_their_content(built: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(main, ["import", str(RIS), "--name", "library"])
    assert result.exit_code == 0, result.output
    assert ("imported library.ris as 'library' into "
            "<https://w3id.org/ai45/graph/import/library>: 4 works (1 new, 3 linked to the "
            "paper's cited works), 0 mappings, 4 works without a mapping") in result.output
    assert f"  linked line 69 -> <{RAYHAN}> (same DOI 10.13140/rg.2.34900.99200)" in \
        result.output
    result = runner.invoke(main, ["import", str(OPENALEX), "--name", "openalex", "--no-build"])
    assert result.exit_code == 0, result.output
    assert f"  linked item 1 (line 10) -> <{PEREZ}> (same arXiv 2202.03286)" in result.output
    bad = runner.invoke(main, ["import", str(FIXTURES / "zotero-broken.json"), "--name",
                               "library"])
    assert bad.exit_code == 1
    assert "item 4 (line 17), field 'title': a work needs a title" in bad.output
    listed = json.loads(runner.invoke(main, ["imports", "--format", "json"]).output)
    assert [(e["name"], e["format"]) for e in listed] == [("library", "ris"),
                                                          ("openalex", "openalex")]
