"""Suggested mappings (kg.literature.profiles, kg.literature.suggest, kg.literature.review, the
`ai45kg suggest` command and /suggest): fixed rankings for fixed inputs, the JSON shape, the
review CSV's round trip through `import`, the feedback of confirmed mappings, and the service's
status codes, limits and escaping."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask.testing import FlaskClient
from rdflib import Literal, URIRef
from rdflib.namespace import DCTERMS

from ai45kg.kg.literature.profiles import PROFILES_FILE, Profiles, build_profiles, load_profiles
from ai45kg.kg.literature.review import REVIEW_COLUMNS
from ai45kg.kg.literature.suggest import NEAR, SCATTERED, Ranker, Work, features, tokens
from ai45kg.kg.namespaces import AI45, AI45R
from ai45kg.service.cli import main

TECHNIQUE = f"{AI45R}technique/"


@pytest.fixture(scope="module")
def profiles(built_dist: Path) -> Profiles:
    return load_profiles(built_dist)


@pytest.fixture(scope="module")
def ranker(profiles: Profiles) -> Ranker:
    return Ranker(profiles)


def top(ranker: Ranker, title: str, k: int = 3) -> list[str]:
    return [s.concept.removeprefix(str(AI45R)) for s in ranker.rank(Work(title), k)]


# --------------------------------------------------------------------------- profiles


def test_the_build_writes_the_profiles_of_its_own_content(built_dist: Path,
                                                          profiles: Profiles) -> None:
    manifest = json.loads((built_dist / "manifest.json").read_text())
    assert manifest["profiles"] == PROFILES_FILE
    assert profiles.content_hash == manifest["content_hash"]
    kinds = {c.kind for c in profiles.concepts}
    assert kinds == {"technique", "layer", "level", "governance", "threat", "practice", "risk",
                     "line"}


def test_a_profile_holds_names_paper_words_and_cited_titles(profiles: Profiles) -> None:
    unlearning = next(c for c in profiles.concepts
                      if c.iri == f"{TECHNIQUE}machine-unlearning")
    by_source: dict[str, set[str]] = {}
    for p in unlearning.passages:
        by_source.setdefault(p.source, set()).add(p.text)
    assert "Machine Unlearning" in by_source["name"]
    assert "Who’s harry potter? approximate unlearning in llms" in by_source["cited work"]
    assert len(by_source["cited work"]) == 5
    assert any(t.startswith("Machine Unlearning") and "remove the influence of specific data"
               in t for t in by_source["paper"])
    rlhf = next(c for c in profiles.concepts if c.iri == f"{TECHNIQUE}rlhf")
    assert rlhf.sub_kind_of == [f"{TECHNIQUE}learning-from-x-feedback"]
    assert {p.text for p in rlhf.passages if p.source == "name"} == {
        "RLHF", "reinforcement learning from human feedback"}


def test_leaving_a_work_out_removes_its_title_everywhere(profiles: Profiles) -> None:
    work = f"{AI45R}work/eldan-2023-whos-harry-potter-approximate"
    assert any(p.work == work for c in profiles.concepts for p in c.passages)
    assert not any(p.work == work for c in profiles.without_work(work).concepts
                   for p in c.passages)


# --------------------------------------------------------------------------- the ranker


def test_the_search_vocabulary_finds_a_concept_and_says_so(ranker: Ranker) -> None:
    """"Superposition" is not a word of the paper: the project's search vocabulary maps it to
    Mechanistic Interpretability, and the reason names the vocabulary as its source."""
    (first,) = ranker.rank(Work("Toy Models of Superposition"), 1)
    assert first.concept == str(AI45R) + "technique/mechanistic-interpretability"
    assert [(r.match, r.source) for r in first.why if r.source == "vocabulary"] == [
        ("Superposition", "vocabulary")]
    assert "the project's search vocabulary" in str(first.why[0])


def test_a_name_with_a_word_or_two_among_its_words_counts_nearly_as_the_name(
        ranker: Ranker) -> None:
    """"inference-time alignment" (the search vocabulary's, for Implicit control generation):
    whole, in order with two words among its words, out of order, and too far apart."""
    i = ranker.index[f"{TECHNIQUE}implicit-control-generation"]

    def share(title: str) -> float:
        return ranker._name_scores([t.stem for t in tokens(title)])[i][0]

    assert share("Inference-time alignment of language models") == 1.0
    assert share("Inference-time language model alignment") == NEAR
    assert share("Alignment at inference time") == SCATTERED
    assert share("Inference time for models in cases of safe alignment") == SCATTERED


def test_words_are_stemmed_paired_and_joined() -> None:
    assert features("Fine-tuning LLMs") == ["fine", "tune", "llm", "fine tune", "tune llm",
                                            "finetun"]
    assert features("the unlearning of data") == ["unlearn", "data", "unlearn data"]


@pytest.mark.parametrize(("title", "expected"), [
    ("Towards Making Systems Forget with Machine Unlearning",
     ["technique/machine-unlearning", "layer/approximate-alignment"]),
    ("A Watermark for Large Language Models", ["practice/watermarking"]),
    ("Deep Reinforcement Learning from Human Preferences",
     ["technique/rlhf", "technique/learning-from-x-feedback", "technique/rlaif"]),
    ("Red Teaming Language Models to Reduce Harms",
     ["practice/red-teaming", "technique/adversarial-training", "threat/adversarial-attacks"]),
    ("AI Deception: A Survey of Examples, Risks, and Potential Solutions", ["risk/deception"]),
    ("Mastering Diverse Domains through World Models",
     ["technique/mental-models", "layer/reflectable"]),
    ("Lifecycle management of AI systems", ["governance/lifecycle-management"]),
])
def test_clear_titles_get_fixed_rankings(ranker: Ranker, title: str,
                                         expected: list[str]) -> None:
    assert top(ranker, title, len(expected)) == expected


def test_a_title_that_shares_no_word_gets_nothing(ranker: Ranker) -> None:
    assert ranker.rank(Work("Stuff"), 5) == []


def test_the_ranking_is_deterministic(profiles: Profiles, ranker: Ranker) -> None:
    title = "Poisoning Language Models During Instruction Tuning"
    first = [s.json() for s in ranker.rank(Work(title), 10)]
    again = Ranker(Profiles.from_json(json.loads(json.dumps(profiles.json()))))
    assert [s.json() for s in again.rank(Work(title), 10)] == first
    assert [s.json() for s in ranker.rank(Work(title), 10)] == first


def test_a_sub_kind_supports_its_technique_and_says_so(ranker: Ranker) -> None:
    rlhf, lxf = ranker.rank(Work("Deep Reinforcement Learning from Human Preferences"), 2)
    assert lxf.concept == f"{TECHNIQUE}learning-from-x-feedback"
    assert lxf.score == round(0.85 * rlhf.score, 3)
    assert all(r.via == "sub-kind reinforcement learning from human feedback"
               and r.via_iri == f"{TECHNIQUE}rlhf" for r in lxf.why)
    assert not any(r.via for r in rlhf.why)


def test_reasons_name_the_words_and_their_source(ranker: Ranker) -> None:
    best = ranker.rank(Work("Towards Making Systems Forget with Machine Unlearning"), 1)[0]
    first = best.why[0]
    assert (first.match, first.source, first.text) == ("Machine Unlearning", "name",
                                                       "Machine Unlearning")
    assert str(first) == ("“Machine Unlearning” in the concept's name: “Machine Unlearning”")
    cited = [r for r in best.why if r.source == "cited work"]
    assert cited and all(r.work.startswith(f"{AI45R}work/") for r in cited)


def test_the_abstract_and_keywords_count(ranker: Ranker) -> None:
    assert top(ranker, "A new method", 1) == ["technique/supervised-fine-tuning"]
    with_abstract = ranker.rank(Work("A new method", "We remove the influence of specific "
                                     "training data from a trained model."), 1)
    assert with_abstract[0].concept == f"{TECHNIQUE}machine-unlearning"
    with_keywords = ranker.rank(Work("A new method", "", ["data poisoning"]), 1)
    assert with_keywords[0].concept == f"{AI45R}threat/data-poisoning"


# --------------------------------------------------------------------------- the command


WORKS_CSV = """title,authors,year,doi,abstract,keywords
A Watermark for Large Language Models,John Kirchenbauer; Jonas Geiping,2023,,"We propose a \
watermarking framework for proprietary language models.",watermark; LLM
Towards Making Systems Forget with Machine Unlearning,Yinzhi Cao; Junfeng Yang,2015,\
10.1109/SP.2015.35,,
Something about nothing in particular,,2020,,,
"""


@pytest.fixture()
def works_csv(tmp_path: Path) -> Path:
    path = tmp_path / "works.csv"
    path.write_text(WORKS_CSV, encoding="utf-8")
    return path


def run(*args: str) -> str:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def test_json_has_one_object_per_work_in_input_order(built_dist: Path, works_csv: Path) -> None:
    out = json.loads(run("suggest", str(works_csv), "--format", "json", "--top", "2",
                         "--dist", str(built_dist)))
    assert [w["title"] for w in out] == [
        "A Watermark for Large Language Models",
        "Towards Making Systems Forget with Machine Unlearning",
        "Something about nothing in particular"]
    assert all(set(w) == {"title", "suggestions"} for w in out)
    first = out[0]["suggestions"][0]
    assert set(first) == {"concept", "label", "kind", "score", "why"}
    assert (first["concept"], first["label"], first["kind"]) == (
        f"{AI45R}practice/watermarking", "watermarking", "practice")
    assert isinstance(first["score"], float) and 0 < first["score"] <= 1
    assert {"match", "source", "text"} <= set(first["why"][0])
    assert [len(w["suggestions"]) for w in out] == [2, 2, 2]


def test_table_and_csv_output(built_dist: Path, works_csv: Path) -> None:
    table = run("suggest", str(works_csv), "--top", "1", "--dist", str(built_dist))
    assert table.splitlines()[0] == "1. A Watermark for Large Language Models"
    assert "watermarking  <https://w3id.org/ai45/id/practice/watermarking>" in table
    rows = list(csv.DictReader(io.StringIO(run("suggest", str(works_csv), "--top", "1",
                                               "--format", "csv", "--dist", str(built_dist)))))
    assert [(r["work"], r["rank"], r["concept"]) for r in rows][:2] == [
        ("1", "1", f"{AI45R}practice/watermarking"),
        ("2", "1", f"{TECHNIQUE}machine-unlearning")]


def test_a_broken_file_is_refused_with_its_problems(built_dist: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("titel,year\nA work,2020\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["suggest", str(bad), "--dist", str(built_dist)])
    assert result.exit_code == 1
    assert "unknown column 'titel'; did you mean 'title'?" in result.output


def review(built_dist: Path, works: Path, out: Path, *extra: str) -> list[dict[str, str]]:
    CliRunner().invoke(main, ["suggest", str(works), "--out", str(out), "--dist",
                              str(built_dist), *extra], catch_exceptions=False)
    with out.open(encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        assert tuple(reader.fieldnames or ()) == REVIEW_COLUMNS
        return list(reader)


def test_the_review_csv_fills_in_confident_suggestions(built_dist: Path, works_csv: Path,
                                                       tmp_path: Path) -> None:
    rows = review(built_dist, works_csv, tmp_path / "review.csv")
    assert [(r["techniques"], r["concepts"]) for r in rows] == [
        ("", "watermarking"), ("Machine Unlearning", ""), ("", "")]
    assert rows[0]["scores"].startswith("watermarking: 0.")
    from ai45kg.kg.literature import DEFAULT_ACCEPT

    filled = [float(part.rsplit(":", 1)[1]) for r in rows if r["scores"]
              for part in r["scores"].split(";")]
    assert filled and min(filled) >= DEFAULT_ACCEPT  # the default threshold
    assert rows[0]["why"].startswith("watermarking: “")
    assert rows[0]["alternatives"].count(":") == 4  # the other four of the top five
    assert rows[0]["abstract"].startswith("We propose a watermarking framework")
    assert rows[0]["keywords"] == "watermark; LLM"
    assert rows[1]["doi"] == "10.1109/SP.2015.35"
    assert rows[1]["authors"] == "Yinzhi Cao; Junfeng Yang"
    strict = review(built_dist, works_csv, tmp_path / "strict.csv", "--accept-above", "0.7")
    assert [(r["techniques"], r["concepts"]) for r in strict] == [("", ""),
                                                                 ("Machine Unlearning", ""),
                                                                 ("", "")]


def test_the_review_csv_imports_as_it_is_and_feeds_the_next_suggestions(
        built_dist: Path, works_csv: Path, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    from ai45kg.kg.literature.imports import prepare
    from ai45kg.kg.load import load_sources

    review(built_dist, works_csv, tmp_path / "review.csv")
    graph, summary = prepare(tmp_path / "review.csv", "review-loop")
    assert (summary.works, summary.mappings, summary.unmapped) == (3, 2, 1)
    watermark = next(w for w in graph.subjects(DCTERMS.title,
                                               Literal("A Watermark for Large Language Models",
                                                       lang="en")))
    assert (watermark, AI45.addresses, URIRef(f"{AI45R}practice/watermarking")) in graph
    assert str(graph.value(watermark, DCTERMS.abstract)).startswith("We propose a watermarking")
    assert {str(k) for k in graph.objects(watermark, DCTERMS.subject)} == {"watermark", "LLM"}

    monkeypatch.setenv("AI45_IMPORTS", str(tmp_path / "no-imports"))
    ds = load_sources()
    target = ds.graph(graph.identifier)
    for triple in graph:
        target.add(triple)
    after = build_profiles(ds)
    practice = next(c for c in after.concepts if c.iri == f"{AI45R}practice/watermarking")
    confirmed = [p for p in practice.passages if p.source == "import"]
    assert {(p.text, p.where) for p in confirmed} >= {
        ("A Watermark for Large Language Models", "review-loop"),
        ("watermark", "review-loop")}
    reasons = Ranker(after).rank(Work("A watermark for language models"), 1)[0].why
    assert any(r.source == "import" and r.where == "review-loop" for r in reasons)


# --------------------------------------------------------------------------- /suggest


def test_suggest_get_answers_json(client: FlaskClient) -> None:
    response = client.get("/suggest", query_string={"title": "A Watermark for Large Language "
                                                              "Models", "top": "2"})
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert body["title"] == "A Watermark for Large Language Models"
    assert [s["concept"] for s in body["suggestions"]][:1] == [f"{AI45R}practice/watermarking"]
    assert len(body["suggestions"]) == 2


def test_suggest_post_form_and_json(client: FlaskClient) -> None:
    by_form = client.post("/suggest", data={"title": "A new method", "abstract":
                                            "We remove the influence of specific training data "
                                            "from a trained model."})
    by_json = client.post("/suggest", json={"title": "A new method", "abstract":
                                            "We remove the influence of specific training data "
                                            "from a trained model."})
    assert by_form.status_code == by_json.status_code == 200
    assert by_form.get_json() == by_json.get_json()
    assert by_json.get_json()["suggestions"][0]["concept"] == f"{TECHNIQUE}machine-unlearning"


@pytest.mark.parametrize(("request_args", "status", "message"), [
    ({"method": "GET"}, 400, "give the work's title"),
    ({"method": "GET", "query_string": {"title": " "}}, 400, "give the work's title"),
    ({"method": "GET", "query_string": {"title": "x", "top": "many"}}, 400,
     "top must be a whole number from 1 to 20, not 'many'"),
    ({"method": "GET", "query_string": {"title": "x", "top": "21"}}, 400,
     "top must be from 1 to 20, not 21"),
    ({"method": "POST", "json": ["a list"]}, 400, "the JSON body must be an object"),
    ({"method": "POST", "json": {"title": 5}}, 400, "title must be a string"),
    ({"method": "GET", "query_string": {"title": "x" * 1001}}, 413,
     "title is 1,001 characters long; at most 1,000 are accepted"),
    ({"method": "POST", "json": {"title": "x", "abstract": "y" * 20_001}}, 413,
     "abstract is 20,001 characters long; at most 20,000 are accepted"),
    ({"method": "PUT"}, 405, "PUT is not allowed on /suggest"),
    ({"method": "DELETE"}, 405, "DELETE is not allowed on /suggest"),
])
def test_suggest_refuses_bad_requests_with_a_json_message(
        client: FlaskClient, request_args: dict, status: int, message: str) -> None:
    response = client.open("/suggest", **request_args)
    assert response.status_code == status
    body = response.get_json()
    assert body["status"] == status
    assert message in body["message"]


def test_a_body_over_the_service_cap_is_413(client: FlaskClient, app: object) -> None:
    cap = app.config["MAX_CONTENT_LENGTH"]  # type: ignore[attr-defined]
    response = client.post("/suggest", data={"title": "x", "abstract": "y" * (cap + 1)})
    assert response.status_code == 413


def test_the_form_page(client: FlaskClient) -> None:
    response = client.get("/suggest", headers={"Accept": "text/html"})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert '<form class="param-form" action="/suggest" method="post"' in page
    assert 'aria-current="page">Suggest</a>' in page
    assert "Suggestions for" not in page


def test_the_page_escapes_the_title_and_the_reasons(client: FlaskClient) -> None:
    title = "<script>alert(1)</script> watermark for language models"
    response = client.post("/suggest", data={"title": title},
                           headers={"Accept": "text/html"})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; watermark for language models" in page
    # a reason quotes the matched words of the title (escaped) and the concept's name
    assert "<li>“watermark” in the concept&#39;s name: “watermarking”</li>" in page
    assert 'href="/id/practice/watermarking"' in page


def test_markup_inside_the_matched_words_of_a_reason_is_escaped(client: FlaskClient) -> None:
    response = client.get("/suggest", query_string={"title": "<b>Machine</b> Unlearning",
                                                     "format": "html"})
    page = response.get_data(as_text=True)
    assert "<li>“Machine&lt;/b&gt; Unlearning” in the concept&#39;s name: “Machine Unlearning”" \
        "</li>" in page
    assert "<b>" not in page
    reasons = client.get("/suggest", query_string={"title": "<b>Machine</b> Unlearning"})
    assert reasons.get_json()["suggestions"][0]["why"][0]["match"] == "Machine</b> Unlearning"


def test_the_page_shows_errors_in_the_form(client: FlaskClient) -> None:
    response = client.post("/suggest", data={"title": "x" * 1001},
                           headers={"Accept": "text/html"})
    assert response.status_code == 413
    assert "title is 1,001 characters long" in response.get_data(as_text=True)
