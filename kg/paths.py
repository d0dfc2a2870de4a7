"""Where the project's files live: sources under ontology/ and queries/, the build under dist/."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ONTOLOGY_DIR = ROOT / "ontology"
ONTOLOGY_FILE = ONTOLOGY_DIR / "ai45.ttl"
SHAPES_FILE = ONTOLOGY_DIR / "shapes.ttl"
DATA_DIR = ONTOLOGY_DIR / "data"
FRAMEWORK_FILE = DATA_DIR / "framework.ttl"
PAPER_FILE = DATA_DIR / "paper.ttl"
BIBLIOGRAPHY_FILE = DATA_DIR / "bibliography.ttl"
QUERIES_DIR = ROOT / "queries"
#: the two texts of the paper (present in CI beside the repository, never committed)
PAPER_TEXT_DIR = Path(os.environ.get("AI45_PAPER_DIR", ROOT.parent / "shared" / "paper"))


def imports_dir() -> Path:
    """Where analyst imports are kept, one Turtle file each (`ai45kg import`); AI45_IMPORTS
    overrides it."""
    return Path(os.environ.get("AI45_IMPORTS", ROOT / "imports"))


def dist_dir() -> Path:
    """The build directory; AI45_DIST overrides it (tests build into temporary directories)."""
    return Path(os.environ.get("AI45_DIST", ROOT / "dist"))
