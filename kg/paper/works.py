"""The cited works: the entries of every version that are the same work share one
`ai45:CitedWork`, matched by arXiv id, DOI, normalised title, then fuzzy title, with a public,
stable IRI slug."""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field

from rdflib import URIRef

from ..text import (
    normalise_title,
    significant_words,
    slug_words,
)
from .references import ParsedReference, is_organisation

#: the fuzzy title ratio (difflib, on normalised titles) above which two entries are one work
FUZZY_TITLE_RATIO = 0.9


@dataclass(frozen=True, slots=True)
class VersionInfo:
    """What the importer needs to know about a paper version (from paper.ttl)."""

    iri: URIRef
    source: str
    date: str | None = None

    @property
    def short(self) -> str:
        """The version's last IRI segment, e.g. "v103", used in labels."""
        return str(self.iri).rstrip("/").rsplit("/", 1)[-1]

    @property
    def phrase(self) -> str:
        """The version in running text, for definitions."""
        if self.date:
            return f"the version of the paper dated {self.date} ({self.short})"
        return f"the undated version of the paper ({self.short})"




@dataclass(slots=True)
class Work:
    """One cited work and every entry (of any version) that points to it."""

    entries: list[tuple[VersionInfo, ParsedReference]] = field(default_factory=list)
    slug: str = ""

    @property
    def canonical(self) -> ParsedReference:
        """The entry whose printing the graph keeps: from the first version that has the work,
        the fullest author list among its entries, then the lowest number."""
        first = self.entries[0][0]
        own = [ref for version, ref in self.entries if version == first]
        return min(own, key=lambda r: (-len(", ".join(r.authors)), r.number))

    @property
    def key(self) -> str:
        return normalise_title(self.canonical.title)

    def identifiers(self, attr: str) -> set[str]:
        return {getattr(r, attr) for _, r in self.entries if getattr(r, attr)}


def _conflicts(work: Work, ref: ParsedReference, *, years: bool) -> bool:
    """Whether an entry cannot be the work: a different arXiv id or DOI (or year, for fuzzy)."""
    for attr in ("arxiv", "doi") + (("year",) if years else ()):
        value = getattr(ref, attr)
        known = work.identifiers(attr)
        if value and known and value not in known:
            return True
    return False


def find_work(works: list[Work], ref: ParsedReference) -> tuple[Work | None, str, float]:
    """The work an entry is, and how it was recognised (arxiv, doi, title, fuzzy)."""
    for attr in ("arxiv", "doi"):
        value = getattr(ref, attr)
        if value:
            for work in works:
                if value in work.identifiers(attr):
                    return work, attr, 1.0
    key = normalise_title(ref.title)
    for work in works:
        if key in {normalise_title(r.title) for _, r in work.entries} and not _conflicts(
            work, ref, years=False
        ):
            return work, "title", 1.0
    best: tuple[float, int] | None = None
    for i, work in enumerate(works):
        if _conflicts(work, ref, years=True):
            continue
        ratio = max(
            difflib.SequenceMatcher(None, key, normalise_title(r.title)).ratio()
            for _, r in work.entries
        )
        if ratio >= FUZZY_TITLE_RATIO and (best is None or ratio > best[0]):
            best = (ratio, i)
    if best is not None:
        return works[best[1]], "fuzzy", best[0]
    return None, "", 0.0


def family_name(name: str) -> str:
    """The family name of a printed person name, with particles ("Van den Hoven")."""
    tokens = name.split()
    particles = {
        "van",
        "von",
        "de",
        "den",
        "der",
        "del",
        "della",
        "di",
        "da",
        "dos",
        "du",
        "la",
        "le",
        "ter",
        "ten",
    }
    for i, token in enumerate(tokens[1:-1], start=1):
        if token.lower() in particles:
            return " ".join(tokens[i:])
    return tokens[-1] if tokens else ""


def work_slug(ref: ParsedReference) -> str:
    """The stable slug of a work's IRI: lead word(s), year, up to 4 significant title words.

    The lead is the first author's family name (an organisation's whole name), or the first
    significant title word when the entry has no author. This function is a public API:
    changing it changes every work IRI.
    """
    title_words = significant_words(ref.title) or slug_words(ref.title)
    if ref.authors:
        first = ref.authors[0]
        lead = slug_words(first if is_organisation(first) else family_name(first))
        rest = title_words[:4]
    else:
        lead, rest = title_words[:1], title_words[1:5]
    parts = [*lead, *([str(ref.year)] if ref.year else []), *rest]
    return "-".join(parts) or "work"


def assign_slugs(works: list[Work]) -> None:
    """Give every work its slug, de-duplicating collisions in a fixed order (-2, -3, ...)."""
    order = sorted(
        works,
        key=lambda w: (
            work_slug(w.canonical),
            w.key,
            min(w.identifiers("arxiv"), default=""),
            min(w.identifiers("doi"), default=""),
        ),
    )
    used: dict[str, int] = {}
    for work in order:
        base = work_slug(work.canonical)
        used[base] = used.get(base, 0) + 1
        work.slug = base if used[base] == 1 else f"{base}-{used[base]}"


def field_differences(work: Work) -> list[str]:
    """Notes on fields that another entry prints differently from the kept one."""
    canon = work.canonical
    canon_version = work.entries[0][0]
    notes = []
    for version, ref in work.entries:
        if ref is canon:
            continue
        for attr in (
            "authors",
            "title",
            "year",
            "venue",
            "arxiv",
            "doi",
            "url",
            "accessed",
            "et_al",
        ):
            mine, kept = getattr(ref, attr), getattr(canon, attr)
            if mine != kept:
                notes.append(
                    f"work/{work.slug}: {version.short} [{ref.number}] prints {attr} {mine!r}, "
                    f"{canon_version.short} [{canon.number}] prints {kept!r} (kept)"
                )
    return notes
