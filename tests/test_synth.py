"""The synthetic literature (kg.literature.synth, `ai45kg synth`): deterministic by seed, the size
asked for, a citation network over the roadmap's real techniques and levels, and valid against the
project's own SHACL shapes."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner
from rdflib import URIRef

from ai45kg.kg.literature.synth import framework_concepts, write
from ai45kg.kg.load import parse_turtle
from ai45kg.kg.namespaces import AI45, CITO
from ai45kg.kg.stores import load_built_dataset
from ai45kg.kg.validate import validate_dataset

TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("synth") / "synth-5.ttl"
    write(out, 10_000, 5)
    return out


def test_same_seed_same_bytes_other_seed_other_bytes(sample: Path, tmp_path: Path) -> None:
    again = tmp_path / "again.ttl"
    write(again, 10_000, 5)
    assert again.read_bytes() == sample.read_bytes()
    other = tmp_path / "other.ttl"
    write(other, 10_000, 6)
    assert other.read_bytes() != sample.read_bytes()


@pytest.mark.parametrize("size", [10_000, 100_000])
def test_it_writes_about_the_size_asked_for(tmp_path: Path, size: int) -> None:
    report = write(tmp_path / "s.nt", size, 1)
    lines = [x for x in (tmp_path / "s.nt").read_text().splitlines() if not x.startswith("#")]
    assert report.triples == len(lines)
    assert size <= report.triples < size + 100  # whole works: a few more
    assert len(list(ox.parse(path=str(tmp_path / "s.nt"), format=ox.RdfFormat.N_TRIPLES))
               ) == report.triples


def test_n_quads_go_into_the_imports_graph(tmp_path: Path) -> None:
    write(tmp_path / "s.nq", 2_000, 3, name="bench")
    graphs = {q.graph_name.value for q in ox.parse(path=str(tmp_path / "s.nq"),
                                                   format=ox.RdfFormat.N_QUADS)}
    assert graphs == {"https://w3id.org/ai45/graph/import/bench"}


def test_works_cite_earlier_works_and_map_to_real_concepts(sample: Path) -> None:
    techniques, levels = framework_concepts()
    quads = list(ox.parse(path=str(sample), format=ox.RdfFormat.TURTLE))
    works = [q.subject.value for q in quads
             if q.predicate.value == TYPE and q.object.value == str(AI45.ImportedWork)]
    order = {w: i for i, w in enumerate(works)}
    cites = [(q.subject.value, q.object.value) for q in quads
             if q.predicate.value == str(CITO.cites)]
    assert len(cites) > len(works)  # a network, not a list
    assert all(order[b] < order[a] for a, b in cites)  # citations point back in time
    cited = Counter(b for _, b in cites)
    assert cited.most_common(1)[0][1] >= 10  # some works are cited far more (attachment)
    mapped = {q.object.value for q in quads if q.predicate.value == str(AI45.addresses)}
    assert mapped <= set(techniques) | set(levels)
    assert mapped & set(techniques) and mapped & set(levels)
    years = {int(re.sub(r"\D", "", q.object.value)) for q in quads
             if q.predicate.value.endswith("/issued")}
    assert years <= set(range(2015, 2026)) and len(years) > 5


def _validate_with_the_build(built_dist: Path, sample: Path) -> list[str]:
    """Validate as `ai45kg build` does with the sample as one more import: the whole dataset
    (stated and inferred graphs), the ontology given to pyshacl for the class hierarchy."""
    ds = load_built_dataset(built_dist)
    parse_turtle(sample, ds.graph(URIRef("https://w3id.org/ai45/graph/import/synth-5")))
    result = validate_dataset(ds)
    return [f"{v.focus} {v.path}: {v.message}" for v in result.violations]


def test_a_10k_sample_conforms_to_the_shapes(built_dist: Path, sample: Path) -> None:
    assert _validate_with_the_build(built_dist, sample) == []


def test_the_shapes_do_check_the_sample(built_dist: Path, sample: Path, tmp_path: Path) -> None:
    broken = tmp_path / "synth-5.ttl"
    broken.write_text("".join(line for line in sample.read_text().splitlines(keepends=True)
                              if "/dc/terms/title>" not in line))
    problems = _validate_with_the_build(built_dist, broken)
    assert problems and all("title" in p for p in problems)


def test_synth_command(tmp_path: Path) -> None:
    from ai45kg.service.cli import main

    out = tmp_path / "s.nt"
    result = CliRunner().invoke(main, ["synth", "--triples", "3000", "--seed", "4",
                                       "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "works" in result.output and out.exists()
