"""Analyst imports: a file of works mapped onto the roadmap's taxonomy becomes its own named graph
(https://w3id.org/ai45/graph/import/{name}), stored as `<name>.ttl` in kg.paths.imports_dir().

`import_file` reads the file (kg.literature.files; the exports of reference managers and OpenAlex:
kg.literature.refmanagers), checks every value, resolves concept names
(kg.concepts), links works the paper already cites (same DOI, arXiv id or normalised title: the
work keeps its ai45:CitedWork IRI and gains the mapping), builds the graph with its provenance
(an ai45:Import, a prov:Entity) and each work's abstract (dcterms:abstract) and the source's
keywords (dcterms:subject literals), validates it with the SHACL shapes, and only then replaces the
stored file (temp file + os.replace) and rebuilds dist/. Any problem raises `ImportFailed`
listing every problem by line and field; the stored imports and dist/ are then as they were.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import re
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

from pyshacl import validate as shacl_validate
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, PROV, RDF, RDFS, SKOS, XSD

from .. import __version__, paths
from ..atomic import write_atomically
from ..concepts import ConceptError, ConceptIndex
from ..load import import_files, parse_turtle
from ..namespaces import AI45, AI45R, GRAPH_IMPORT_PREFIX, PREFIXES, graph_for_import
from ..paper.bibliography import citation_key, turtle_text
from ..paper.references import ARXIV, DOI, DOI_PREFIX, ParsedReference
from ..paper.works import work_slug
from ..rdfsafe import no_network
from ..text import collapse_ws, normalise_title
from ..validate import _violations, load_shapes
from . import FORMAT_NAMES, FORMATS, JSON_EXTENSIONS
from .files import (
    Problem,
    ReadResult,
    Record,
    decode,
    read_bibtex_records,
    read_csv_records,
    read_rdf_records,
)
from .refmanagers import (
    clean_abstract,
    read_csl_json_records,
    read_openalex_records,
    read_ris_records,
    sniff_json,
)

SHAPES = Namespace("https://w3id.org/ai45/shapes#")

NAME = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
#: at most this many problems are listed in an error message
MAX_PROBLEMS = 50
HEADER_KEYS = ("name", "source", "sha256", "format", "imported", "works", "new", "linked",
               "mappings")


class ImportFailed(ValueError):
    """The file was not imported; `problems` say where and what (nothing was changed)."""

    def __init__(self, summary: str, problems: Sequence[Problem | str] = ()) -> None:
        self.problems = list(problems)
        lines = [f"  {p}" for p in self.problems[:MAX_PROBLEMS]]
        if len(self.problems) > MAX_PROBLEMS:
            lines.append(f"  ... and {len(self.problems) - MAX_PROBLEMS} more")
        super().__init__("\n".join([summary, *lines]))


@dataclass
class ImportSummary:
    """What an import did."""

    name: str
    graph: URIRef
    path: Path
    source: str
    sha256: str
    format: str
    works: int = 0
    new: int = 0
    linked: list[tuple[str, URIRef, str]] = field(default_factory=list)  # where, work, by what
    mappings: int = 0
    unmapped: int = 0
    warnings: list[str] = field(default_factory=list)
    built: bool = False
    triples: int = 0
    #: seconds per phase: read, check, graph, validate, write, build
    seconds: dict[str, float] = field(default_factory=dict)


@dataclass
class ImportInfo:
    """One stored import, as `ai45kg imports` lists it (read from the file's header)."""

    name: str
    path: Path
    meta: dict[str, str]


def import_iri(name: str) -> URIRef:
    return AI45R[f"import/{name}"]


def check_name(name: str) -> str:
    if not NAME.match(name or ""):
        raise ImportFailed(f"import name {name!r} is not allowed: use lower-case letters and "
                           "digits in words joined by hyphens, e.g. 'unlearning-survey'")
    return name


# ---------------------------------------------------------------------------------------------
# Works the paper cites
# ---------------------------------------------------------------------------------------------


@dataclass
class PaperWorks:
    """The cited works of bibliography.ttl by DOI, arXiv id and normalised title."""

    by_doi: dict[str, URIRef] = field(default_factory=dict)
    by_arxiv: dict[str, URIRef] = field(default_factory=dict)
    by_title: dict[str, list[URIRef]] = field(default_factory=dict)
    ids: dict[URIRef, tuple[str, str]] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path | None = None) -> PaperWorks:
        graph = Graph()
        source = path or paths.BIBLIOGRAPHY_FILE
        if source.exists():
            parse_turtle(source, graph)
        out = cls()
        for w in graph.subjects(RDF.type, AI45.CitedWork):
            if not isinstance(w, URIRef):
                continue
            doi = str(graph.value(w, AI45.doi) or "").lower()
            arxiv = str(graph.value(w, AI45.arxivId) or "")
            out.ids[w] = (doi, arxiv)
            if doi:
                out.by_doi[doi] = w
            if arxiv:
                out.by_arxiv[arxiv] = w
            for title in graph.objects(w, DCTERMS.title):
                out.by_title.setdefault(normalise_title(str(title)), []).append(w)
        return out

    def match(self, doi: str, arxiv: str, title: str) -> tuple[URIRef | None, str]:
        """The paper's work with this DOI, arXiv id or (with no conflicting id) title."""
        if doi and doi in self.by_doi:
            return self.by_doi[doi], f"DOI {doi}"
        if arxiv and arxiv in self.by_arxiv:
            return self.by_arxiv[arxiv], f"arXiv {arxiv}"
        for w in self.by_title.get(normalise_title(title), []):
            known_doi, known_arxiv = self.ids[w]
            if (doi and known_doi and doi != known_doi) or (
                    arxiv and known_arxiv and arxiv != known_arxiv):
                continue
            return w, "title"
        return None, ""


# ---------------------------------------------------------------------------------------------
# Checking values
# ---------------------------------------------------------------------------------------------


def clean_doi(raw: str) -> str | None:
    """A DOI lower-cased without resolver or "doi:" prefix, or None when it is not one."""
    text = re.sub(r"^doi:\s*", "", re.sub(r"\s+", "", raw), flags=re.I)
    text = DOI_PREFIX.sub("", text).rstrip(".")
    return text.lower() if DOI.fullmatch(text) else None


def clean_arxiv(raw: str) -> str | None:
    """"2404.14082" from "arXiv:2404.14082v2", "https://arxiv.org/abs/2404.14082", ..."""
    text = raw.strip()
    m = re.fullmatch(r"(?:https?://(?:www\.)?arxiv\.org/(?:abs|pdf)/)?(\d{4}\.\d{4,5})(?:v\d+)?"
                     r"(?:\.pdf)?", text, re.I)
    if m:
        return m.group(1)
    m = ARXIV.fullmatch(text)
    return m.group(1) if m else None


def clean_year(raw: str) -> int | None:
    m = re.fullmatch(r"(\d{4})(?:\.0+)?", raw.strip())
    if m and 1400 <= int(m.group(1)) <= 2100:
        return int(m.group(1))
    return None


@dataclass
class _Work:
    record: Record
    ref: ParsedReference
    concepts: list[URIRef]
    linked: URIRef | None = None
    how: str = ""
    slug: str = ""


T = TypeVar("T")


def _cleaned(rec: Record, name: str, clean: Callable[[str], T | None], what: str,
             problems: list[Problem]) -> T | None:
    """The record's field `name` as `clean` reads it; None when it is empty, and also, with a
    problem saying it is not `what`, when it cannot be read."""
    raw = str(getattr(rec, name))
    if not raw.strip():
        return None
    value = clean(raw)
    if value is None:
        problems.append(rec.problem(name, f"{raw.strip()!r} is not {what}"))
    return value


def _check(records: Sequence[Record], index: ConceptIndex, paper: PaperWorks,
           problems: list[Problem]) -> list[_Work]:
    works: list[_Work] = []
    seen: dict[str, tuple[str, str]] = {}  # identity key -> (where, what)
    for number, rec in enumerate(records, start=1):
        bad = len(problems)
        title = collapse_ws(rec.title)
        if not title and rec.iri is None:
            problems.append(rec.problem("title", "a work needs a title"))
        year = _cleaned(rec, "year", clean_year, "a year (four digits)", problems)
        doi = _cleaned(rec, "doi", clean_doi, "a DOI (10.NNNN/...)", problems)
        arxiv = _cleaned(rec, "arxiv", clean_arxiv, "an arXiv id such as 2404.14082 (old-style "
                         "ids: give the URL instead)", problems)
        url = rec.url.strip()
        if url and not re.fullmatch(r"https?://[^\s<>\"{}|\\^`]+", url):
            problems.append(rec.problem("url", f"{url!r} is not an http(s) URL"))
        concepts: list[URIRef] = []
        for name, kinds, where_field in rec.concepts:
            try:
                c = index.resolve(name, kinds)
            except ConceptError as exc:
                problems.append(Problem(rec.where, where_field, str(exc)))
                continue
            if c.iri not in concepts:
                concepts.append(c.iri)
        if len(problems) > bad:
            continue
        ref = ParsedReference(number=number, title=title, authors=rec.authors, et_al=rec.et_al,
                              year=year, arxiv=arxiv, doi=doi, url=url or None)
        work = _Work(rec, ref, concepts)
        if rec.iri is not None:
            if rec.iri not in paper.ids:
                problems.append(Problem(rec.where, None, "no cited work of the paper has this "
                                        "IRI; leave the IRI out to import a new work"))
                continue
            work.linked, work.how = rec.iri, "IRI"
        else:
            work.linked, work.how = paper.match(doi or "", arxiv or "", title)
        keys = [k for k in (f"doi {doi}" if doi else "", f"arXiv id {arxiv}" if arxiv else "",
                            f"title {normalise_title(title)!r}",
                            f"paper work {work.linked}" if work.linked else "") if k]
        dup = next((k for k in keys if k in seen), None)
        if dup is not None:
            other = seen[dup][0]
            what = "the same cited work of the paper" if dup.startswith("paper") else f"same {dup}"
            problems.append(Problem(rec.where, None, f"the same work as {other} ({what}): "
                                    "merge the two into one"))
            continue
        for k in keys:
            seen[k] = (rec.where, k)
        works.append(work)
    return works


def _assign_slugs(works: Sequence[_Work]) -> None:
    used: dict[str, int] = {}
    for w in works:
        if w.linked is not None:
            continue
        base = work_slug(w.ref)
        used[base] = used.get(base, 0) + 1
        w.slug = base if used[base] == 1 else f"{base}-{used[base]}"


# ---------------------------------------------------------------------------------------------
# The graph
# ---------------------------------------------------------------------------------------------


def _en(text: str) -> Literal:
    return Literal(text, lang="en")


def build_graph(name: str, works: Sequence[_Work], *, source: str, sha256: str, fmt: str,
                when: datetime) -> Graph:
    """The import's graph: the ai45:Import with its provenance, new works, and mappings."""
    g = Graph(identifier=graph_for_import(name))
    for prefix, ns in PREFIXES.items():
        g.bind(prefix, ns, override=True, replace=True)
    imp = import_iri(name)
    new = sum(1 for w in works if w.linked is None)
    label = f"Import {name}"
    g.add((imp, RDF.type, AI45.Import))
    g.add((imp, RDFS.label, _en(label)))
    g.add((imp, SKOS.prefLabel, _en(label)))
    g.add((imp, SKOS.definition, _en(
        f"The analyst import {name!r}, made from the file {source} ({len(works)} works, "
        f"{new} of them not cited by the paper).")))
    g.add((imp, AI45.importName, Literal(name)))
    g.add((imp, AI45.sourceFileName, Literal(source)))
    g.add((imp, AI45.sourceSha256, Literal(sha256)))
    g.add((imp, AI45.sourceFormat, Literal(fmt)))
    g.add((imp, AI45.importerVersion, Literal(f"ai45kg {__version__}")))
    g.add((imp, PROV.generatedAtTime,
           Literal(when.isoformat(timespec="seconds"), datatype=XSD.dateTime)))
    for w in works:
        ref = w.ref
        if w.linked is not None:
            iri = w.linked
        else:
            iri = URIRef(f"{imp}/work/{w.slug}")
            g.add((iri, RDF.type, AI45.ImportedWork))
            g.add((iri, RDFS.label, _en(ref.title)))
            g.add((iri, SKOS.prefLabel, _en(ref.title)))
            g.add((iri, SKOS.definition, _en(f"A work imported by {name}: {citation_key(ref)}.")))
            g.add((iri, DCTERMS.title, _en(ref.title)))
            if ref.year:
                g.add((iri, DCTERMS.issued, Literal(str(ref.year), datatype=XSD.gYear)))
            if ref.doi:
                g.add((iri, AI45.doi, Literal(ref.doi)))
            if ref.arxiv:
                g.add((iri, AI45.arxivId, Literal(ref.arxiv)))
            if ref.url:
                g.add((iri, AI45.url, Literal(ref.url, datatype=XSD.anyURI)))
            if ref.et_al:
                g.add((iri, AI45.etAl, Literal(True)))
            if ref.authors:
                # one literal in the file's order, not a resource per author: a large import
                # would otherwise carry seven triples per author
                g.add((iri, DCTERMS.creator, Literal("; ".join(ref.authors))))
        g.add((iri, AI45.inImport, imp))
        for c in w.concepts:
            g.add((iri, AI45.addresses, c))
        # the source's abstract and its own keywords, on new and linked works alike: they are
        # statements of this import's graph, beside the paper's description of a cited work
        abstract = clean_abstract(w.record.abstract)
        if abstract:
            g.add((iri, DCTERMS.abstract, Literal(abstract)))
        for keyword in w.record.keywords:
            if collapse_ws(keyword):
                g.add((iri, DCTERMS.subject, Literal(collapse_ws(keyword))))
        if w.record.note.strip():
            g.add((iri, AI45.importNote, Literal(collapse_ws(w.record.note))))
    return g


#: the shapes an import's resources can meet (the others are about the paper's data)
IMPORT_SHAPES = ("Labelled", "Import", "ImportedWork", "Mapping", "Authorship")


def validate_import(graph: Graph, ontology: Graph | None = None,
                    framework: Graph | None = None) -> list[Problem]:
    """Validate an import's graph with the project's SHACL shapes.

    The data graph is the import with the ontology and the framework graph beside it (so that
    `sh:class ai45:FrameworkConcept` sees the concepts it maps to), checked against the shapes
    an import's resources can meet (IMPORT_SHAPES): the shapes of the paper's own data are not
    run again here. `ai45kg build` runs every shape over everything.
    """
    data = Graph()
    if ontology is None:
        parse_turtle(paths.ONTOLOGY_FILE, data)
    else:
        data += ontology
    if framework is None:
        parse_turtle(paths.FRAMEWORK_FILE, data)
    else:
        data += framework
    data += graph
    # the ontology is part of the data graph rather than pyshacl's ont_graph, and the data graph
    # is validated in place: pyshacl would otherwise copy the whole import (three times slower)
    conforms, report, _ = shacl_validate(
        data, shacl_graph=load_shapes(), inference="none", allow_warnings=True, inplace=True,
        use_shapes=[str(SHAPES[name]) for name in IMPORT_SHAPES],
    )
    if conforms:
        return []
    return [Problem(f"<{v.focus}>", _short(v.path) or None, v.message)
            for v in _violations(report)]


def _short(iri: str) -> str:
    for prefix, ns in sorted(PREFIXES.items(), key=lambda kv: -len(kv[1])):
        if iri.startswith(ns):
            return f"{prefix}:{iri[len(ns):]}"
    return iri


# ---------------------------------------------------------------------------------------------
# Reading, storing, rebuilding
# ---------------------------------------------------------------------------------------------


def detect_format(path: Path, fmt: str | None = None, data: bytes | None = None) -> str:
    """The format given, else the one of the extension; a `.json` file by its content
    (kg.literature.refmanagers.sniff_json: CSL-JSON, OpenAlex or JSON-LD).

    Raises:
        ImportFailed: an unknown format or extension, or JSON whose format cannot be told.
    """
    if fmt:
        if fmt not in FORMAT_NAMES:
            raise ImportFailed(f"unknown format {fmt!r}; one of {', '.join(FORMAT_NAMES)}")
        return fmt
    ext = path.suffix.lower()
    if ext in JSON_EXTENSIONS:
        text, problem = decode(path.read_bytes() if data is None else data)
        found, problems = (None, [problem]) if problem is not None else sniff_json(text)
        if found is None:
            raise ImportFailed(f"{path.name}: not imported, its format cannot be told (nothing "
                               "was changed):", problems)
        return found
    if ext not in FORMATS:
        raise ImportFailed(f"{path.name}: cannot tell the format from the extension {ext!r}; "
                           "use .csv, .tsv, .bib, .ris, .json, .ttl or .jsonld, or give "
                           "--format")
    return FORMATS[ext]


def read_file(path: Path, fmt: str, mapping: Path | None = None,
              data: bytes | None = None) -> ReadResult:
    text, problem = decode(path.read_bytes() if data is None else data)
    if problem is not None:
        return ReadResult(problems=[problem])
    if fmt == "csv":
        return read_csv_records(text)
    if fmt == "bibtex":
        mapping_text = None
        if mapping is not None:
            mapping_text, problem = decode(mapping.read_bytes())
            if problem is not None:
                return ReadResult(problems=[Problem(f"{mapping.name} {problem.where}", None,
                                                    problem.message)])
        return read_bibtex_records(text, mapping_text, mapping.name if mapping else "")
    if mapping is not None:
        raise ImportFailed("--mapping goes with a BibTeX file only")
    readers = {"csl-json": read_csl_json_records, "ris": read_ris_records,
               "openalex": read_openalex_records}
    if fmt in readers:
        # plain JSON and text that name URLs everywhere: nothing is fetched (the guard makes
        # sure of it, as for RDF in kg.rdfsafe)
        with no_network():
            return readers[fmt](text)
    return read_rdf_records(text, fmt)


def prepare(path: Path, name: str, *, fmt: str | None = None, mapping: Path | None = None,
            index: ConceptIndex | None = None, paper: PaperWorks | None = None,
            when: datetime | None = None) -> tuple[Graph, ImportSummary]:
    """Read, check, map, link and validate one file: the import's graph and its summary.

    Raises:
        ImportFailed: with every problem found; nothing is written.
    """
    check_name(name)
    path = Path(path)
    if not path.is_file():
        raise ImportFailed(f"{path}: no such file")
    seconds: dict[str, float] = {}
    t = time.perf_counter()
    data = path.read_bytes()
    fmt = detect_format(path, fmt, data)
    sha = hashlib.sha256(data).hexdigest()
    read = read_file(path, fmt, mapping, data)
    fail = f"{path.name}: not imported as {name!r} (nothing was changed):"
    if read.problems and not read.records:
        raise ImportFailed(fail, read.problems)
    seconds["read"] = time.perf_counter() - t
    t = time.perf_counter()
    index = index or ConceptIndex.load()
    paper = paper or PaperWorks.load()
    # what the reader found wrong and what checking the records it could read finds, together:
    # the analyst sees every problem of the file at once
    problems: list[Problem] = list(read.problems)
    works = _check(read.records, index, paper, problems)
    problems.sort(key=_in_file_order)
    if problems:
        raise ImportFailed(fail, problems)
    if not works:
        raise ImportFailed(fail, [Problem("the file", None, "holds no works")])
    _assign_slugs(works)
    seconds["check"] = time.perf_counter() - t
    t = time.perf_counter()
    graph = build_graph(name, works, source=path.name, sha256=sha, fmt=fmt,
                        when=when or datetime.now(UTC))
    seconds["graph"] = time.perf_counter() - t
    t = time.perf_counter()
    violations = validate_import(graph)
    if violations:
        raise ImportFailed(f"{fail} the SHACL shapes refuse the result", violations)
    seconds["validate"] = time.perf_counter() - t
    summary = ImportSummary(
        name=name, graph=graph_for_import(name), path=paths.imports_dir() / f"{name}.ttl",
        source=path.name, sha256=sha, format=fmt, works=len(works),
        new=sum(1 for w in works if w.linked is None),
        linked=[(w.record.where, w.linked, w.how) for w in works if w.linked is not None],
        mappings=sum(len(w.concepts) for w in works),
        unmapped=sum(1 for w in works if not w.concepts), warnings=read.warnings,
        triples=len(graph), seconds=seconds,
    )
    return graph, summary


def _in_file_order(problem: Problem) -> float:
    """Problems at "line N" or "item N" by N; the others after them, in the order found."""
    m = re.match(r"(?:line|item) (\d+)", problem.where)
    return int(m.group(1)) if m else float("inf")


def _header(summary: ImportSummary, when: str) -> str:
    meta = {
        "name": summary.name, "source": summary.source, "sha256": summary.sha256,
        "format": summary.format, "imported": when, "works": str(summary.works),
        "new": str(summary.new), "linked": str(len(summary.linked)),
        "mappings": str(summary.mappings),
    }
    lines = [
        f"# Analyst import {summary.name!r}, generated by `ai45kg import`: do not edit by hand;",
        "# import the source file again to change it, `ai45kg drop` to remove it.",
        *(f"# {k}: {meta[k]}" for k in HEADER_KEYS),
    ]
    return "\n".join(lines) + "\n"


@contextlib.contextmanager
def _locked() -> Iterator[Path]:
    """One import or drop at a time (an advisory lock in the imports directory)."""
    directory = paths.imports_dir()
    directory.mkdir(parents=True, exist_ok=True)
    with open(directory / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield directory
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _rebuild(dist: Path | None, undo: list[tuple[Path, bytes | None]], what: str,
             *, validate: bool) -> None:
    """Rebuild dist/; on failure put the import files back as they were and raise."""
    from ..build import build

    try:
        build(dist, validate=validate)
    except BaseException as exc:
        for target, previous in undo:
            if previous is None:
                with contextlib.suppress(FileNotFoundError):
                    target.unlink()
            else:
                write_atomically(target, previous)
        if isinstance(exc, Exception):
            raise ImportFailed(f"{what}: the rebuild of dist/ failed, so the change was undone "
                               f"(imports and dist/ are as they were):\n{exc}") from exc
        raise


def import_file(path: Path | str, name: str, *, fmt: str | None = None,
                mapping: Path | str | None = None, rebuild: bool = True,
                dist: Path | None = None) -> ImportSummary:
    """Import one file as `name`, replacing an earlier import of that name, and rebuild dist/.

    Raises:
        ImportFailed: the file has problems, or the rebuild failed (all undone).
    """
    when = datetime.now(UTC)
    graph, summary = prepare(Path(path), name, fmt=fmt,
                             mapping=Path(mapping) if mapping else None, when=when)
    t = time.perf_counter()
    text = turtle_text(graph, header=_header(summary, when.isoformat(timespec="seconds")))
    with _locked() as directory:
        target = directory / f"{name}.ttl"
        summary.path = target
        previous = target.read_bytes() if target.exists() else None
        fresh = rebuild and _is_fresh(dist)
        write_atomically(target, text.encode("utf-8"))
        summary.seconds["write"] = time.perf_counter() - t
        if rebuild:
            t = time.perf_counter()
            _rebuild(dist, [(target, previous)], f"import {name!r}", validate=not fresh)
            summary.seconds["build"] = time.perf_counter() - t
            summary.built = True
    return summary


def _is_fresh(dist: Path | None) -> bool:
    """Whether dist/ is a (validated) build of the current sources. Then a rebuild after an
    import or a drop need not validate again: every other graph is byte for byte what that build
    validated, the new import was just validated with its shapes, and an import never states
    anything about the paper's resources that their shapes constrain (it adds ai45:addresses,
    ai45:inImport, ai45:importNote, dcterms:abstract and dcterms:subject to cited works, nothing
    else)."""
    from ..build import is_up_to_date

    return is_up_to_date(dist)


def list_imports() -> list[ImportInfo]:
    """The stored imports with the facts their file header records."""
    out = []
    for path in import_files():
        meta: dict[str, str] = {}
        with open(path, encoding="utf-8") as f:
            for line in f:
                if not line.startswith("#"):
                    break
                key, sep, value = line[1:].strip().partition(": ")
                if sep and key in HEADER_KEYS:
                    meta[key] = value
        out.append(ImportInfo(path.stem, path, meta))
    return out


def drop_import(name: str, *, rebuild: bool = True, dist: Path | None = None) -> Path:
    """Remove the import `name` and rebuild dist/ without it.

    Raises:
        ImportFailed: no such import, or the rebuild failed (the import is then kept).
    """
    check_name(name)
    with _locked() as directory:
        target = directory / f"{name}.ttl"
        if not target.exists():
            known = ", ".join(i.name for i in list_imports()) or "none"
            raise ImportFailed(f"there is no import named {name!r} (imports: {known})")
        previous = target.read_bytes()
        fresh = rebuild and _is_fresh(dist)
        target.unlink()
        if rebuild:
            _rebuild(dist, [(target, previous)], f"drop {name!r}", validate=not fresh)
    return target


def is_import_graph(iri: str) -> bool:
    return iri.startswith(GRAPH_IMPORT_PREFIX)
