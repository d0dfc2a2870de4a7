"""Builds for the reliability tests, derived from the session's real build without running the
whole pipeline (no reasoning, no SHACL): a subset of it (a tiny dataset on which a fuzzer's
cartesian products stay cheap), or it plus extra statements (labels full of markup)."""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pyoxigraph
from pyoxigraph import RdfFormat

from ai45kg.kg.build import is_up_to_date
from ai45kg.kg.literature.profiles import PROFILES_FILE
from ai45kg.kg.load import sources_digest
from ai45kg.kg.namespaces import PREFIXES

UNION = {"ai45kg.ttl": RdfFormat.TURTLE, "ai45kg.nt": RdfFormat.N_TRIPLES,
         "ai45kg.jsonld": RdfFormat.JSON_LD, "ai45kg.rdf": RdfFormat.RDF_XML}
DATASET = {"ai45kg.trig": RdfFormat.TRIG, "ai45kg.nq": RdfFormat.N_QUADS}


def derive_dist(source: Path, target: Path, *,
                keep: Callable[[pyoxigraph.Quad], bool] | None = None,
                extra_trig: str = "") -> Path:
    """Write a build into `target` (a directory) holding the quads of the build in `source`
    that `keep` accepts, plus the quads of `extra_trig` (TriG with the project's prefixes)."""
    quads = [q for q in pyoxigraph.parse(path=str(source / "ai45kg.trig"),
                                         format=RdfFormat.TRIG)
             if keep is None or keep(q)]
    if extra_trig:
        prologue = "".join(f"@prefix {p}: <{ns}> .\n" for p, ns in PREFIXES.items())
        quads += list(pyoxigraph.parse(prologue + extra_trig, format=RdfFormat.TRIG))
    quads.sort(key=lambda q: (str(q.graph_name), str(q.subject), str(q.predicate),
                              str(q.object)))
    target.mkdir(parents=True, exist_ok=True)
    prefixes = dict(PREFIXES)
    for name, fmt in DATASET.items():
        pyoxigraph.serialize(quads, str(target / name), fmt, prefixes=prefixes)
    triples = list(dict.fromkeys(q.triple for q in quads))
    for name, fmt in UNION.items():
        if fmt == RdfFormat.N_TRIPLES:
            pyoxigraph.serialize(triples, str(target / name), fmt)
        else:
            pyoxigraph.serialize(triples, str(target / name), fmt, prefixes=prefixes)
    counts: dict[str, int] = {}
    for q in quads:
        counts[q.graph_name.value] = counts.get(q.graph_name.value, 0) + 1  # type: ignore[union-attr]
    manifest = json.loads((source / "manifest.json").read_text(encoding="utf-8"))
    digest = hashlib.sha256("\n".join(sorted(str(q) for q in quads)).encode()).hexdigest()
    # the current sources' digest: `ai45kg serve` takes this build as up to date, and does not
    # rebuild over it (the sources may have changed since the session's build)
    manifest.update(content_hash=digest, triples=counts, files=sorted([*DATASET, *UNION]),
                    built=datetime.now(UTC).isoformat(timespec="seconds"),
                    sources_digest=sources_digest())
    (target / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    # the suggestions' profiles of the source build: without them the build is incomplete, and
    # `ai45kg serve` would rebuild the whole graph over this one
    shutil.copyfile(source / PROFILES_FILE, target / PROFILES_FILE)
    if not is_up_to_date(target):  # a server given it would rebuild and serve another dataset
        raise RuntimeError(f"{target} is not a complete build of the current sources")
    return target


def tiny_dist(source: Path, target: Path, max_quads: int = 120) -> Path:
    """A few quads of every named graph: labels and types of layers, levels and techniques,
    the ontology's classes: enough for every route to find something, too few for any query
    to be expensive."""
    per_graph: dict[str, int] = {}
    wanted = ("/id/layer/", "/id/level/", "/id/technique/", "/ontology#")

    def keep(q: pyoxigraph.Quad) -> bool:
        subject = str(q.subject)
        if not any(w in subject for w in wanted):
            return False
        graph = str(q.graph_name)
        if per_graph.get(graph, 0) >= max_quads // 4:
            return False
        per_graph[graph] = per_graph.get(graph, 0) + 1
        return True

    return derive_dist(source, target, keep=keep)
