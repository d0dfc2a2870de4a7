"""The numbered reference lists of the paper's texts: one `ParsedReference` per entry, its
authors, title, year, venue and identifiers read off however the entry prints them."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from ..text import (
    normalise_title,
    plain,
)


@dataclass(slots=True)
class ParsedReference:
    """One numbered entry of a reference list, split into the fields the graph records."""

    number: int
    title: str
    authors: list[str] = field(default_factory=list)
    et_al: bool = False
    year: int | None = None
    venue: str | None = None
    arxiv: str | None = None
    doi: str | None = None
    url: str | None = None
    accessed: date | None = None
    line: int = 0



_REFERENCES_LINE = re.compile(r"^\s*#*\s*\**\s*(?:\d+\s+)?References\s*\**\s*$", re.IGNORECASE)
_ENTRY_LINE = re.compile(r"^\s*(?:[-*\u2022]\s*)?\[([^\]]*)\]\s*(.*)$")
_INITIAL = re.compile(r"[A-Z]")
_NOT_SENTENCE_ENDS = frozenset({"vs", "e.g", "i.e", "cf", "etc", "st"})
_URL = re.compile(r"https?://[^\s<>]+")
_ACCESSED = re.compile(r"Accessed:?\s*(\d{4}-\d{2}-\d{2})\.?", re.IGNORECASE)
ARXIV = re.compile(r"(?:arXiv\s+preprint\s+)?arXiv:\s*(\d{4}\.\d{4,5})(?:v\d+)?", re.IGNORECASE)
_DOI_LABEL = re.compile(r"\bDOI:\s*(.*)$", re.IGNORECASE)
_DOI_URL = re.compile(r"https?://(?:dx\.)?doi\.org/\S+", re.IGNORECASE)
DOI_PREFIX = re.compile(r"^(?:https?://)?(?:dx\.)?doi\.org/", re.IGNORECASE)
DOI = re.compile(r"10\.\d{4,9}/[-._;()/:A-Za-z0-9]+")
_YEAR = re.compile(r"\b(1[89]\d{2}|20\d{2})\b")
_MONTH = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\.?"
_DATE_ONLY = re.compile(
    rf"(?:{_MONTH}\s+)?(?:\d{{1,2}}(?:-\d{{1,2}})?,?\s+)?\d{{4}}", re.IGNORECASE
)
_ORGANISATION_WORDS = frozenset(
    "center centre institute laboratory lab university association foundation council committee "
    "inc ltd corporation agency office department ministry commission consortium".split()
)
_ORGANISATION_LINKS = frozenset({"for", "of", "the", "on"})


def references_line_index(lines: Sequence[str]) -> int | None:
    """The index of the last "References" heading line, or None when the text has none."""
    found = None
    for i, line in enumerate(lines):
        if _REFERENCES_LINE.match(line):
            found = i
    return found


@dataclass(slots=True)
class _RawEntry:
    """A numbered line of the reference list (plus continuation lines) before it is parsed."""

    line: int
    number: int
    text: str
    raw: str


def _where(lineno: int, raw: str) -> str:
    """How a warning names a line: its number and its text."""
    return f"line {lineno}: {raw.strip()!r}"


def parse_references(text: str) -> tuple[list[ParsedReference], list[str]]:
    """The numbered entries after the "References" line, and warnings for lines that are not.

    A malformed line (no number, an empty entry, an entry without a title) is skipped with a
    warning that names it; the other entries are still returned.
    """
    lines = text.splitlines()
    start = references_line_index(lines)
    if start is None:
        return [], ["no 'References' line: the text has no reference list"]
    warnings: list[str] = []
    raw_entries: list[_RawEntry] = []
    accepting = False  # whether a following unnumbered line may continue the last entry
    for idx in range(start + 1, len(lines)):
        raw, lineno = lines[idx], idx + 1
        if not raw.strip():
            continue
        m = _ENTRY_LINE.match(raw)
        if m is None:
            if accepting:
                raw_entries[-1].text += " " + raw.strip()
                warnings.append(
                    f"{_where(lineno, raw)}: not a numbered entry, read as the continuation "
                    f"of reference [{raw_entries[-1].number}]"
                )
            else:
                warnings.append(f"{_where(lineno, raw)}: not a numbered reference entry, skipped")
            continue
        label, body = m.group(1).strip(), m.group(2).strip()
        accepting = False
        if not label.isdigit() or int(label) < 1:
            warnings.append(
                f"{_where(lineno, raw)}: reference label [{label}] is not a number, skipped"
            )
            continue
        if not body:
            warnings.append(f"{_where(lineno, raw)}: reference [{label}] is empty, skipped")
            continue
        raw_entries.append(_RawEntry(lineno, int(label), body, raw))
        accepting = True

    refs: list[ParsedReference] = []
    seen: set[int] = set()
    for entry in raw_entries:
        where = _where(entry.line, entry.raw)
        if entry.number in seen:
            warnings.append(f"{where}: reference [{entry.number}] is numbered twice, skipped")
            continue
        ref, problems = parse_entry(entry.number, entry.text, entry.line)
        warnings.extend(f"{where}: {p}" for p in problems)
        if ref is not None:
            refs.append(ref)
            seen.add(entry.number)
    refs.sort(key=lambda r: r.number)
    warnings.extend(_numbering_gaps([r.number for r in refs]))
    return refs, warnings


def _numbering_gaps(numbers: Sequence[int]) -> list[str]:
    """A warning when the list is not numbered 1..N without gaps."""
    missing = sorted(set(range(1, max(numbers, default=0) + 1)) - set(numbers))
    if not missing:
        return []
    return [f"the reference list has no entry numbered {', '.join(map(str, missing))}"]


def parse_entry(
    number: int, body: str, lineno: int = 0
) -> tuple[ParsedReference | None, list[str]]:
    """Split one entry's text into authors, title and the fields after it.

    The layout is the natbib "plain" one: ``Authors. Title. Venue, volume, pages, year.`` with
    optional URL, DOI, arXiv id and access date. Entries without authors start with the title.
    """
    problems: list[str] = []
    text = plain(body)
    head, tail = _split_authors_off(text)
    authors: list[str] = []
    et_al = False
    if not tail or _URL.match(tail):
        title_source = text  # no authors: "Title. <url>, 2023." or a bare "Title."
    elif _is_caps_fragment(head, tail):
        problems.append(
            f"reference [{number}] starts with {head!r}, the end of its own title in capitals "
            "(a fault of the source bibliography), read as no author"
        )
        title_source = tail
    else:
        authors, et_al = split_authors(head)
        title_source = tail
    title, rest = _split_title(title_source)
    title, title_year = _title_year(title)
    if not title:
        problems.append(f"reference [{number}] has no title, skipped")
        return None, problems

    accessed = None
    if (m := _ACCESSED.search(rest)) is not None:
        try:
            accessed = date.fromisoformat(m.group(1))
        except ValueError:
            problems.append(f"reference [{number}] has an invalid access date {m.group(1)!r}")
        rest = rest[: m.start()] + rest[m.end() :]
    doi, rest, doi_problem = _extract_doi(rest)
    if doi_problem:
        problems.append(f"reference [{number}]: {doi_problem}")
    is_arxiv = re.search(r"\barxiv\s+preprint\b", rest, re.IGNORECASE) is not None
    arxiv = None
    if (m := ARXIV.search(rest)) is not None:
        arxiv = m.group(1)
        rest = rest[: m.start()] + rest[m.end() :]
    url = None
    if (m := _URL.search(rest)) is not None:
        url = m.group(0).rstrip(".,;")
        rest = rest[: m.start()] + rest[m.end() :]
    years = _YEAR.findall(rest)
    year = int(years[-1]) if years else title_year
    venue = "arXiv preprint" if is_arxiv else _venue(rest)
    ref = ParsedReference(
        number=number,
        title=title,
        authors=authors,
        et_al=et_al,
        year=year,
        venue=venue,
        arxiv=arxiv,
        doi=doi,
        url=url,
        accessed=accessed,
        line=lineno,
    )
    return ref, problems


def _split_authors_off(text: str) -> tuple[str, str]:
    """Split at the first full stop that ends a sentence (followed by a space or the end); a stop
    after a single capital ("A. Feder Cooper") is an initial and does not end it."""
    for m in re.finditer(r"\.(?=\s|$)", text):
        token = text[: m.start()].rsplit(" ", 1)[-1]
        if _INITIAL.fullmatch(token):
            continue
        if token.lower() in _NOT_SENTENCE_ENDS:
            continue
        return text[: m.start()].strip(), text[m.end() :].strip()
    return text.strip().rstrip("."), ""


def _split_title(text: str) -> tuple[str, str]:
    """The title and what follows it. A title ends at a full stop, or at "?"/"!" when what follows
    starts like a venue (capital, digit, arXiv, URL); "Who's harry potter? approximate ..." goes on.
    """
    for m in re.finditer(r"[.?!](?=\s|$)", text):
        if m.group(0) == ".":
            token = text[: m.start()].rsplit(" ", 1)[-1]
            if token.lower() in _NOT_SENTENCE_ENDS:
                continue
            return text[: m.start()].strip(), text[m.end() :].strip()
        after = text[m.end() :].lstrip()
        if (
            not after
            or after[0].isupper()
            or after[0].isdigit()
            or after.lower().startswith(("arxiv", "http"))
        ):
            return text[: m.end()].strip(), after
    return text.strip(), ""


def _title_year(title: str) -> tuple[str, int | None]:
    """A year printed at the end of the title ("..., 2024" or "... (2023)") belongs to the entry."""
    m = re.search(r"(?:,\s*|\s*\()(1[89]\d{2}|20\d{2})\)?$", title)
    if m is None or (m.group(0).lstrip().startswith("(") != m.group(0).endswith(")")):
        return title, None
    return title[: m.start()].strip(), int(m.group(1))


def _is_caps_fragment(head: str, tail: str) -> bool:
    """Whether the author slot holds the end of the title in capitals (file 000 [48]:
    "VIA REINFORCEMENT LEARNING. Learning to watermark ... via reinforcement learning.")."""
    if not re.search(r"[A-Z]{2}", head) or head != head.upper() or " " not in head:
        return False
    title, _ = _split_title(tail)
    return normalise_title(title).endswith(normalise_title(head))


def is_organisation(name: str) -> bool:
    """Whether an author name is an organisation ("OpenAI", "Center for AI Safety")."""
    tokens = name.split()
    if len(tokens) == 1:
        return True
    words = {t.lower().strip(".,") for t in tokens}
    return bool(words & _ORGANISATION_WORDS) or bool(
        {t.lower() for t in tokens[1:]} & _ORGANISATION_LINKS
    )


def split_authors(text: str) -> tuple[list[str], bool]:
    """The names of an author list in order, and whether it ends in "et al.".

    An organisation without commas ("Center for AI Safety") is one author, never split at "and".
    """
    text = text.strip().rstrip(".")
    et_al = False
    if (m := re.search(r",?\s*\bet\s+al\.?$", text)) is not None:
        et_al = True
        text = text[: m.start()]
    if "," not in text and is_organisation(text):
        return [text.strip()], et_al
    names = re.split(r",\s*(?:and\s+)?|\s+and\s+", text)
    return [n.strip() for n in names if n.strip()], et_al


def _extract_doi(rest: str) -> tuple[str | None, str, str | None]:
    """The DOI (lower case, no resolver), the rest without it, and a problem to report, if any.

    A garbled DOI ("https://doi. org/10.13140/RG, 2(34900.99200)") is repaired when the repair is
    a valid DOI: spaces dropped, "," and "(" read as ".", ")" dropped.
    """
    m = _DOI_LABEL.search(rest) or _DOI_URL.search(rest)
    if m is None:
        return None, rest, None
    printed = (m.group(1) if m.re is _DOI_LABEL else m.group(0)).strip()
    rest = rest[: m.start()] + rest[m.end() :]
    raw = DOI_PREFIX.sub("", re.sub(r"\s+", "", printed)).rstrip(".")
    if DOI.fullmatch(raw):
        return raw.lower(), rest, None
    repaired = re.sub(r"\.{2,}", ".", re.sub(r"[,(]", ".", raw).replace(")", "")).rstrip(".")
    if DOI.fullmatch(repaired):
        return repaired.lower(), rest, f"garbled DOI {printed!r} read as {repaired.lower()!r}"
    return None, rest, f"DOI {printed!r} is not a valid DOI, left out"


def _venue(rest: str) -> str | None:
    """The journal, proceedings or publisher: the first part of the text after the title that is
    not a date, without "In " and an editor list, up to its first comma."""
    for part in re.split(r"\.\s+", rest):
        part = part.strip(" .,;:")
        if part.startswith("In "):
            part = part[3:]
        if (m := re.search(r"\beditors?,\s*", part)) is not None:
            part = part[m.end() :]
        part = part.split(", ")[0].strip(" .,;:")
        if part and not _DATE_ONLY.fullmatch(part) and re.search(r"[A-Za-z]", part):
            return part
    return None
