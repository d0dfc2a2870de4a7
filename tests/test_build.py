"""The build: every serialisation, the named graphs, the manifest, and atomicity (a failing or
killed build leaves the previous dist/ whole)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from rdflib import Dataset, Graph

from ai45kg.kg import paths
from ai45kg.kg.build import build, is_up_to_date
from ai45kg.kg.load import SourceError
from ai45kg.kg.namespaces import GRAPH_BIBLIOGRAPHY, GRAPH_FRAMEWORK, GRAPH_INFERRED, GRAPH_ONTOLOGY
from ai45kg.kg.validate import ValidationFailed

FILES = ["ai45kg.trig", "ai45kg.nq", "ai45kg.ttl", "ai45kg.nt", "ai45kg.jsonld", "ai45kg.rdf",
         "manifest.json", "suggest-profiles.json"]


def test_dist_holds_every_serialisation_of_the_same_data(built_dist: Path) -> None:
    assert sorted(p.name for p in built_dist.iterdir()) == sorted(FILES)
    ds = Dataset()
    ds.parse(built_dist / "ai45kg.trig", format="trig")
    graphs = {g.identifier for g in ds.graphs() if len(g)}
    assert {GRAPH_ONTOLOGY, GRAPH_FRAMEWORK, GRAPH_BIBLIOGRAPHY, GRAPH_INFERRED} <= graphs
    nq = Dataset()
    nq.parse(built_dist / "ai45kg.nq", format="nquads")
    assert len(list(nq.quads())) == len(list(ds.quads()))
    union = {(s, p, o) for s, p, o, _ in ds.quads()}
    for name, fmt in [("ai45kg.ttl", "turtle"), ("ai45kg.nt", "nt"),
                      ("ai45kg.jsonld", "json-ld"), ("ai45kg.rdf", "xml")]:
        g = Graph().parse(built_dist / name, format=fmt)
        assert len(g) == len(union), name


def test_manifest_counts_match_the_data(built_dist: Path) -> None:
    manifest = json.loads((built_dist / "manifest.json").read_text())
    ds = Dataset()
    ds.parse(built_dist / "ai45kg.trig", format="trig")
    for graph, n in manifest["triples"].items():
        assert len(ds.graph(graph)) == n
    assert len(manifest["content_hash"]) == 64
    assert is_up_to_date(built_dist)


def _snapshot(dist: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in dist.iterdir()}


@pytest.fixture()
def first_build(tmp_path: Path) -> Path:
    dist = tmp_path / "dist"
    build(dist, validate=False)
    return dist


def test_a_source_that_does_not_parse_leaves_dist_untouched(
        first_build: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    before = _snapshot(first_build)
    broken = tmp_path / "framework.ttl"
    broken.write_text(paths.FRAMEWORK_FILE.read_text() + "\nthis is not turtle .\n")
    monkeypatch.setattr(paths, "FRAMEWORK_FILE", broken)
    with pytest.raises(SourceError, match="framework.ttl"):
        build(first_build)
    assert _snapshot(first_build) == before
    assert not is_up_to_date(first_build)


def test_a_shacl_violation_leaves_dist_untouched(
        first_build: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    before = _snapshot(first_build)
    bad = tmp_path / "framework.ttl"
    bad.write_text(paths.FRAMEWORK_FILE.read_text()
                   + "\n<https://w3id.org/ai45/id/level/autonomy> "
                     "<https://w3id.org/ai45/ontology#levelRank> 9 .\n")
    monkeypatch.setattr(paths, "FRAMEWORK_FILE", bad)
    with pytest.raises(ValidationFailed, match="levelRank"):
        build(first_build)
    assert _snapshot(first_build) == before


@pytest.mark.slow
def test_a_build_killed_midway_leaves_the_previous_dist_usable(first_build: Path) -> None:
    before = _snapshot(first_build)
    env = {**os.environ, "AI45_DIST": str(first_build)}
    for delay in (0.5, 1.5, 3.0):
        proc = subprocess.Popen([sys.executable, "-m", "ai45kg.service.cli", "build"], env=env,
                                cwd=paths.ROOT, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        current = _snapshot(first_build)
        # either the old build or a complete new one, never a mix or a gap
        assert sorted(current) == sorted(FILES)
        if current != before:
            assert json.loads(current["manifest.json"])["content_hash"]
        Dataset().parse(first_build / "ai45kg.trig", format="trig")


def test_old_builds_are_pruned(first_build: Path) -> None:
    for _ in range(3):
        build(first_build, validate=False)
    builds = first_build.parent / ".dist.builds"
    assert len([p for p in builds.iterdir() if not p.name.endswith(".partial")]) <= 2
    assert first_build.is_symlink()


def test_a_plain_dist_directory_is_moved_aside_not_lost(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    dist.mkdir()
    (dist / "mine.txt").write_text("keep me")
    build(dist, validate=False)
    kept = [p for p in tmp_path.iterdir() if p.name.startswith("dist.old-")]
    assert len(kept) == 1 and (kept[0] / "mine.txt").read_text() == "keep me"
    shutil.rmtree(kept[0])
