"""The review loop of suggested mappings: read a file of works (any import format), rank the
taxonomy's concepts for each (kg.literature.suggest), and write what an analyst reviews: a CSV in
the import's own columns (kg.literature.files.COLUMNS) with the confident suggestions filled in
the mapping columns, plus `scores` (of what was filled in), `alternatives` (the other
suggestions with their scores) and `why` (the reasons of what was filled in), which `ai45kg
import` reads and ignores. The analyst corrects the mapping columns in a spreadsheet and imports
the file unchanged otherwise: only then do the mappings enter the graph, and the next build's
profiles learn from them.
"""

from __future__ import annotations

import csv
import io
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ..concepts import ConceptError, ConceptIndex, column_for
from . import DEFAULT_ACCEPT
from .files import SEPARATOR, Problem, Record
from .suggest import Ranker, Suggestion, Work

#: at most this many concepts are filled in per work
MAX_FILLED = 3
#: the columns of the review CSV: the import's, then the review's own (ignored on import)
MAPPING_COLUMNS = ("techniques", "levels", "governance measures", "layers", "concepts")
REVIEW_COLUMNS = ("title", "authors", "year", "doi", "arxiv", "url", "abstract", "keywords",
                  *MAPPING_COLUMNS, "note", "scores", "alternatives", "why")


class ReviewFailed(ValueError):
    """The file cannot be read; `problems` say where."""

    def __init__(self, summary: str, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join([summary, *(f"  {p}" for p in self.problems[:50])]))


@dataclass
class Suggested:
    """One work of the file with its suggestions."""

    record: Record
    suggestions: list[Suggestion]
    seconds: float = 0.0

    def json(self) -> dict[str, object]:
        return {"title": self.record.title,
                "suggestions": [s.json() for s in self.suggestions]}


@dataclass
class SuggestRun:
    works: list[Suggested] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)


def read_records(path: Path, fmt: str | None = None) -> list[Record]:
    """The works of a file in any import format (read as `ai45kg import` reads it).

    Raises:
        ReviewFailed: the file cannot be read, or has problems (every one listed).
    """
    from .imports import ImportFailed, detect_format, read_file

    data = path.read_bytes()
    try:
        fmt = detect_format(path, fmt, data)
        read = read_file(path, fmt, None, data)
    except ImportFailed as exc:
        raise ReviewFailed(str(exc), []) from exc
    if read.problems:
        raise ReviewFailed(f"{path.name}: cannot suggest for this file:", read.problems)
    if not read.records:
        raise ReviewFailed(f"{path.name}: holds no works", [])
    return read.records


def suggest_records(ranker: Ranker, records: Sequence[Record], top: int = 5) -> SuggestRun:
    run = SuggestRun()
    t = time.perf_counter()
    works = [Work(r.title, r.abstract, list(r.keywords)) for r in records]
    for record, suggestions in zip(records, ranker.rank_many(works, top), strict=True):
        run.works.append(Suggested(record, suggestions))
    run.seconds["rank"] = time.perf_counter() - t
    return run


def accepted(suggestions: Sequence[Suggestion], threshold: float) -> list[Suggestion]:
    """The suggestions to fill in: score at least `threshold`, at most MAX_FILLED, and not a
    concept that is only suggested through another one filled in (a technique through its
    sub-kind, a layer through its technique: the reports roll those up)."""
    out: list[Suggestion] = []
    for s in suggestions:
        if s.score < threshold or len(out) >= MAX_FILLED:
            continue
        if s.why and all(r.via_iri and r.via_iri in {o.concept for o in out} for r in s.why):
            continue
        out.append(s)
    return out


def _name(index: ConceptIndex | None, s: Suggestion) -> str:
    """The concept's label when it names this concept alone, else its slug."""
    slug = s.concept.rsplit("/id/", 1)[-1]
    if index is None:
        return slug
    try:
        return s.label if str(index.resolve(s.label).iri) == s.concept else slug
    except ConceptError:
        return slug


def review_csv(run: SuggestRun, threshold: float = DEFAULT_ACCEPT,
               index: ConceptIndex | None = None) -> str:
    """The review CSV of a run (UTF-8 text; `ai45kg import` reads it as it is)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(REVIEW_COLUMNS)
    for work in run.works:
        r = work.record
        cells: dict[str, list[str]] = {c: [] for c in MAPPING_COLUMNS}
        for name, _kinds, where in r.concepts:
            # the file's own mapping is kept where it was (a CSV column) or in `concepts`
            column = where.removeprefix("column ").strip("'") if where.startswith("column ") \
                else "concepts"
            cells[column if column in cells else "concepts"].append(name)
        filled = accepted(work.suggestions, threshold)
        for s in filled:
            name = _name(index, s)
            column = column_for(s.kind)
            if name not in cells[column]:
                cells[column].append(name)
        others = [s for s in work.suggestions if s not in filled]
        authors = f"{SEPARATOR} ".join(r.authors + (["et al."] if r.et_al else []))
        row = {
            "title": r.title, "authors": authors, "year": r.year, "doi": r.doi,
            "arxiv": r.arxiv, "url": r.url, "abstract": r.abstract,
            "keywords": f"{SEPARATOR} ".join(r.keywords), "note": r.note,
            **{c: f"{SEPARATOR} ".join(v) for c, v in cells.items()},
            "scores": f"{SEPARATOR} ".join(f"{s.label}: {s.score:.3f}" for s in filled),
            "alternatives": f"{SEPARATOR} ".join(f"{s.label}: {s.score:.3f}" for s in others),
            "why": f"{SEPARATOR} ".join(f"{s.label}: {s.why[0]}" for s in filled if s.why),
        }
        writer.writerow([_cell(row[c]) for c in REVIEW_COLUMNS])
    return out.getvalue()


def _cell(value: str) -> str:
    """A value a spreadsheet would take for a formula (=, +, - or @ first: CSV injection) gets a
    leading space, which the importer strips."""
    return f" {value}" if value[:1] in ("=", "+", "-", "@") else value
