"""The `ai45kg` command: query (named, file, text; table/json/csv), import-paper, get."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from ai45kg.kg import paths
from ai45kg.service.cli import main

from .kgutil import V101_FILE, V103_FILE, needs_paper


@pytest.fixture()
def cli(built_dist: Path) -> CliRunner:
    return CliRunner(env={"AI45_DIST": str(built_dist)})


def test_query_a_named_query_as_json(cli: CliRunner) -> None:
    result = cli.invoke(main, ["query", "techniques-for-level", "--param",
                               "level=ai45r:level/perception", "--format", "json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    techniques = {b["technique"]["value"].rsplit("/", 1)[-1]
                  for b in doc["results"]["bindings"]}
    # the Approximate Alignment (2) and Intervenable (6) techniques; none of the Reflectable Layer
    assert len(techniques) == 8 and "value-reflection" not in techniques


def test_query_text_with_the_project_prefixes_as_csv(cli: CliRunner) -> None:
    result = cli.invoke(main, ["query", "SELECT ?l WHERE { ?l a ai45:Layer } ORDER BY ?l",
                               "--format", "csv"])
    assert result.exit_code == 0, result.output
    rows = list(csv.reader(io.StringIO(result.stdout)))
    assert rows == [["l"], ["https://w3id.org/ai45/id/layer/approximate-alignment"],
                    ["https://w3id.org/ai45/id/layer/intervenable"],
                    ["https://w3id.org/ai45/id/layer/reflectable"]]


def test_query_a_file_as_a_table(cli: CliRunner, tmp_path: Path) -> None:
    rq = tmp_path / "levels.rq"
    rq.write_text("SELECT ?rank WHERE { ?l ai45:levelRank ?rank } ORDER BY ?rank")
    result = cli.invoke(main, ["query", str(rq)])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[2:] == ["1", "2", "3", "4", "5", "(5 rows)"]


def test_query_errors_are_clear(cli: CliRunner) -> None:
    bad_param = cli.invoke(main, ["query", "techniques-for-level", "--param", "lvl=x"])
    assert bad_param.exit_code == 2 and "allowed: level" in bad_param.output
    syntax = cli.invoke(main, ["query", "SELECT ?x WHERE { ?x"])
    assert syntax.exit_code == 1 and "line" in syntax.output.lower()


def test_get_answers_in_process(cli: CliRunner) -> None:
    result = cli.invoke(main, ["get", "/id/level/autonomy", "--accept", "text/turtle"])
    assert result.exit_code == 0, result.output
    assert "Autonomy Trustworthiness" in result.stdout


@needs_paper
def test_import_paper_reproduces_the_committed_bibliography(tmp_path: Path) -> None:
    out = tmp_path / "bibliography.ttl"
    files = [str(paths.PAPER_TEXT_DIR / V103_FILE), str(paths.PAPER_TEXT_DIR / V101_FILE)]
    result = CliRunner().invoke(main, ["import-paper", *files, "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_bytes() == paths.BIBLIOGRAPHY_FILE.read_bytes()
    assert "garbled DOI" in result.output


def test_import_paper_refuses_an_unknown_file(tmp_path: Path) -> None:
    stray = tmp_path / "other-paper.txt"
    stray.write_text("References\n- [1] A. Author. A title. 2020.\n")
    result = CliRunner().invoke(main, ["import-paper", str(stray), "--out",
                                       str(tmp_path / "b.ttl")])
    assert result.exit_code == 1
    assert "other-paper.txt" in result.output
    assert not (tmp_path / "b.ttl").exists()
