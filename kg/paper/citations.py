"""The in-text citation groups of the paper's texts (`[23, 59, 29]`), where each stands, and which
concept of the framework each supports: what its sentence is about."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from rdflib import URIRef

from ..text import (
    collapse_ws,
    fold,
    plain,
    strip_emphasis,
)
from .references import references_line_index

#: anchors are the words just before a bracket, at most this long (the graph never holds more)
ANCHOR_CHARS = 60

@dataclass(slots=True)
class ParsedCitation:
    """One bracketed in-text citation group, e.g. ``[23, 59, 29, 97, 31]``, where it stands."""

    order: int
    section: str
    numbers: list[int]
    content: str
    anchor: str
    #: the sentence up to the bracket: the context the concept matcher reads (not stored)
    sentence: str = ""
    line: int = 0
    #: the rest of the sentence after the bracket (read by the matcher, not stored)
    after: str = ""
    #: whether the bracket is the only citation group of its sentence
    alone: bool = True
    #: the title of the heading of the section the bracket stands in ("" before the first)
    heading: str = ""



_CITATION = re.compile(r"\[(\d+(?:\s*[,;\u2013-]\s*\d+)*)\]")
_HEADING = re.compile(r"^\s*#*\s*(\d{1,2}(?:\.\d{1,2}){0,2})\.?\s+([A-Z].*)$")
_FIGURE = re.compile(r"^\s*Figure\s+(\d+)\s*:", re.IGNORECASE)


def _heading_number(line: str) -> str | None:
    """The section number of a heading line ("3.1 Layer 1: Approximate Alignment Layer")."""
    m = _HEADING.match(line)
    if (
        m is None
        or len(line.strip()) > 120
        or line.rstrip().endswith(".")
        or _CITATION.search(line)
    ):
        return None
    return m.group(1)


def _section_key(number: str) -> tuple[int, ...]:
    return tuple(int(p) for p in number.split("."))


def _follows(key: tuple[int, ...], current: tuple[int, ...]) -> bool:
    """Headings only move forward, by at most one top-level section (guards against a paragraph
    that happens to start with a number)."""
    return key > current and key[0] <= (current[0] if current else 0) + 1


def _numbers(printed: str) -> list[int]:
    """The reference numbers of a bracket, in printed order, ranges ("3–5") expanded."""
    out: list[int] = []
    for part in re.split(r"\s*[,;]\s*", printed):
        if (m := re.fullmatch(r"(\d+)\s*[\u2013-]\s*(\d+)", part)) is not None:
            lo, hi = int(m.group(1)), int(m.group(2))
            out.extend(range(lo, hi + 1) if lo <= hi else (lo, hi))
        elif part.isdigit():
            out.append(int(part))
    return out


def _anchor(before: str) -> str:
    """The last ~60 characters before a bracket, cut at a word boundary."""
    text = collapse_ws(strip_emphasis(before))
    if len(text) <= ANCHOR_CHARS:
        return text
    cut = text[-ANCHOR_CHARS:]
    if text[-ANCHOR_CHARS - 1] != " " and " " in cut:
        cut = cut.split(" ", 1)[1]
    return cut.strip()


def _sentence(before: str) -> str:
    """The sentence a bracket stands in, up to the bracket (since the last ". " of the line)."""
    text = collapse_ws(strip_emphasis(before))
    cut = text.rfind(". ")
    return text[cut + 2 :] if cut >= 0 else text


def _sentence_after(after: str) -> str:
    """The rest of the sentence after a bracket (up to the next ". " of the line)."""
    text = collapse_ws(strip_emphasis(after))
    cut = text.find(". ")
    return (text[:cut] if cut >= 0 else text.rstrip(".")).lstrip(" ,;:")


def _alone(raw: str, start: int, end: int) -> bool:
    """Whether the bracket at raw[start:end] is the only citation group of its sentence."""
    first = raw.rfind(". ", 0, start)
    last = raw.find(". ", end)
    sentence = raw[first + 2 if first >= 0 else 0 : last if last >= 0 else len(raw)]
    return len(_CITATION.findall(sentence)) == 1


def parse_citations(text: str) -> list[ParsedCitation]:
    """Every bracketed citation group of the body (before "References"), in reading order, with
    the section it stands in ("abstract" before the first numbered heading)."""
    lines = text.splitlines()
    end = references_line_index(lines)
    section = "abstract"
    heading = ""
    current: tuple[int, ...] = ()
    out: list[ParsedCitation] = []
    for idx, raw in enumerate(lines[: end if end is not None else len(lines)]):
        number = _heading_number(raw)
        if number is not None and _follows(_section_key(number), current):
            section, current = number, _section_key(number)
            heading = plain(_HEADING.match(raw).group(2))  # type: ignore[union-attr]
            continue
        where = section
        if (fig := _FIGURE.match(raw)) is not None:
            where = f"figure {fig.group(1)}"
        elif raw.strip().lower().startswith("keywords:"):
            where = "keywords"
        for m in _CITATION.finditer(raw):
            before = raw[: m.start()]
            out.append(
                ParsedCitation(
                    order=len(out) + 1,
                    section=where,
                    numbers=_numbers(m.group(1)),
                    content=m.group(0),
                    anchor=_anchor(before),
                    sentence=_sentence(before),
                    line=idx + 1,
                    after=_sentence_after(raw[m.end() :]),
                    alone=_alone(raw, m.start(), m.end()),
                    heading=heading if where == section else "",
                )
            )
    return out


# ---------------------------------------------------------------------------
# Which framework concept a citation group supports
# ---------------------------------------------------------------------------

_TRAILING = " \t.,;:!?\"')]*"


def _occurs(text: str, start: int, label: str) -> bool:
    """Whether ``label`` at ``start`` of ``text`` stands at word boundaries."""
    end = start + len(label)
    if label[0].isalnum() and start > 0 and text[start - 1].isalnum():
        return False
    return not (label[-1].isalnum() and end < len(text) and text[end].isalnum())


_OWN_BRACKET = re.compile(r"[\s\"')]*\[\d")


def _occurrences(
    text: str, labels: Sequence[tuple[str, URIRef]]
) -> Iterable[tuple[int, int, str, URIRef]]:
    """(start, end, label, concept) of every label standing at word boundaries in ``text``."""
    for lab, iri in labels:
        for m in re.finditer(re.escape(lab), text):
            if _occurs(text, m.start(), lab):
                yield m.start(), m.end(), lab, iri


def match_concept(
    citation: ParsedCitation, concept_labels: Mapping[URIRef, Sequence[str]]
) -> URIRef | None:
    """The framework concept a citation group supports: what its sentence is about.

    (1) A name that ends the anchor (after trailing punctuation, quotes and closing parentheses):
    "Machine Unlearning [..]", "(RLHF) [..]"; the longest such name wins. (2) Otherwise the name
    that occurs last earlier in the same sentence ("Explicit control generation involves ... tone
    [87]"), unless a bracket of its own follows it ("GPT-4 [66], which ... language [79]": [79]
    is not about GPT-4). (3) Otherwise, if the bracket is the only one of its sentence, the first
    name in the rest of the sentence ("... reinforcement learning [..] ..., placing these methods
    within the Intervenable Layer"). (4) Otherwise the concept the section's heading names
    ("2.3 Yellow Line: Early Warning Indicators ..."), the longest name found in it. (5) None.
    Names are every label (preferred, alternative and hidden) of the concepts.
    """
    labels = sorted(
        {
            (fold(lab).rstrip(_TRAILING), iri)
            for iri, labs in concept_labels.items()
            for lab in labs
        },
        key=lambda pair: (-len(pair[0]), str(pair[1]), pair[0]),
    )
    labels = [(lab, iri) for lab, iri in labels if lab]
    context = fold(_sentence(citation.sentence or citation.anchor))
    tail = context.rstrip(_TRAILING)
    for lab, iri in labels:  # longest first
        if tail and tail.endswith(lab) and _occurs(tail, len(tail) - len(lab), lab):
            return iri
    best: tuple[int, int, URIRef] | None = None
    for _start, end, lab, iri in _occurrences(context, labels):
        if _OWN_BRACKET.match(context, end):
            continue
        candidate = (end, len(lab), iri)
        if best is None or candidate[:2] > best[:2]:
            best = candidate
    if best is not None:
        return best[2]
    if citation.alone and citation.after:
        found = sorted(_occurrences(fold(citation.after), labels),
                       key=lambda o: (o[0], o[0] - o[1]))
        if found:
            return found[0][3]
    if citation.heading:
        found = sorted(_occurrences(fold(citation.heading), labels),
                       key=lambda o: (o[0] - o[1], o[0]))
        if found:
            return found[0][3]
    return None
