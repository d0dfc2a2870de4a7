"""Read the files analysts already have into `Record`s, one per work: a CSV (or TSV), a BibTeX file
(the mapping in its `keywords` field or in a companion CSV), or a Turtle / JSON-LD file in the
project's vocabulary. The exports of reference managers and OpenAlex (CSL-JSON, RIS, OpenAlex work
records) are read by kg.literature.refmanagers into the same `Record`s.

Readers only read: they report every problem they find (with the line and the field) and leave
checking the values (years, DOIs, concept names) to `kg.literature.imports`, which does it the same
way for every format."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, RDF, RDFS

from ..namespaces import AI45, AI45R, FABIO, PREFIXES
from ..paper.references import split_authors
from ..rdfsafe import parse_untrusted
from . import bibtex

#: CSV columns: canonical name -> the spellings accepted in a header (compared after lower-casing
#: and turning runs of spaces, "_" and "-" into one space)
COLUMNS: dict[str, tuple[str, ...]] = {
    "title": ("title",),
    "authors": ("authors", "author"),
    "year": ("year",),
    "doi": ("doi",),
    "arxiv": ("arxiv", "arxiv id", "arxivid", "eprint"),
    "url": ("url", "link"),
    "techniques": ("techniques", "technique"),
    "levels": ("levels", "level", "trust levels", "trustworthiness levels"),
    "governance measures": ("governance measures", "governance measure", "governance"),
    "layers": ("layers", "layer"),
    "concepts": ("concepts", "concept"),
    "note": ("note", "notes"),
    "abstract": ("abstract",),
    "keywords": ("keywords", "keyword", "tags"),
    # the columns a review CSV of `ai45kg suggest --out` adds (kg.literature.review): read and
    # left out, so that the reviewed file imports as it is
    "scores": ("scores",),
    "alternatives": ("alternatives",),
    "why": ("why",),
}
#: the columns that are read and not imported
IGNORED_COLUMNS = ("scores", "alternatives", "why")
#: the concept columns and the kinds of concept each takes (None: any)
CONCEPT_COLUMNS: dict[str, list[str] | None] = {
    "techniques": ["technique"], "levels": ["level"], "governance measures": ["governance"],
    "layers": ["layer"], "concepts": None,
}
#: the separator of several values in one cell
SEPARATOR = ";"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the input, where it is and in which field."""

    where: str
    field: str | None
    message: str

    def __str__(self) -> str:
        return f"{self.where}{f', {self.field}' if self.field else ''}: {self.message}"


@dataclass
class Record:
    """One work as a file gives it, before its values are checked."""

    where: str
    title: str = ""
    authors: list[str] = field(default_factory=list)
    et_al: bool = False
    year: str = ""
    doi: str = ""
    arxiv: str = ""
    url: str = ""
    note: str = ""
    #: the work's abstract as the source gives it (kept as dcterms:abstract)
    abstract: str = ""
    #: the source's own keywords or tags (kept as dcterms:subject literals; never a mapping)
    keywords: list[str] = field(default_factory=list)
    #: (name as written, kinds it must be of (None: any), the field it came from)
    concepts: list[tuple[str, list[str] | None, str]] = field(default_factory=list)
    #: the IRI of a work of the graph the file names directly (Turtle / JSON-LD)
    iri: URIRef | None = None
    #: how a message names each field of this record ("column 'year'", "field 'year'")
    fields: dict[str, str] = field(default_factory=dict)
    #: where a field is when that is not `where` (RIS: "line 7", the line of its tag)
    lines: dict[str, str] = field(default_factory=dict)

    def field_name(self, name: str) -> str:
        return self.fields.get(name, f"field {name!r}")

    def problem(self, name: str, message: str) -> Problem:
        """A problem with the field `name` of this record, where that field is."""
        return Problem(self.lines.get(name, self.where), self.field_name(name), message)


@dataclass
class ReadResult:
    records: list[Record] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def decode(data: bytes) -> tuple[str, Problem | None]:
    """The text of a file that must be UTF-8 (a BOM is dropped); else a problem naming the line
    and column of the first byte that is not."""
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        return "", Problem(
            f"line {line}", None,
            f"the file is not UTF-8 (byte 0x{data[exc.start]:02x} at column {column}); save it "
            "as UTF-8 (in a spreadsheet: CSV UTF-8)")


def split_cell(value: str) -> list[str]:
    return [v.strip() for v in value.split(SEPARATOR) if v.strip()]


def authors_of(value: str) -> tuple[list[str], bool]:
    """The names of an authors cell: separated by ";", or an author list as references print it
    ("A, B, and C", "A et al.")."""
    value = value.strip()
    if not value:
        return [], False
    if SEPARATOR in value:
        names = split_cell(value)
        et_al = bool(names) and re.fullmatch(r"(et al\.?|others)", names[-1], re.I) is not None
        return (names[:-1] if et_al else names), et_al
    return split_authors(value)


def _column_key(header: str) -> str:
    return re.sub(r"[\s_\-]+", " ", header.strip().lower())


# ---------------------------------------------------------------------------------------------
# CSV
# ---------------------------------------------------------------------------------------------


def read_csv(text: str, *, extra_columns: Iterable[str] = (), required: Iterable[str] = ("title",)
             ) -> tuple[list[tuple[int, dict[str, str]]], list[Problem]]:
    """The rows of a CSV or TSV file as (line, {canonical column: cell}); the delimiter is a tab
    when the header has tabs and no commas, else a comma (";" separates values within a cell)."""
    aliases = {alias: canon for canon, spellings in COLUMNS.items() for alias in spellings}
    aliases.update({_column_key(c): c for c in extra_columns})
    first = text.split("\n", 1)[0]
    delimiter = "\t" if "\t" in first and "," not in first else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    problems: list[Problem] = []
    try:
        header = next(reader)
    except StopIteration:
        return [], [Problem("line 1", None, "the file is empty: a header row is needed")]
    except csv.Error as exc:
        return [], [Problem("line 1", None, f"not a CSV header: {exc}")]
    columns: list[str | None] = []
    for i, cell in enumerate(header, start=1):
        key = _column_key(cell)
        if not key:
            columns.append(None)
            continue
        if key not in aliases:
            import difflib
            close = difflib.get_close_matches(key, list(aliases), n=1, cutoff=0.6)
            hint = f"did you mean {aliases[close[0]]!r}? " if close else ""
            known = ", ".join([*COLUMNS, *extra_columns])
            problems.append(Problem(
                "line 1", f"column {i}",
                f"unknown column {cell.strip()!r}; {hint}known columns: {known}"))
            columns.append(None)
            continue
        canon = aliases[key]
        if canon in columns:
            problems.append(Problem("line 1", f"column {i}", f"column {canon!r} appears twice"))
            columns.append(None)
            continue
        columns.append(canon)
    for need in required:
        if need not in columns:
            problems.append(Problem("line 1", None, f"the header has no {need!r} column"))
    if problems:
        return [], problems
    rows: list[tuple[int, dict[str, str]]] = []
    line = 1
    while True:
        start = reader.line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            problems.append(Problem(f"line {start}", None, f"malformed CSV: {exc}"))
            break
        line = start
        if not any(c.strip() for c in cells):
            continue
        if len(cells) > len(columns):
            extra = [c for c in cells[len(columns):] if c.strip()]
            if extra:
                problems.append(Problem(
                    f"line {line}", None,
                    f"{len(cells)} cells but the header has {len(columns)} columns (a "
                    f"{'comma' if delimiter == ',' else 'tab'} inside a value needs quotes)"))
                continue
        row = {c: cells[i].strip() if i < len(cells) else "" for i, c in enumerate(columns) if c}
        rows.append((line, row))
    return rows, problems


def _record_from_row(line: int, row: dict[str, str], where: str | None = None) -> Record:
    authors, et_al = authors_of(row.get("authors", ""))
    rec = Record(
        where=where or f"line {line}", title=row.get("title", ""), authors=authors, et_al=et_al,
        year=row.get("year", ""), doi=row.get("doi", ""), arxiv=row.get("arxiv", ""),
        url=row.get("url", ""), note=row.get("note", ""), abstract=row.get("abstract", ""),
        keywords=split_cell(row.get("keywords", "")),
        fields={c: f"column {c!r}" for c in COLUMNS},
    )
    for column, kinds in CONCEPT_COLUMNS.items():
        for name in split_cell(row.get(column, "")):
            rec.concepts.append((name, kinds, f"column {column!r}"))
    return rec


def read_csv_records(text: str) -> ReadResult:
    rows, problems = read_csv(text)
    return ReadResult([_record_from_row(line, row) for line, row in rows], problems)


# ---------------------------------------------------------------------------------------------
# BibTeX
# ---------------------------------------------------------------------------------------------

_ARXIV_EPRINT = re.compile(r"^(?:arxiv:)?\d{4}\.\d{4,5}(?:v\d+)?$", re.I)


def read_bibtex_records(text: str, mapping_text: str | None = None,
                        mapping_name: str = "mapping CSV") -> ReadResult:
    """The entries of a BibTeX file. The mapping is each entry's `keywords` (concept names
    separated by ";" or ","), or, when a companion CSV is given, that file's rows (column `key`
    names the entry); the keywords are then not read."""
    out = ReadResult()
    try:
        entries = bibtex.parse(text)
    except bibtex.BibTeXError as exc:
        out.problems.append(Problem(f"line {exc.line}", None, f"malformed BibTeX: {exc.message}"))
        return out
    mapping: dict[str, tuple[int, dict[str, str]]] = {}
    if mapping_text is not None:
        rows, problems = read_csv(mapping_text, extra_columns=("key",), required=("key",))
        out.problems.extend(Problem(f"{mapping_name} {p.where}", p.field, p.message)
                            for p in problems)
        keys = {e.key.lower() for e in entries}
        for line, row in rows:
            key = row.get("key", "").strip()
            if key.lower() not in keys:
                out.problems.append(Problem(f"{mapping_name} line {line}", "column 'key'",
                                            f"no entry of the BibTeX file has the key {key!r}"))
            elif key.lower() in mapping:
                out.problems.append(Problem(
                    f"{mapping_name} line {line}", "column 'key'",
                    f"key {key!r} is mapped twice (also on line {mapping[key.lower()][0]})"))
            else:
                mapping[key.lower()] = (line, row)
    for e in entries:
        f = {k: bibtex.latex_to_text(v) for k, v in e.fields.items()}
        rec = Record(where=f"line {e.line} (entry {e.key})", title=f.get("title", ""),
                     fields={k: f"field {k!r}" for k in ("title", "year", "doi", "url", "note")})
        rec.fields.update({"arxiv": "field 'eprint'", "authors": "field 'author'",
                           "concepts": "field 'keywords'"})
        if "author" in e.fields:
            rec.authors, rec.et_al = bibtex.split_names(e.fields["author"])
        elif "editor" in e.fields:
            rec.authors, rec.et_al = bibtex.split_names(e.fields["editor"])
        rec.year = f.get("year", "") or f.get("date", "")[:4]
        if not f.get("year") and f.get("date"):
            rec.fields["year"] = "field 'date'"
        rec.doi = f.get("doi", "")
        eprint = f.get("eprint", "") or f.get("arxiv", "")
        prefix = f.get("archiveprefix", f.get("eprinttype", "")).lower()
        if eprint and (prefix == "arxiv" or _ARXIV_EPRINT.match(eprint)):
            rec.arxiv = eprint
        rec.url = f.get("url", "")
        rec.note = f.get("note", "") or f.get("annote", "") or f.get("annotation", "")
        rec.abstract = f.get("abstract", "")
        if mapping_text is None:
            keywords = f.get("keywords", "")
            sep = ";" if ";" in keywords else ","
            rec.concepts = [(k.strip(), None, "field 'keywords'") for k in keywords.split(sep)
                            if k.strip()]
        elif e.key.lower() in mapping:
            line, row = mapping[e.key.lower()]
            mapped = _record_from_row(line, row)
            rec.concepts = [(n, kinds, f"{mapping_name} line {line}, {col}")
                            for n, kinds, col in mapped.concepts]
            if row.get("note"):
                rec.note = row["note"]
        out.records.append(rec)
    return out


# ---------------------------------------------------------------------------------------------
# Turtle / JSON-LD in the project's vocabulary
# ---------------------------------------------------------------------------------------------

#: the predicates an RDF import file may use on a work; others are reported and left out
RDF_WORK_PREDICATES = {
    RDF.type, DCTERMS.title, RDFS.label, DCTERMS.issued, DCTERMS.creator, AI45.doi, AI45.arxivId,
    AI45.url, AI45.addresses, AI45.importNote, AI45.hasAuthorship, AI45.etAl, RDFS.comment,
    DCTERMS.abstract, DCTERMS.subject,
}
RDF_WORK_TYPES = {FABIO.Work, AI45.ImportedWork, AI45.CitedWork}


def _remote_contexts(node: object) -> list[str]:
    found: list[str] = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "@context":
                for ctx in value if isinstance(value, list) else [value]:
                    if isinstance(ctx, str):
                        found.append(ctx)
            found.extend(_remote_contexts(value))
    elif isinstance(node, list):
        for item in node:
            found.extend(_remote_contexts(item))
    return found


def parse_rdf(text: str, fmt: str) -> tuple[Graph | None, Problem | None]:
    """Parse a Turtle or JSON-LD text; JSON-LD may only use inline contexts (nothing is fetched)
    and may write the project's prefixes (ai45:, technique:, ...) without declaring them."""
    graph = Graph()
    if fmt == "json-ld":
        try:
            doc = json.loads(text)
        except json.JSONDecodeError as exc:
            return None, Problem(f"line {exc.lineno}", None,
                                 f"not JSON (column {exc.colno}): {exc.msg}")
        remote = _remote_contexts(doc)
        if remote:
            return None, Problem("line 1", "@context",
                                 f"remote context {remote[0]!r} is not fetched: give the "
                                 "context inline")
        try:
            parse_untrusted(text, "json-ld", graph=graph, context=dict(PREFIXES))
        except Exception as exc:  # rdflib raises several unrelated types
            return None, Problem("line 1", None, f"not valid JSON-LD: {exc}")
        return graph, None
    declared = {m.group(1) for m in re.finditer(r"@prefix\s+([A-Za-z0-9_-]*):", text, re.I)}
    declared |= {m.group(1) for m in re.finditer(r"(?im)^\s*PREFIX\s+([A-Za-z0-9_-]*):", text)}
    preamble = "".join(f"@prefix {p}: <{ns}> .\n" for p, ns in PREFIXES.items()
                       if p not in declared)
    offset = preamble.count("\n")
    try:
        parse_untrusted(preamble + text, "turtle", graph=graph)
    except Exception as exc:
        message = str(exc)
        m = re.search(r"line (\d+)", message)
        line = int(m.group(1)) - offset if m else 1
        message = re.sub(r"line \d+", f"line {line}", message)
        return None, Problem(f"line {line}", None, f"not valid Turtle: {message.splitlines()[0]}")
    return graph, None


def read_rdf_records(text: str, fmt: str) -> ReadResult:
    out = ReadResult()
    graph, problem = parse_rdf(text, fmt)
    if problem is not None or graph is None:
        out.problems.append(problem)  # type: ignore[arg-type]
        return out
    subjects = {s for s, o in graph.subject_objects(RDF.type) if o in RDF_WORK_TYPES}
    subjects |= set(graph.subjects(AI45.addresses, None))
    subjects |= {s for s in graph.subjects(DCTERMS.title, None)}
    ignored: dict[str, int] = {}

    def where_of(s: object) -> str:
        if isinstance(s, URIRef):
            return f"work <{s}>"
        title = graph.value(s, DCTERMS.title) or graph.value(s, RDFS.label)  # type: ignore
        return f"work {str(title)!r}" if title else f"work _:{s}"

    def one(s: object, p: URIRef, rec: Record, name: str) -> str:
        values = sorted({str(o) for o in graph.objects(s, p)})  # type: ignore[arg-type]
        if len(values) > 1:
            out.problems.append(Problem(rec.where, name, f"has {len(values)} values, one allowed"))
        return values[0] if values else ""

    for s in sorted(subjects, key=lambda n: (isinstance(n, BNode), str(n))):
        rec = Record(where=where_of(s),
                     fields={"title": "dcterms:title", "year": "dcterms:issued",
                             "doi": "ai45:doi", "arxiv": "ai45:arxivId", "url": "ai45:url",
                             "note": "ai45:importNote", "authors": "ai45:hasAuthorship"})
        if isinstance(s, URIRef) and str(s).startswith(f"{AI45R}work/"):
            rec.iri = s
        rec.title = one(s, DCTERMS.title, rec, "dcterms:title") or one(s, RDFS.label, rec,
                                                                       "rdfs:label")
        rec.year = one(s, DCTERMS.issued, rec, "dcterms:issued")[:4]
        rec.doi = one(s, AI45.doi, rec, "ai45:doi")
        rec.arxiv = one(s, AI45.arxivId, rec, "ai45:arxivId")
        rec.url = one(s, AI45.url, rec, "ai45:url")
        rec.note = " ".join(str(o) for o in graph.objects(s, AI45.importNote))
        rec.abstract = one(s, DCTERMS.abstract, rec, "dcterms:abstract")
        rec.keywords = sorted(str(o) for o in graph.objects(s, DCTERMS.subject)
                              if isinstance(o, Literal))
        rec.et_al = any(str(o).lower() == "true" for o in graph.objects(s, AI45.etAl))
        ships = []
        for a in graph.objects(s, AI45.hasAuthorship):
            author = graph.value(a, AI45.authorName)
            pos = graph.value(a, AI45.authorPosition)
            if author is None:
                out.problems.append(Problem(rec.where, "ai45:hasAuthorship",
                                            "an authorship without ai45:authorName"))
                continue
            ships.append((int(str(pos)) if pos is not None and str(pos).isdigit() else 10**6,
                          str(author)))
        rec.authors = [n for _, n in sorted(ships)]
        if not rec.authors:
            creators = sorted(str(o) for o in graph.objects(s, DCTERMS.creator))
            if len(creators) == 1:
                rec.authors, et_al = authors_of(creators[0])
                rec.et_al = rec.et_al or et_al
            else:
                rec.authors = creators
        for o in graph.objects(s, AI45.addresses):
            rec.concepts.append((str(o) if isinstance(o, URIRef | Literal) else "", None,
                                 "ai45:addresses"))
        for p in set(graph.predicates(s, None)):
            if p not in RDF_WORK_PREDICATES:
                key = next((f"{pre}:{str(p)[len(ns):]}" for pre, ns in PREFIXES.items()
                            if str(p).startswith(ns)), f"<{p}>")
                ignored[key] = ignored.get(key, 0) + 1
        out.records.append(rec)
    if not out.records and not out.problems:
        out.problems.append(Problem("the file", None,
                                    "no works: give each work a dcterms:title (and "
                                    "ai45:addresses)"))
    for key, n in sorted(ignored.items()):
        out.warnings.append(f"{n} statement(s) with {key} left out (not part of an import)")
    return out
