"""Build the dataset: load the sources, derive the inferred graph, validate, and write dist/
(every serialisation, the manifest, and the concept profiles that suggestions are ranked
against: kg.literature.profiles).

The build writes into a fresh directory beside dist/ and then swaps the `dist` symlink to it in
one `rename`, so a failing or killed build leaves the previous dist/ whole and usable.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pyoxigraph
from pyoxigraph import RdfFormat
from rdflib import BNode, Dataset, URIRef

from . import __version__, paths
from .literature.profiles import PROFILES_FILE, build_profiles
from .load import all_source_paths, load_sources, sources_digest
from .namespaces import PREFIXES
from .reason import infer
from .stores import DATASET_TRIG, MANIFEST
from .terms import to_ox
from .validate import ValidationFailed, validate_dataset

#: the union of all graphs, in each RDF syntax users ask for (file name -> format)
UNION_FORMATS = {
    "ai45kg.ttl": RdfFormat.TURTLE,
    "ai45kg.nt": RdfFormat.N_TRIPLES,
    "ai45kg.jsonld": RdfFormat.JSON_LD,
    "ai45kg.rdf": RdfFormat.RDF_XML,
}
#: the dataset with its named graphs
DATASET_FORMATS = {DATASET_TRIG: RdfFormat.TRIG, "ai45kg.nq": RdfFormat.N_QUADS}
KEEP_BUILDS = 2


@dataclass
class BuildReport:
    dist: Path
    triples: dict[str, int] = field(default_factory=dict)
    content_hash: str = ""
    seconds: dict[str, float] = field(default_factory=dict)


def content_hash(ds: Dataset) -> str:
    """SHA-256 of the dataset's sorted N-Quads (blank nodes masked, since their labels change
    between parses): stable across rebuilds of the same sources."""

    def show(term: object) -> str:
        return "_" if isinstance(term, BNode) else term.n3()  # type: ignore[attr-defined]

    lines = sorted(
        f"{show(s)} {show(p)} {show(o)} {show(g)}"
        for s, p, o, g in ds.quads((None, None, None, None))
    )
    h = hashlib.sha256()
    for line in lines:
        h.update(line.encode("utf-8"))
        h.update(b"\n")
    return h.hexdigest()


def build(dist: Path | None = None, *, validate: bool = True) -> BuildReport:
    """Build the dataset into `dist` (default: kg.paths.dist_dir()).

    Raises:
        SourceError: a source file does not parse.
        ValidationFailed: the data violates the SHACL shapes (nothing is written).
    """
    dist = Path(dist) if dist is not None else paths.dist_dir()
    report = BuildReport(dist=dist)
    t0 = time.perf_counter()
    ds = load_sources()
    report.seconds["load"] = time.perf_counter() - t0

    t = time.perf_counter()
    inferred = infer(ds)
    target = ds.graph(inferred.identifier)
    for triple in inferred:
        target.add(triple)
    report.seconds["reason"] = time.perf_counter() - t

    if validate:
        t = time.perf_counter()
        result = validate_dataset(ds)
        report.seconds["validate"] = time.perf_counter() - t
        if not result.conforms:
            raise ValidationFailed(result)

    t = time.perf_counter()
    report.content_hash = content_hash(ds)
    for g in ds.graphs():
        if isinstance(g.identifier, URIRef) and len(g):
            report.triples[str(g.identifier)] = len(g)
    _write_atomically(ds, dist, report)
    report.seconds["write"] = time.perf_counter() - t
    report.seconds["total"] = time.perf_counter() - t0
    return report


def _write_atomically(ds: Dataset, dist: Path, report: BuildReport) -> None:
    builds = dist.parent / f".{dist.name}.builds"
    builds.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    staging = builds / f"{stamp}-{os.getpid()}.partial"
    staging.mkdir()
    try:
        _serialise(ds, staging)
        # what `ai45kg suggest` and /suggest rank works against (kg.literature.profiles)
        build_profiles(ds, report.content_hash).write(staging)
        manifest = {
            "content_hash": report.content_hash,
            "sources_digest": sources_digest(),
            "sources": [str(p.relative_to(paths.ROOT)) for p in all_source_paths()],
            "built": datetime.now(UTC).isoformat(timespec="seconds"),
            "builder": f"ai45kg {__version__}",
            "triples": report.triples,
            "files": sorted([*DATASET_FORMATS, *UNION_FORMATS]),
            "profiles": PROFILES_FILE,
        }
        (staging / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
        final = staging.with_suffix("")
        staging.rename(final)
        _swap_link(dist, final)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    _prune(builds, keep=final)


def _serialise(ds: Dataset, staging: Path) -> None:
    """Write every serialisation with pyoxigraph: two orders of magnitude faster than rdflib's
    pretty serialisers, and sorted, so the output groups each subject's statements."""
    quads = sorted(
        (
            pyoxigraph.Quad(to_ox(s), to_ox(p), to_ox(o), to_ox(g))  # type: ignore[arg-type]
            for s, p, o, g in ds.quads((None, None, None, None))
            if isinstance(g, URIRef)
        ),
        key=lambda q: (str(q.graph_name), str(q.subject), str(q.predicate), str(q.object)),
    )
    prefixes = dict(PREFIXES)
    for name, fmt in DATASET_FORMATS.items():
        pyoxigraph.serialize(quads, str(staging / name), fmt, prefixes=prefixes)
    triples = list(dict.fromkeys(q.triple for q in quads))
    for name, fmt in UNION_FORMATS.items():
        if fmt == RdfFormat.N_TRIPLES:
            pyoxigraph.serialize(triples, str(staging / name), fmt)
        else:
            pyoxigraph.serialize(triples, str(staging / name), fmt, prefixes=prefixes)


def _swap_link(dist: Path, target: Path) -> None:
    """Point `dist` at `target` in one rename (atomic on POSIX)."""
    if dist.exists() and not dist.is_symlink():
        # a dist/ left by something else: move it aside rather than lose it
        dist.rename(dist.with_name(dist.name + ".old-" + str(int(time.time()))))
    tmp_link = dist.with_name(f".{dist.name}.link-{os.getpid()}")
    if tmp_link.is_symlink() or tmp_link.exists():
        tmp_link.unlink()
    tmp_link.symlink_to(os.path.relpath(target, dist.parent))
    os.replace(tmp_link, dist)


def _prune(builds: Path, keep: Path) -> None:
    done = sorted((p for p in builds.iterdir() if not p.name.endswith(".partial")), reverse=True)
    for old in done[KEEP_BUILDS:]:
        if old != keep:
            shutil.rmtree(old, ignore_errors=True)


def is_up_to_date(dist: Path | None = None) -> bool:
    """True when dist/ holds a build of the current sources."""
    dist = Path(dist) if dist is not None else paths.dist_dir()
    try:
        manifest = json.loads((dist / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return (manifest.get("sources_digest") == sources_digest()
            and (dist / DATASET_TRIG).exists() and (dist / PROFILES_FILE).exists())
