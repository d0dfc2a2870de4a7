"""OWL 2 DL consistency of the ontology plus data, checked by HermiT through owlready2.

HermiT runs in the machine's Java; owlready2 ships the reasoner's jar. The check reads the
graphs as N-Triples in a temporary directory (owlready2 loads files, not rdflib graphs).
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from rdflib import Graph


class JavaMissing(RuntimeError):
    """HermiT needs a Java runtime on PATH."""


@dataclass
class ConsistencyResult:
    consistent: bool
    message: str = ""


def java_available() -> bool:
    return shutil.which("java") is not None


def check_consistency(graph: Graph) -> ConsistencyResult:
    """Run HermiT on `graph` (ontology + data); an inconsistent graph is reported, not raised."""
    if not java_available():
        raise JavaMissing("HermiT needs Java: install a JRE (e.g. Debian's default-jre-headless)")
    import owlready2  # imported late: it is slow to import and only needed here

    with tempfile.TemporaryDirectory(prefix="ai45kg-hermit-") as tmp:
        path = Path(tmp) / "ontology-and-data.nt"
        graph.serialize(destination=path, format="nt", encoding="utf-8")
        world = owlready2.World()
        world.get_ontology(path.as_uri()).load()
        try:
            owlready2.sync_reasoner_hermit(world, infer_property_values=False, debug=0)
        except owlready2.OwlReadyInconsistentOntologyError as exc:
            return ConsistencyResult(False, f"HermiT found the ontology inconsistent: {exc}")
        finally:
            world.close()
    return ConsistencyResult(True, "HermiT: consistent")
