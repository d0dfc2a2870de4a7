"""SHACL validation: the data conforms, and a violating change is reported with focus node,
path and message (library and `ai45kg validate`)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from rdflib import Graph, Literal
from rdflib.namespace import RDF, RDFS

from ai45kg.kg import paths
from ai45kg.kg.load import load_sources
from ai45kg.kg.namespaces import AI45, AI45R, GRAPH_FRAMEWORK
from ai45kg.kg.reason import infer
from ai45kg.kg.validate import validate_dataset
from ai45kg.service.cli import main


def validated(mutate=None):  # type: ignore[no-untyped-def]
    ds = load_sources()
    if mutate:
        mutate(ds.graph(GRAPH_FRAMEWORK))
    inferred = infer(ds)
    target = ds.graph(inferred.identifier)
    for triple in inferred:
        target.add(triple)
    return validate_dataset(ds)


def test_the_data_conforms() -> None:
    result = validated()
    assert result.conforms, [str(v) for v in result.violations]
    assert result.violations == []


def test_a_second_layer_for_a_technique_is_a_violation() -> None:
    def mutate(g: Graph) -> None:
        g.add((AI45R["technique/machine-unlearning"], AI45.inLayer, AI45R["layer/reflectable"]))

    result = validated(mutate)
    assert not result.conforms
    focus = {(v.focus, v.path) for v in result.violations}
    assert (str(AI45R["technique/machine-unlearning"]), str(AI45.inLayer)) in focus
    # the new statement also has no evidence
    assert any("has no axiom annotation" in v.message and "machine-unlearning" in v.message
               for v in result.violations)


def test_a_missing_label_and_a_bad_rank_are_violations() -> None:
    level = AI45R["level/autonomy"]

    def mutate(g: Graph) -> None:
        g.remove((level, RDFS.label, None))
        g.remove((level, AI45.levelRank, None))
        g.add((level, AI45.levelRank, Literal(7)))

    result = validated(mutate)
    paths_reported = {v.path for v in result.violations if v.focus == str(level)}
    assert str(RDFS.label) in paths_reported
    assert str(AI45.levelRank) in paths_reported


def test_an_unexplained_interpretation_is_a_violation() -> None:
    ev = AI45R["evidence/foundational-layers"]

    def mutate(g: Graph) -> None:
        g.remove((ev, AI45.interpretationNote, None))

    result = validated(mutate)
    assert any(v.focus == str(ev) for v in result.violations)


@pytest.fixture()
def broken_sources(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the framework data with one SHACL violation, swapped in for the real one."""
    copy = tmp_path / "framework.ttl"
    shutil.copy(paths.FRAMEWORK_FILE, copy)
    with copy.open("a", encoding="utf-8") as f:
        f.write('\n<https://w3id.org/ai45/id/technique/value-reflection> '
                '<https://w3id.org/ai45/ontology#inLayer> '
                '<https://w3id.org/ai45/id/layer/intervenable> .\n')
    monkeypatch.setattr(paths, "FRAMEWORK_FILE", copy)
    return copy


def test_validate_command_exits_zero_when_the_data_conforms() -> None:
    result = CliRunner().invoke(main, ["validate"])
    assert result.exit_code == 0, result.output
    assert "conforms" in result.output


def test_validate_command_reports_focus_path_message_and_fails(broken_sources: Path) -> None:
    result = CliRunner().invoke(main, ["validate"])
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines()
             if "focus: https://w3id.org/ai45/id/technique/value-reflection" in line]
    assert lines, result.output
    assert any("path: https://w3id.org/ai45/ontology#inLayer" in line and "message: " in line
               for line in lines)


def test_types_of_the_data_are_real_classes() -> None:
    ds = load_sources()
    onto_classes = set(ds.graph(AI45R["x"]).subjects())  # empty: sanity of the helper below
    assert onto_classes == set()
    classes = {o for o in ds.graph(GRAPH_FRAMEWORK).objects(None, RDF.type)
               if str(o).startswith(str(AI45))}
    declared = set(Graph().parse(paths.ONTOLOGY_FILE).subjects(RDF.type, None))
    assert classes <= declared
