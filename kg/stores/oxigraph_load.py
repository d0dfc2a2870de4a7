"""Loading a build into an on-disk Oxigraph store, once per build (content hash), with the
default graph materialised as the union of the named graphs; stores of older builds are
pruned."""

from __future__ import annotations

import contextlib
import fcntl
import gc
import itertools
import json
import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .base import DATASET_NQUADS, StoreError, read_manifest

# ---------------------------------------------------------------------------------------------
# Oxigraph: embedded and persistent

#: the file in a store directory that records which build it holds
STORE_MARKER = "ai45kg-store.json"
#: the statements whose literal Oxigraph stores under another datatype (see DERIVED_INTEGERS)
STORE_LITERALS = "literals.nq"
XSD_NS = "http://www.w3.org/2001/XMLSchema#"
#: XSD integer types that Oxigraph stores as xsd:integer (oxigraph/oxigraph#526): the value is
#: kept, the datatype is not; graph answers get it back from STORE_LITERALS
DERIVED_INTEGERS = frozenset(XSD_NS + t for t in (
    "int", "long", "short", "byte", "nonNegativeInteger", "positiveInteger",
    "nonPositiveInteger", "negativeInteger", "unsignedLong", "unsignedInt", "unsignedShort",
    "unsignedByte"))
#: quads per call of Oxigraph's bulk loader, which holds all of a call's quads in memory (with
#: the union default graph, a million-triple build in one call peaks near 2 GiB)
LOAD_BATCH = 250_000
#: store directories kept beside the current one (the previous build, for a quick rollback)
KEEP_STORES = 2
#: the layout of a store directory; a store of another format is loaded again (3: the default
#: graph holds the union of the named graphs)
STORE_FORMAT = 3


def default_store_root(dist: Path) -> Path:
    """Where Oxigraph stores live by default: `.oxigraph/` beside the dist link (never inside
    the `.dist.builds` directory, whose old builds the build prunes)."""
    link = Path(os.path.abspath(dist))
    parent = link.parent
    if parent.name.startswith(".") and parent.name.endswith(".builds"):
        parent = parent.parent  # given a build directory itself, not the link to it
    return parent / ".oxigraph"


def oxigraph_path(dist: Path, store_path: str | Path | None = None) -> Path:
    """The store directory for the build in `dist`: `<STORE_PATH>/<content hash>`, with
    STORE_PATH defaulting to `default_store_root(dist)`."""
    root = Path(store_path) if store_path else default_store_root(dist)
    return root / read_manifest(Path(dist).resolve())["content_hash"]


def _marker(path: Path) -> dict | None:
    try:
        return json.loads((path / STORE_MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


@contextlib.contextmanager
def _locked(root: Path) -> Iterator[None]:
    root.mkdir(parents=True, exist_ok=True)
    with (root / ".lock").open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def prepare_oxigraph(dist: Path, path: Path) -> dict:
    """Make `path` hold the build in `dist`, loading it with Oxigraph's bulk loader unless the
    store there already records the same content hash; return the store's marker.

    Safe against concurrent callers (an exclusive lock, a load into a temporary directory that
    is renamed into place when complete): a reader never sees a half-loaded store.

    Raises:
        StoreError: the build cannot be loaded.
    """
    import pyoxigraph as ox

    dist = Path(dist).resolve()
    manifest = read_manifest(dist)
    wanted = manifest["content_hash"]
    def current(marker: dict | None) -> bool:
        return bool(marker) and marker.get("content_hash") == wanted and (  # type: ignore[union-attr]
            marker.get("format") == STORE_FORMAT)  # type: ignore[union-attr]

    marker = _marker(path)
    if current(marker):
        return marker  # type: ignore[return-value]
    with _locked(path.parent):
        marker = _marker(path)
        if current(marker):
            return marker  # type: ignore[return-value]
        if path.exists():
            shutil.rmtree(path)
        staging = path.with_name(f".{path.name}.loading-{os.getpid()}")
        shutil.rmtree(staging, ignore_errors=True)
        started = time.perf_counter()
        try:
            store = ox.Store(str(staging))
            quads_in = _with_union(dist / DATASET_NQUADS)
            while True:  # in batches: the bulk loader holds a whole call's quads in memory
                batch = list(itertools.islice(quads_in, LOAD_BATCH))
                if not batch:
                    break
                store.bulk_extend(batch)
            store.flush()
            literals = _keep_literals(dist / DATASET_NQUADS, staging / STORE_LITERALS)
            graphs = sorted(g.value for g in store.named_graphs()
                            if isinstance(g, ox.NamedNode))
            quads = sum(manifest.get("triples", {}).values()) or len(store)
            del store
            gc.collect()
            marker = {
                "format": STORE_FORMAT,
                "content_hash": wanted,
                "quads": quads,
                "graphs": graphs,
                "source": str(dist / DATASET_NQUADS),
                "load_seconds": round(time.perf_counter() - started, 3),
                "literals": literals,
                "pyoxigraph": getattr(ox, "__version__", ""),
            }
            (staging / STORE_MARKER).write_text(json.dumps(marker, indent=2) + "\n")
            os.rename(staging, path)
        except BaseException as exc:
            shutil.rmtree(staging, ignore_errors=True)
            if isinstance(exc, (OSError, SyntaxError, ValueError)):
                raise StoreError(f"cannot load {dist / DATASET_NQUADS} into Oxigraph at {path}: "
                                 f"{exc}") from exc
            raise
        _prune_stores(path)
        return marker


def _with_union(nquads: Path) -> Iterator[Any]:
    """Every quad of `nquads`, each followed by its triple in the default graph.

    The store's default graph is then the union of the named graphs, as the service's default
    graph is, materialised: Oxigraph evaluates a query over one graph two to four times faster
    than over the union of several (`use_default_graph_as_union`), which it computes per pattern
    (on the paper's build, p50 of works-for-concept 0.50 -> 0.23 ms, levels 1.7 -> 0.50 ms,
    techniques-for-level 2.7 -> 0.75 ms). One pass over one parse keeps the blank nodes of both
    copies the same (the bulk loader would rename them)."""
    import pyoxigraph as ox

    default = ox.DefaultGraph()
    for quad in ox.parse(path=str(nquads), format=ox.RdfFormat.N_QUADS):
        yield quad
        yield ox.Quad(quad.subject, quad.predicate, quad.object, default)


def _keep_literals(nquads: Path, out: Path) -> int:
    """Copy the statements whose object is of a DERIVED_INTEGERS type to `out`."""
    names = tuple(f"^^<{t}>" for t in DERIVED_INTEGERS)
    count = 0
    with nquads.open(encoding="utf-8") as source, out.open("w", encoding="utf-8") as target:
        for line in source:
            if XSD_NS in line and any(n in line for n in names):
                target.write(line)
                count += 1
    return count


def _prune_stores(current: Path) -> None:
    """Remove store directories of older builds, keeping the most recently used few."""
    others = [p for p in current.parent.iterdir()
              if p.is_dir() and p != current and not p.name.startswith(".")
              and (p / STORE_MARKER).exists()]
    others.sort(key=lambda p: (p / STORE_MARKER).stat().st_mtime, reverse=True)
    for old in others[KEEP_STORES - 1:]:
        shutil.rmtree(old, ignore_errors=True)
