"""Where the project's files live.

The ontology, shapes, data and named queries ship inside the package (`ontology/` and `queries/`
beside `kg/`: the repository's folders in a checkout, the installed package's data in a wheel).
What the project writes goes to the checkout in a checkout (`dist/`, `imports/`), and otherwise to
the user's data directory (XDG: ~/.local/share/ai45kg/ on Linux, via platformdirs);
`--dist` / AI45_DIST and AI45_IMPORTS override both.
"""

from __future__ import annotations

import os
from pathlib import Path

#: the folder that holds kg/, service/, ontology/ and queries/: the checkout, or the installed
#: package (site-packages/ai45kg/)
ROOT = Path(__file__).resolve().parent.parent
ONTOLOGY_DIR = ROOT / "ontology"
ONTOLOGY_FILE = ONTOLOGY_DIR / "ai45.ttl"
SHAPES_FILE = ONTOLOGY_DIR / "shapes.ttl"
DATA_DIR = ONTOLOGY_DIR / "data"
FRAMEWORK_FILE = DATA_DIR / "framework.ttl"
PAPER_FILE = DATA_DIR / "paper.ttl"
BIBLIOGRAPHY_FILE = DATA_DIR / "bibliography.ttl"
QUERIES_DIR = ROOT / "queries"
#: the project's search vocabulary, read into the concept profiles of `ai45kg suggest`
VOCABULARY_FILE = Path(__file__).resolve().parent / "literature" / "vocabulary.csv"
#: the two texts of the paper (present in CI beside the repository, never committed)
PAPER_TEXT_DIR = Path(os.environ.get("AI45_PAPER_DIR", ROOT.parent / "shared" / "paper"))


def in_checkout() -> bool:
    """Whether the code runs from a source checkout (editable install or not) rather than an
    installed wheel: the project file sits beside the packages."""
    return (ROOT / "pyproject.toml").is_file()


def data_home() -> Path:
    """Where an installed ai45kg keeps what it writes: the checkout in a checkout, else the
    user's data directory (AI45_HOME overrides it)."""
    if os.environ.get("AI45_HOME"):
        return Path(os.environ["AI45_HOME"])
    if in_checkout():
        return ROOT
    import platformdirs

    return Path(platformdirs.user_data_dir("ai45kg", appauthor=False))


def imports_dir() -> Path:
    """Where analyst imports are kept, one Turtle file each (`ai45kg import`); AI45_IMPORTS
    overrides it."""
    return Path(os.environ.get("AI45_IMPORTS", data_home() / "imports"))


def dist_dir() -> Path:
    """The build directory; AI45_DIST overrides it (tests build into temporary directories)."""
    return Path(os.environ.get("AI45_DIST", data_home() / "dist"))
