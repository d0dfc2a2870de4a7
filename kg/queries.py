"""Named analyst queries: `queries/NAME.rq` files with a grlc-style header.

    #+ summary: Techniques that support a trustworthiness level
    #+ description: Ranked by how strongly the level relies on each technique's layer.
    #+ param: level | iri | ai45r:level/autonomy | The level (an ai45:TrustworthinessLevel)
    #+ param_values: level | ai45:TrustworthinessLevel

Parameters are SPARQL variables of the query (`?level`), bound per call (rdflib `initBindings`),
never pasted into the text.  Types: iri, string, integer, version.  `param_values` restricts an
IRI parameter to instances of a class, which callers check against the data.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from rdflib import Literal, URIRef
from rdflib.namespace import XSD
from rdflib.term import Identifier

from . import paths
from .namespaces import PREFIXES

PARAM_TYPES = ("iri", "string", "integer")
_NAME = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_VAR = re.compile(r"[?$]([A-Za-z_][A-Za-z0-9_]*)")


class ParamError(ValueError):
    """A parameter value is missing, unknown or of the wrong type; the message says what is
    allowed."""


class QueryFileError(ValueError):
    """A .rq file's header is malformed."""


@dataclass(frozen=True)
class Param:
    name: str
    type: str
    default: str | None
    description: str
    instances_of: str | None = None  # an IRI parameter must be an instance of this class

    def parse(self, raw: str) -> Identifier:
        """Turn a raw string (from a URL or the command line) into a typed RDF term."""
        raw = raw.strip()
        if self.type == "iri":
            iri = expand(raw)
            if not re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:[^\s<>\"{}|^`\\]*$", iri):
                raise ParamError(f"parameter {self.name!r} must be an IRI (or a prefixed name "
                                 f"such as ai45r:level/autonomy), got {raw!r}")
            return URIRef(iri)
        if self.type == "integer":
            if not re.fullmatch(r"[+-]?\d{1,18}", raw):
                raise ParamError(f"parameter {self.name!r} must be an integer, got {raw!r}")
            return Literal(int(raw), datatype=XSD.integer)
        return Literal(raw)


@dataclass(frozen=True)
class NamedQuery:
    name: str
    title: str
    description: str
    text: str
    params: list[Param] = field(default_factory=list)
    path: Path | None = None

    def param(self, name: str) -> Param:
        for p in self.params:
            if p.name == name:
                return p
        allowed = ", ".join(p.name for p in self.params) or "none"
        raise ParamError(f"unknown parameter {name!r} for query {self.name!r}; allowed: {allowed}")

    def bind(self, raw: Mapping[str, str]) -> dict[str, Identifier]:
        """Validated bindings for the given raw values, defaults filled in."""
        for key in raw:
            self.param(key)
        out: dict[str, Identifier] = {}
        for p in self.params:
            value = raw.get(p.name)
            if value is None or value == "":
                value = p.default
            if value is None or value == "":
                raise ParamError(f"parameter {p.name!r} is required ({p.description})")
            out[p.name] = p.parse(value)
        return out

    def source_with_prefixes(self) -> str:
        return self.text


def expand(value: str) -> str:
    """Expand a prefixed name (ai45r:level/autonomy) with the project's prefixes."""
    if value.startswith("<") and value.endswith(">"):
        return value[1:-1]
    prefix, sep, local = value.partition(":")
    if sep and prefix in PREFIXES and not local.startswith("//"):
        return PREFIXES[prefix] + local
    return value


def _header(path: Path, text: str) -> Iterator[tuple[int, str, str]]:
    """The (line, key, value) of each '#+ key: value' header line of a .rq file."""
    for lineno, line in enumerate(text.splitlines(), start=1):
        if not line.startswith("#+"):
            continue
        key, sep, value = line[2:].partition(":")
        if not sep:
            raise QueryFileError(f"{path}:{lineno}: header lines read '#+ key: value'")
        yield lineno, key.strip(), value.strip()


def _read(path: Path) -> str:
    if not _NAME.match(path.stem):
        raise QueryFileError(f"{path}: query names are lower-case words joined by hyphens")
    return path.read_text(encoding="utf-8")


def parse_file(path: Path) -> NamedQuery:
    """Read one .rq file and its header."""
    name = path.stem
    text = _read(path)
    meta: dict[str, str] = {}
    params: list[Param] = []
    restrictions: dict[str, str] = {}
    for lineno, key, value in _header(path, text):
        if key == "param":
            parts = [p.strip() for p in value.split("|")]
            if len(parts) != 4 or parts[1] not in PARAM_TYPES:
                raise QueryFileError(
                    f"{path}:{lineno}: '#+ param: name | type | default | description' with "
                    f"type one of {', '.join(PARAM_TYPES)}"
                )
            params.append(Param(parts[0], parts[1], parts[2] or None, parts[3]))
        elif key == "param_values":
            pname, _, cls = (p.strip() for p in value.partition("|"))
            restrictions[pname] = expand(cls)
        else:
            meta[key] = value
    for key in ("summary", "description"):
        if key not in meta:
            raise QueryFileError(f"{path}: header lacks '#+ {key}:'")
    params = [
        Param(p.name, p.type, p.default, p.description, restrictions.get(p.name)) for p in params
    ]
    variables = set(_VAR.findall(_strip_comments(text)))
    for p in params:
        if p.name not in variables:
            raise QueryFileError(f"{path}: parameter {p.name!r} is not a variable of the query")
    return NamedQuery(name, meta["summary"], meta["description"], text, params, path)


def _strip_comments(text: str) -> str:
    return "\n".join(line.split("#", 1)[0] if not line.lstrip().startswith("PREFIX") else line
                     for line in text.splitlines())


def load_all(directory: Path | None = None) -> dict[str, NamedQuery]:
    """Every named query in `directory` (default queries/), by name."""
    directory = directory or paths.QUERIES_DIR
    return {q.name: q for q in (parse_file(p) for p in sorted(directory.glob("*.rq")))}


@dataclass(frozen=True)
class Example:
    """A competency question: a question a reader asks of the paper, and the generic SPARQL
    query over the public vocabulary that answers it (queries/examples/NN-slug.rq). They run as
    tests (with their answers worked out from the paper) and read as a tutorial."""

    name: str
    question: str
    topic: str
    explanation: str
    text: str


EXAMPLE_KEYS = ("question", "topic", "explanation")


def load_examples(directory: Path | None = None) -> list[Example]:
    """The competency questions of `directory` (default queries/examples/), in file order."""
    directory = directory or paths.QUERIES_DIR / "examples"
    out = []
    for path in sorted(directory.glob("*.rq")):
        text = _read(path)
        meta = {key: value for _, key, value in _header(path, text)}
        missing = [k for k in EXAMPLE_KEYS if not meta.get(k)]
        if missing:
            raise QueryFileError(f"{path}: header lacks '#+ {missing[0]}:'")
        out.append(Example(path.stem, meta["question"], meta["topic"], meta["explanation"], text))
    return out


#: how long a running service trusts the catalogue it read before it looks at the files again
RECHECK_S = 1.0


class Catalogue(NamedTuple):
    """The named queries of a directory as read at one moment; `stamp` changes with any .rq
    file (name, modification time, size), so it can key cached answers."""

    stamp: str
    queries: dict[str, NamedQuery]


_catalogues: dict[Path, tuple[float, Catalogue]] = {}


def stamp(directory: Path) -> str:
    """Names, modification times and sizes of the .rq files in `directory`, as one string."""
    try:
        with os.scandir(directory) as entries:
            files = sorted((e.name, e.stat()) for e in entries if e.name.endswith(".rq"))
    except OSError:
        return ""
    return ",".join(f"{name}:{st.st_mtime_ns}:{st.st_size}" for name, st in files)


def catalogue(directory: Path | None = None) -> Catalogue:
    """`load_all` for a long-running process: parsed again only when a file changed, and the
    files looked at no more than every RECHECK_S seconds (an edited query is served within a
    second, without a stat of every file on every request)."""
    directory = directory or paths.QUERIES_DIR
    now = time.monotonic()
    known = _catalogues.get(directory)
    if known is not None and now - known[0] < RECHECK_S:
        return known[1]
    current = stamp(directory)
    if known is not None and known[1].stamp == current:
        _catalogues[directory] = (now, known[1])
        return known[1]
    fresh = Catalogue(current, load_all(directory))
    _catalogues[directory] = (now, fresh)
    return fresh


_DECLARED = re.compile(r"(?im)^\s*PREFIX\s+([A-Za-z][\w.-]*)?\s*:")


def with_default_prefixes(text: str) -> tuple[str, int]:
    """The query with a PREFIX line added for each project prefix it uses but does not declare
    (as Wikidata's query service does), and how many lines were added, so that error positions
    can be reported against the text the user wrote."""
    declared = {m.group(1) or "" for m in _DECLARED.finditer(text)}
    used = {m.group(1) for m in re.finditer(r"(?<![\w<:/#?$])([A-Za-z][\w.-]*):", text)}
    missing = [p for p in PREFIXES if p in used and p not in declared]
    if not missing:
        return text, 0
    head = "".join(f"PREFIX {p}: <{PREFIXES[p]}>\n" for p in missing)
    return head + text, len(missing)
