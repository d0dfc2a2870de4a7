"""The analysts' report (kg.reports, kg.reports.pictures, `ai45kg report`, /report): the version
diff matches the two texts exactly, the Matrix heatmap has the right counts, every table
downloads."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from xml.etree import ElementTree

import pytest
from click.testing import CliRunner
from flask.testing import FlaskClient
from rdflib import Dataset

from ai45kg.kg import queries as named
from ai45kg.kg.reports import OxigraphRunner, Report, compute_report, run_named
from ai45kg.kg.reports.pictures import png_available
from ai45kg.kg.reports.report import substitute
from ai45kg.kg.stores import load_built_dataset
from ai45kg.service.cli import main

V103 = "Towards AI-45° Law (version dated 2024-12-24, 103 references)"
V101 = "Towards AI-45° Law (undated version, 101 references)"
SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(scope="module")
def runner(built_dist: Path) -> OxigraphRunner:
    return OxigraphRunner(built_dist)


@pytest.fixture(scope="module")
def report(runner: OxigraphRunner) -> Report:
    return compute_report(runner, scope="paper")


@pytest.fixture(scope="module")
def ds(built_dist: Path) -> Dataset:
    return load_built_dataset(built_dist)


def records(report: Report, name: str) -> list[dict]:
    return report.tables[name].records()


def slug(iri: str) -> str:
    return iri.removeprefix("https://w3id.org/ai45/id/")


# --------------------------------------------------------------------------- the version diff


def test_the_versions_have_103_and_101_references_and_102_works(report: Report) -> None:
    rows = {r["versionLabel"]: (r["references"], r["works"]) for r in
            records(report, "version-summary")}
    # each version lists one work twice (Renze and Guven, [81]/[82] and [79]/[80])
    assert rows == {V103: (103, 102), V101: (101, 100), "all versions": (204, 102)}


def test_two_works_are_cited_only_in_v103(report: Report) -> None:
    rows = [(r["versionLabel"], r["referenceNumber"], slug(r["work"]))
            for r in records(report, "single-version-works")]
    assert rows == [(V103, 23, "work/cooper-2024-machine-unlearning-doesnt-think"),
                    (V103, 59, "work/liu-2024-machine-unlearning-generative-ai")]


def test_the_renumbering_map(report: Report) -> None:
    rows = records(report, "reference-renumbering")
    by_work: dict[str, list[tuple[int | None, int | None]]] = {}
    for r in rows:
        by_work.setdefault(slug(r["work"]), []).append((r["firstNumber"], r["secondNumber"]))
    assert len(rows) == 103  # every entry of v103, paired with its entry of v101
    assert len(by_work) == 102
    assert by_work["work/pearl-2018-book-why-new-science"] == [(74, 72)]
    assert by_work["work/bereska-2024-mechanistic-interpretability-ai-safety"] == [(10, 10)]
    assert by_work["work/cooper-2024-machine-unlearning-doesnt-think"] == [(23, None)]
    assert by_work["work/renze-2024-self-reflection-llm-agents"] == [(81, 79), (82, 80)]
    assert sorted(r["secondNumber"] for r in rows if r["secondNumber"]) == list(range(1, 102))
    shift = {slug(r["work"]): r["shift"] for r in rows}
    assert shift["work/pearl-2018-book-why-new-science"] == -2


def test_the_counterfactual_interpretability_paragraph_is_only_in_v103(report: Report) -> None:
    rows = {slug(r["evidence"]): r for r in records(report, "single-version-evidence")}
    paragraph = rows["evidence/cf-interp-paragraph"]
    assert paragraph["versionLabel"] == V103
    assert paragraph["section"] == "3.3"
    assert paragraph["quote"].startswith("Counterfactual Interpretability […]: This aspect")
    groups = {(slug(r["group"]), r["inThisVersion"], r["inOtherVersion"])
              for r in records(report, "single-version-citation-groups")}
    # v103 prints the group [61, 91, 90, 19, 20] twice in 3.3 (the paragraph), v101 once
    assert ("paper/towards-ai-45-law/v103/citation/54", 2, 1) in groups
    # the Machine Unlearning groups differ: v103 adds Cooper et al. and Z. Liu et al.
    assert ("paper/towards-ai-45-law/v103/citation/31", 1, 0) in groups
    assert ("paper/towards-ai-45-law/v101/citation/31", 1, 0) in groups


def test_citation_groups_whose_works_changed(report: Report) -> None:
    rows = [(r["conceptLabel"], r["versionLabel"], r["referenceNumber"])
            for r in records(report, "citation-differences")]
    assert rows == [("Machine Unlearning", V103, 23), ("Machine Unlearning", V103, 59)]


def test_the_version_findings_are_in_words(report: Report) -> None:
    text = report.markdown()
    assert f"Only in {V103}: [23] Machine unlearning doesn’t do what you think" in text
    assert "[59] Machine unlearning in generative ai: A survey." in text


# --------------------------------------------------------------------------- coverage


def test_coverage_per_layer_and_technique(report: Report) -> None:
    layers = {r["layerLabel"]: (r["techniques"], r["paperWorks"], r["importWorks"])
              for r in records(report, "coverage-layers")}
    # techniques 2 / 6 / 3; works: the layer's own citations (3.1: [96], [46]; 3.3: [82, 84],
    # [71]), its techniques' with their sub-kinds', and its method families' ([51]; [85, 69, 86,
    # 78]), counted in v103's numbering
    assert layers == {"Approximate Alignment Layer": (2, 8, 0), "Intervenable Layer": (6, 22, 0),
                      "Reflectable Layer": (3, 12, 0)}
    techniques = {slug(r["technique"]): r["works"] for r in records(report, "coverage-techniques")}
    assert techniques["technique/machine-unlearning"] == 5
    assert techniques["technique/mechanistic-interpretability"] == 6
    # the works of RLHF [78, 85, 69, 102] and RLAIF [8] count for Learning from X Feedback
    assert techniques["technique/learning-from-x-feedback"] == 5
    assert techniques["technique/rlhf"] == 4
    gaps = {slug(r["concept"]) for r in records(report, "concepts-without-works")}
    assert "technique/learning-from-x-feedback" not in gaps
    # the paper cites works for the Reflectable Layer itself (3.3: self-reflection, -correction)
    assert {"level/perception", "level/autonomy"} <= gaps and "layer/reflectable" not in gaps
    assert "technique/rlhf" not in gaps
    governance = {r["measureLabel"]: r["works"] for r in records(report, "coverage-governance")}
    assert governance == {"Lifecycle management": 4, "Multi-stakeholders": 2,
                          "Governance for good": 2, "AI safety as a global public good": 2}


def test_the_report_runs_the_named_queries_as_rdflib_does(runner: OxigraphRunner,
                                                          ds: Dataset) -> None:
    catalogue = named.load_all()
    for name, raw in [("techniques-for-level", {"level": "level:perception"}),
                      ("works-for-concept", {}), ("coverage-levels", {}),
                      ("reference-renumbering", {"first": "ai45r:paper/towards-ai-45-law/v101",
                                                 "second": "ai45r:paper/towards-ai-45-law/v103"})]:
        q = catalogue[name]
        ours = run_named(runner, q, None, raw).rows
        theirs = [[None if v is None else v.toPython() if hasattr(v, "toPython") else v
                   for v in row] for row in ds.query(q.text, initBindings=q.bind(raw))]
        assert sorted(map(str, ours)) == sorted(map(str, [[str(v) if v is not None and not
                                                           isinstance(v, int) else v
                                                           for v in row] for row in theirs])), name


def test_parameters_are_substituted_as_terms() -> None:
    from rdflib import URIRef

    text = "#+ summary: s\nPREFIX a: <x:>\nSELECT ?level ?x WHERE { ?x a:p ?level }"
    assert substitute(text, {"level": URIRef("https://w3id.org/ai45/id/level/autonomy")}) == (
        "#+ summary: s\nPREFIX a: <x:>\nSELECT (<https://w3id.org/ai45/id/level/autonomy> AS "
        "?level) ?x WHERE { ?x a:p <https://w3id.org/ai45/id/level/autonomy> }")


# --------------------------------------------------------------------------- pictures


def expected_cells(ds: Dataset) -> dict[tuple[str, str], int]:
    """Counted independently of the function under test: a cell of a layer the level relies on
    (degree above none) counts the distinct works cited for the layer's techniques; else 0."""
    rows = ds.query("""
        PREFIX ai45: <https://w3id.org/ai45/ontology#>
        SELECT ?level ?layer ?rank (COUNT(DISTINCT ?work) AS ?n) WHERE {
          ?cell ai45:relianceOfLevel ?level ; ai45:relianceOnLayer ?layer ;
                ai45:relianceDegree/ai45:degreeRank ?rank .
          OPTIONAL { ?t ai45:inLayer ?layer ; ai45:citesWork ?work }
        } GROUP BY ?level ?layer ?rank""")
    return {(str(lv), str(ly)): (int(n) if int(rank) > 0 else 0) for lv, ly, rank, n in rows}


def test_the_matrix_heatmap_has_one_cell_per_level_and_layer_with_its_count(
        report: Report, ds: Dataset) -> None:
    svg = report.pictures["matrix"].svg
    root = ElementTree.fromstring(svg.encode("utf-8"))
    cells = [e for e in root.iter(f"{SVG}rect") if e.get("class") == "matrix-cell"]
    assert len(cells) == 15
    found = {(c.get("data-level"), c.get("data-layer")): int(c.get("data-count") or -1)
             for c in cells}
    expected = expected_cells(ds)
    assert found == expected
    assert found[("https://w3id.org/ai45/id/level/perception",
                  "https://w3id.org/ai45/id/layer/reflectable")] == 0
    assert sorted(set(expected.values())) == [0, 6, 12, 20]
    assert root.find(f"{SVG}title") is not None and "counts the distinct works" in svg


def test_the_other_pictures_parse(report: Report) -> None:
    for name in ("techniques", "years"):
        root = ElementTree.fromstring(report.pictures[name].svg.encode("utf-8"))
        assert root.find(f"{SVG}title") is not None
    tree = report.pictures["techniques"].svg
    assert tree.count("data-technique=") == 11 + 4  # the techniques and their sub-kinds
    bars = [e for e in ElementTree.fromstring(report.pictures["years"].svg.encode()).iter(
        f"{SVG}rect") if e.get("class") == "year-bar"]
    totals: dict[str, int] = {}
    for bar in bars:
        totals[bar.get("data-layer", "")] = totals.get(bar.get("data-layer", ""), 0) + int(
            bar.get("data-count") or 0)
    # the same works as coverage-layers counts for each layer
    assert totals == {"Approximate Alignment Layer": 8, "Intervenable Layer": 22,
                      "Reflectable Layer": 12}


@pytest.mark.skipif(not png_available(), reason="cairosvg or libcairo is not installed")
def test_pictures_render_as_png(report: Report) -> None:
    png = report.pictures["matrix"].png()
    assert png is not None and png.startswith(b"\x89PNG")


# --------------------------------------------------------------------------- outputs


def test_report_out_writes_every_table_and_picture(built_dist: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["report", "--scope", "paper", "--out", str(tmp_path),
                                       "--dist", str(built_dist)])
    assert result.exit_code == 0, result.output
    for name in ("report.md", "report.html", "report.json"):
        assert (tmp_path / name).stat().st_size > 1000
    data = json.loads((tmp_path / "report.json").read_text())
    for name in data["tables"]:
        with open(tmp_path / "tables" / f"{name}.csv", newline="", encoding="utf-8") as f:
            rows = list(csv.reader(f))
        assert rows[0] == data["tables"][name]["columns"]
        assert len(rows) - 1 == len(data["tables"][name]["rows"])
        assert json.loads((tmp_path / "tables" / f"{name}.json").read_text())["name"] == name
    for name in ("matrix", "techniques", "years"):
        assert (tmp_path / "pictures" / f"{name}.svg").exists()
        if png_available():
            assert (tmp_path / "pictures" / f"{name}.png").read_bytes().startswith(b"\x89PNG")
    html = (tmp_path / "report.html").read_text()
    assert "How the two versions of the paper differ" in html and "<svg" in html
    md = (tmp_path / "report.md").read_text()
    assert "[CSV](tables/coverage-techniques.csv)" in md


def test_the_report_is_served(client: FlaskClient) -> None:
    page = client.get("/report?scope=paper")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Literature map of the AI-45° roadmap" in html and 'class="matrix-cell"' in html
    assert "/report/tables/coverage-techniques.csv?scope=paper" in html
    md = client.get("/report.md?scope=paper")
    assert md.mimetype == "text/markdown" and "## How the two versions of the paper differ" in \
        md.get_data(as_text=True)
    data = client.get("/report.json?scope=paper").get_json()
    assert len(data["tables"]["reference-renumbering"]["rows"]) == 103
    table = client.get("/report/tables/single-version-works.csv?scope=paper")
    rows = list(csv.reader(io.StringIO(table.get_data(as_text=True))))
    assert [r[-1] for r in rows[1:]] == ["23", "59"]
    assert client.get("/report/tables/single-version-works.json?scope=paper").get_json()[
        "columns"][0] == "work"
    svg = client.get("/report/pictures/matrix.svg?scope=paper")
    assert svg.mimetype == "image/svg+xml"
    assert client.get("/report/tables/nope.csv").status_code == 404
    assert client.get("/report?scope=everything").status_code == 400
