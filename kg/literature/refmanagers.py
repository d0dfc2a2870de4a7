"""Read the files reference managers and OpenAlex export, as they export them, into `Record`s
(kg.literature.files):

- CSL-JSON (Zotero's "CSL JSON" export, citeproc's format): an array of items with `title`,
  `author` ([{family, given} or {literal}]), `issued` ({"date-parts": [[2023, 5]]}), `DOI`,
  `URL`, `abstract`, `keyword` (Zotero: the tags, separated by commas) and the arXiv id in
  `number`, `archive_location`, `URL`, `note` or an arXiv DOI (10.48550/arXiv.ID);
- RIS (Zotero, EndNote, Mendeley): records of tagged lines `TY  - ` ... `ER  - `, with `TI`/`T1`,
  `AU`/`A1` (one author a line, "Last, First"), `PY`/`Y1`/`DA` ("2023///", "2023/05/01/"), `DO`,
  `UR`, `AB`/`N2` and `KW` (one keyword a line); any line ends, a UTF-8 BOM;
- OpenAlex work records as the API returns them: one work, a list of works, or an API page
  ({"meta": ..., "results": [...]}), with `title`/`display_name`,
  `authorships[].author.display_name`, `publication_year`, `doi`, `ids`,
  `primary_location.landing_page_url`, `abstract_inverted_index` (turned back into the text) and
  `keywords[].display_name`.

None of them carries a mapping onto the taxonomy: their works map nowhere (the import counts them as
unmapped). Each work keeps its abstract and the source's own keywords. `sniff_json` tells CSL-JSON,
OpenAlex and JSON-LD apart by their content (a `.json` file may be any of them).

Like the other readers these only read: every problem is reported where it is (RIS: the line; JSON:
the item, counted from 1, with the line it starts on, and the field), and the values are checked by
kg.literature.imports as for every format. The files are plain JSON or text: nothing is fetched,
nothing is expanded."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from ..namespaces import PREFIXES
from .files import Problem, ReadResult, Record

_DECODER = json.JSONDecoder()
_WS = re.compile(r"[ \t\n\r]*")
_ARXIV_ID = r"(\d{4}\.\d{4,5}(?:v\d+)?)"
#: "arXiv:2404.14082", "arXiv: 2404.14082v2 [cs]"
_ARXIV_IN_TEXT = re.compile(r"\barxiv:\s*" + _ARXIV_ID + r"(?![\d.])", re.I)
#: "http://arxiv.org/abs/2404.14082", "https://arxiv.org/pdf/2404.14082v1.pdf"
_ARXIV_URL = re.compile(r"\barxiv\.org/(?:abs|pdf)/" + _ARXIV_ID + r"(?![\d])", re.I)
#: arXiv's DOIs: 10.48550/arXiv.2404.14082
_ARXIV_DOI = re.compile(r"\b10\.48550/arxiv\." + _ARXIV_ID + r"(?![\d])", re.I)
_ARXIV_BARE = re.compile(_ARXIV_ID)
#: JATS markup that Crossref abstracts bring into Zotero: paragraphs and titles (<jats:p>) part
#: words, inline markup (<jats:italic>) does not
_JATS_BLOCK = re.compile(r"</?jats:(?:p|title|sec|list|list-item)\b[^<>]*>")
_JATS = re.compile(r"</?jats:[^<>]*>")
_ET_AL = re.compile(r"(et\.? al\.?|others)", re.I)

#: CSL-JSON fields that mark an object as a CSL item (with `type`)
CSL_FIELDS = ("title", "author", "editor", "issued", "DOI", "URL", "container-title",
              "publisher", "abstract")


# ---------------------------------------------------------------------------------------------
# JSON: loading, where items are, which format
# ---------------------------------------------------------------------------------------------


def _load_json(text: str) -> tuple[Any, Problem | None]:
    try:
        return json.loads(text), None
    except json.JSONDecodeError as exc:
        return None, Problem(f"line {exc.lineno}", None,
                             f"not JSON (column {exc.colno}): {exc.msg}")
    except RecursionError:
        return None, Problem("the file", None, "not read: the JSON nests too deeply")


def _skip(text: str, i: int) -> int:
    m = _WS.match(text, i)
    return m.end() if m else i


def _array_starts(text: str, i: int) -> list[int]:
    """The offsets of the values of the JSON array that starts at text[i]."""
    out: list[int] = []
    i = _skip(text, i + 1)
    if text[i] == "]":
        return out
    while True:
        out.append(i)
        _, i = _DECODER.raw_decode(text, i)
        i = _skip(text, i)
        if text[i] != ",":
            return out
        i = _skip(text, i + 1)


def _member_start(text: str, i: int, key: str) -> int | None:
    """The offset of the value of member `key` (the last one) of the object at text[i]."""
    found = None
    i = _skip(text, i + 1)
    if text[i] == "}":
        return None
    while True:
        name, i = _DECODER.raw_decode(text, i)
        i = _skip(text, _skip(text, i) + 1)  # past the ":"
        if name == key:
            found = i
        _, i = _DECODER.raw_decode(text, i)
        i = _skip(text, i)
        if text[i] != ",":
            return found
        i = _skip(text, i + 1)


def item_lines(text: str, member: str | None = None) -> list[int]:
    """The line each item of a JSON text starts on: the values of the top-level array (or of the
    array in the top-level object's `member`), or the top-level object itself. The text is valid
    JSON (already loaded); [] if it cannot be walked."""
    try:
        i = _skip(text, 0)
        if member is not None and text[i] == "{":
            start = _member_start(text, i, member)
            if start is None:
                return []
            i = start
        starts = _array_starts(text, i) if text[i] == "[" else [i]
    except (ValueError, IndexError, RecursionError):
        return []
    lines, line, at = [], 1, 0
    for s in starts:
        line += text.count("\n", at, s)
        at = s
        lines.append(line)
    return lines


def _json_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true or false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"


def _kind_of(node: object) -> str | None:
    """The format one JSON object looks like: json-ld, openalex, csl-json, or None."""
    if not isinstance(node, dict):
        return None
    if any(k.startswith(("@", "http://", "https://"))
           or (":" in k and k.split(":", 1)[0] in PREFIXES) for k in node):
        return "json-ld"
    ids = node.get("ids")
    if ("authorships" in node or _is_openalex_id(node.get("id"))
            or (isinstance(ids, dict) and "openalex" in ids)):
        return "openalex"
    if "type" in node and any(k in node for k in CSL_FIELDS):
        return "csl-json"
    return None


def _is_openalex_id(value: object) -> bool:
    return isinstance(value, str) and re.match(r"https://openalex\.org/W\d+$", value) is not None


_JSON_KINDS = {"json-ld": "JSON-LD", "openalex": "an OpenAlex work", "csl-json": "CSL-JSON"}


def sniff_json(text: str) -> tuple[str | None, list[Problem]]:
    """The format of a JSON file by its content, or the problems that say why it is not told.

    JSON-LD: an `@context`, `@graph`, `@id` (any "@" key), a key with a project prefix
    ("dcterms:title") or a full IRI. OpenAlex: an API page (an object with a `results` list), or
    works with `authorships` or an OpenAlex id ("https://openalex.org/W...", `ids.openalex`).
    CSL-JSON: items with `type` and CSL fields (`title`, `author`, `issued`, `DOI`, ...). Every
    item that looks like one of them must look like the same one.
    """
    doc, problem = _load_json(text)
    if problem is not None:
        return None, [problem]
    if isinstance(doc, dict):
        if _kind_of(doc) == "json-ld":
            return "json-ld", []
        if isinstance(doc.get("results"), list):
            return "openalex", []
        items: list[Any] = [doc]
    elif isinstance(doc, list):
        items = doc
    else:
        return None, [Problem("line 1", None, f"the file holds {_json_type(doc)}, not works (a "
                              "JSON array or object)")]
    if not items:
        return None, [Problem("the file", None, "holds no works (an empty array)")]
    kinds = [(n, k) for n, k in ((n, _kind_of(item)) for n, item in enumerate(items, start=1))
             if k is not None]
    if not kinds:
        return None, [Problem(
            "the file", None,
            "cannot tell the format of this JSON: neither CSL-JSON (items with 'type' and "
            "'title'), OpenAlex works ('authorships', an 'https://openalex.org/W...' id) nor "
            "JSON-LD ('@context', '@graph', '@id'); give the format (csl-json, openalex or "
            "json-ld)")]
    first_n, first = kinds[0]
    for n, kind in kinds[1:]:
        if kind != first:
            lines = item_lines(text)
            return None, [Problem(
                _item_where(n, lines), None,
                f"looks like {_JSON_KINDS[kind]} but {_item_where(first_n, lines)} like "
                f"{_JSON_KINDS[first]}: one format per file")]
    return first, []


def _item_where(number: int, lines: list[int]) -> str:
    if 0 < number <= len(lines):
        return f"item {number} (line {lines[number - 1]})"
    return f"item {number}"


def _objects(items: list[Any], lines: list[int], problems: list[Problem], what: str
             ) -> Iterator[_Item]:
    """The items that are JSON objects, each with where it is; a problem for every other
    (`what`: what each item must be, "each item of CSL-JSON")."""
    for number, data in enumerate(items, start=1):
        where = _item_where(number, lines)
        if not isinstance(data, dict):
            problems.append(Problem(where, None, f"is {_json_type(data)}: {what} is a JSON "
                                    "object {...}"))
            continue
        yield _Item(data, where, problems)


@dataclass
class _Item:
    """One JSON object being read: reports its problems by field."""

    data: dict[str, Any]
    where: str
    problems: list[Problem]

    def text(self, key: str) -> str:
        """A field that holds text (a number is taken as its digits); "" when absent or null."""
        value = self.data.get(key)
        if value is None:
            return ""
        if isinstance(value, str | int | float) and not isinstance(value, bool):
            return str(value)
        self.problems.append(Problem(self.where, f"field {key!r}",
                                     f"is {_json_type(value)}, not text"))
        return ""

    def peek(self, key: str) -> str:
        """A field's text, or "" (no problem reported: for looking, not for reading)."""
        value = self.data.get(key)
        return value if isinstance(value, str) else ""


def clean_abstract(text: str) -> str:
    """An abstract without the JATS markup of Crossref, its white space collapsed."""
    return re.sub(r"\s+", " ", _JATS.sub("", _JATS_BLOCK.sub(" ", text))).strip()


def _keywords(values: list[str]) -> list[str]:
    seen: set[str] = set()
    out = []
    for v in values:
        v = re.sub(r"\s+", " ", v).strip()
        if v and v.lower() not in seen:
            seen.add(v.lower())
            out.append(v)
    return out


def _arxiv_in(value: str, *, bare: bool = False) -> str:
    """The arXiv id in a URL, an "arXiv:ID" text or an arXiv DOI (a bare id when `bare`)."""
    for pattern in (_ARXIV_URL, _ARXIV_DOI, _ARXIV_IN_TEXT):
        m = pattern.search(value)
        if m:
            return m.group(1)
    if bare:
        m = _ARXIV_BARE.fullmatch(value.strip())
        if m:
            return m.group(1)
    return ""


# ---------------------------------------------------------------------------------------------
# CSL-JSON
# ---------------------------------------------------------------------------------------------


def _csl_name(name: object) -> str | None:
    """"Given particle Family suffix" of a CSL name, its `literal`, or None."""
    if not isinstance(name, dict):
        return None
    if isinstance(name.get("literal"), str) and name["literal"].strip():
        return name["literal"].strip()
    parts = [name.get(k) for k in ("given", "dropping-particle", "non-dropping-particle",
                                   "family", "suffix")]
    words = [p.strip() for p in parts if isinstance(p, str) and p.strip()]
    if not isinstance(name.get("family"), str) and not isinstance(name.get("given"), str):
        return None
    return " ".join(words) or None


def _csl_year(value: object) -> tuple[str, str | None]:
    """The year of a CSL date ({"date-parts": [[2023, 5]]}, {"raw": "2023-05"},
    {"literal": "2023"}), or a problem."""
    if not isinstance(value, dict):
        return "", f"is {_json_type(value)}, not a CSL date such as {{\"date-parts\": [[2023]]}}"
    parts = value.get("date-parts")
    if parts is not None:
        if (not isinstance(parts, list) or not parts or not isinstance(parts[0], list)
                or not parts[0]):
            return "", ("'date-parts' is not a list of dates such as [[2023, 5]]")
        year = parts[0][0]
        if isinstance(year, bool) or not isinstance(year, int | str):
            return "", f"the year in 'date-parts' is {_json_type(year)}"
        return str(year).strip(), None
    for key in ("raw", "literal"):
        text = value.get(key)
        if isinstance(text, str) and text.strip():
            m = re.search(r"\b(\d{4})\b", text)
            return (m.group(1) if m else text.strip()), None
    return "", "has no 'date-parts', 'raw' or 'literal'"


#: where a CSL item keeps an arXiv id, in the order they are looked at
_CSL_ARXIV_FIELDS = ("number", "archive_location", "URL", "note", "DOI")


def read_csl_json_records(text: str) -> ReadResult:
    """The items of a CSL-JSON file (an array of items, or one item)."""
    out = ReadResult()
    doc, problem = _load_json(text)
    if problem is not None:
        out.problems.append(problem)
        return out
    if isinstance(doc, dict):
        items: list[Any] = [doc]
    elif isinstance(doc, list):
        items = doc
    else:
        out.problems.append(Problem("line 1", None, f"the file holds {_json_type(doc)}: CSL-JSON "
                                    "is an array of items (JSON objects)"))
        return out
    lines = item_lines(text)
    for item in _objects(items, lines, out.problems, "each item of CSL-JSON"):
        where, data = item.where, item.data
        rec = Record(where=where, fields={
            "title": "field 'title'", "year": "field 'issued'", "doi": "field 'DOI'",
            "url": "field 'URL'", "authors": "field 'author'", "arxiv": "field 'number'"})
        rec.title = item.text("title")
        key = "author" if data.get("author") else "editor" if data.get("editor") else "author"
        rec.fields["authors"] = f"field {key!r}"
        names = data.get(key)
        if names is not None:
            if not isinstance(names, list):
                out.problems.append(Problem(where, f"field {key!r}", f"is {_json_type(names)}, "
                                            "not a list of names ({\"family\", \"given\"} or "
                                            "{\"literal\"})"))
            else:
                for i, name in enumerate(names, start=1):
                    full = _csl_name(name)
                    if full is None:
                        out.problems.append(Problem(
                            where, f"field {key!r}",
                            f"name {i} has no 'family', 'given' or 'literal' name"))
                    elif _ET_AL.fullmatch(full) and i == len(names):
                        rec.et_al = True
                    else:
                        rec.authors.append(full)
        if "issued" in data and data["issued"] is not None:
            year, why = _csl_year(data["issued"])
            if why is not None:
                out.problems.append(Problem(where, "field 'issued'", why))
            rec.year = year
        rec.doi = item.text("DOI")
        rec.url = item.text("URL")
        arxiv_source = any("arxiv" in item.peek(k).lower()
                           for k in ("archive", "publisher", "container-title", "source"))
        for name in _CSL_ARXIV_FIELDS:
            found = _arxiv_in(item.peek(name),
                              bare=arxiv_source and name in ("number", "archive_location"))
            if found:
                rec.arxiv, rec.fields["arxiv"] = found, f"field {name!r}"
                break
        rec.abstract = clean_abstract(item.text("abstract"))
        keywords = data.get("keyword")
        if isinstance(keywords, str):
            sep = ";" if ";" in keywords else ","
            rec.keywords = _keywords(keywords.split(sep))
        elif isinstance(keywords, list) and all(isinstance(k, str) for k in keywords):
            rec.keywords = _keywords(keywords)
        elif keywords is not None:
            out.problems.append(Problem(where, "field 'keyword'", f"is {_json_type(keywords)}, "
                                        "not keywords separated by commas"))
        out.records.append(rec)
    if not items:
        out.problems.append(Problem("the file", None, "holds no works (an empty array)"))
    return out


# ---------------------------------------------------------------------------------------------
# RIS
# ---------------------------------------------------------------------------------------------

#: "TY  - JOUR", "ER  -" (the value may be empty; some writers put one space before the hyphen)
_RIS_LINE = re.compile(r"([A-Z][A-Z0-9]) {1,2}-(?: (.*))?")


@dataclass
class _RisRecord:
    line: int
    type: str
    #: (tag, value, line) in the file's order
    tags: list[list[Any]] = field(default_factory=list)

    def first(self, *tags: str) -> tuple[str, str, int] | None:
        """The first non-empty value of the first of `tags` that the record has."""
        for tag in tags:
            for t, value, line in self.tags:
                if t == tag and value.strip():
                    return t, value.strip(), line
        return None

    def all(self, *tags: str) -> list[tuple[str, str, int]]:
        return [(t, v.strip(), n) for t, v, n in self.tags if t in tags and v.strip()]


def _ris_name(value: str) -> str:
    """"First Last Suffix" of a RIS name ("Last, First" or "Last, First, Suffix")."""
    parts = [p.strip() for p in value.split(",")]
    if len(parts) == 1:
        return value.strip()
    last, first, *rest = parts
    return " ".join(p for p in (first, last, *rest) if p)


def ris_records(text: str) -> tuple[list[_RisRecord], list[Problem]]:
    """The records of a RIS text, and the problems of its structure."""
    records: list[_RisRecord] = []
    problems: list[Problem] = []
    current: _RisRecord | None = None
    stray = False  # a problem was reported for the lines outside records since the last record
    lines = re.split(r"\r\n|\r|\n", text)
    last = len(lines) - (1 if lines and lines[-1] == "" else 0)
    for number, raw in enumerate(lines, start=1):
        line = raw.rstrip()
        if not line.strip():
            continue
        m = _RIS_LINE.fullmatch(line)
        if m is None:
            if current is not None and current.tags:
                current.tags[-1][1] += " " + line.strip()  # a long value continues
            elif not stray:
                problems.append(Problem(f"line {number}", None,
                                        f"not a RIS line: {_short(line)!r} (a line is 'XX  - "
                                        "value'; a record starts with 'TY  - ')"))
                stray = True
            continue
        tag, value = m.group(1), (m.group(2) or "").strip()
        if tag == "TY":
            if current is not None:
                problems.append(Problem(
                    f"line {current.line}", None,
                    f"the record that starts here has no end ('ER  - '): the next record "
                    f"starts on line {number}"))
            current, stray = _RisRecord(number, value), False
        elif tag == "ER":
            if current is None:
                if not stray:
                    problems.append(Problem(f"line {number}", None, "'ER  - ' ends a record "
                                            "that never started (a record starts with "
                                            "'TY  - ')"))
                stray = False
            else:
                records.append(current)
                current = None
        elif current is None:
            if not stray:
                problems.append(Problem(f"line {number}", f"tag {tag!r}",
                                        "outside a record (a record starts with 'TY  - ')"))
                stray = True
        else:
            current.tags.append([tag, value, number])
    if current is not None:
        problems.append(Problem(f"line {current.line}", None,
                                "the record that starts here has no end ('ER  - '): the file "
                                f"ends on line {last}"))
    return records, problems


def _short(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[:limit - 3] + "..."


def _take(r: _RisRecord, rec: Record, name: str, *tags: str) -> str:
    """The value of the first of `tags` the record has, noting its tag and line in `rec`."""
    found = r.first(*tags)
    if found is None:
        return ""
    tag, value, line = found
    rec.fields[name], rec.lines[name] = f"tag {tag!r}", f"line {line}"
    return value


def read_ris_records(text: str) -> ReadResult:
    """The records of a RIS file (Zotero, EndNote, Mendeley)."""
    out = ReadResult()
    records, out.problems = ris_records(text)
    if not records and not out.problems:
        out.problems.append(Problem("the file", None, "holds no RIS records (a record starts "
                                    "with 'TY  - ' and ends with 'ER  - ')"))
    for r in records:
        rec = Record(where=f"line {r.line}", fields={
            "title": "tag 'TI'", "year": "tag 'PY'", "doi": "tag 'DO'", "url": "tag 'UR'",
            "authors": "tag 'AU'", "arxiv": "tag 'UR'"})
        rec.title = _take(r, rec, "title", "TI", "T1", "CT")
        # "2023", "2023///", "2023/05/01/", "2023/05/01/spring"
        rec.year = _take(r, rec, "year", "PY", "Y1", "DA").split("/")[0].strip()
        rec.doi = _take(r, rec, "doi", "DO", "DI")
        rec.url = _take(r, rec, "url", "UR")
        authors = r.all("AU", "A1")
        if authors:
            rec.fields["authors"] = f"tag {authors[0][0]!r}"
        names = [_ris_name(v) for _, v, _ in authors]
        if names and _ET_AL.fullmatch(names[-1]):
            names, rec.et_al = names[:-1], True
        rec.authors = names
        for tag in ("UR", "DO", "L1", "L2", "N1", "M1", "AN", "SN", "ID"):
            hit = next(((v, n) for _, v, n in r.all(tag) if _arxiv_in(v)), None)
            if hit is not None:
                rec.arxiv = _arxiv_in(hit[0])
                rec.fields["arxiv"], rec.lines["arxiv"] = f"tag {tag!r}", f"line {hit[1]}"
                break
        rec.abstract = clean_abstract(_take(r, rec, "abstract", "AB", "N2"))
        rec.keywords = _keywords([v for _, v, _ in r.all("KW")])
        out.records.append(rec)
    return out


# ---------------------------------------------------------------------------------------------
# OpenAlex
# ---------------------------------------------------------------------------------------------


def abstract_from_inverted_index(index: object) -> tuple[str, str | None]:
    """The text of an OpenAlex `abstract_inverted_index` (word -> the positions it stands at),
    or why it is not one."""
    if not isinstance(index, dict):
        return "", f"is {_json_type(index)}, not an object of words and their positions"
    at: dict[int, str] = {}
    for word, positions in index.items():
        if not isinstance(positions, list) or not all(
                isinstance(p, int) and not isinstance(p, bool) and p >= 0 for p in positions):
            return "", (f"the positions of {_short(word)!r} are not a list of whole numbers "
                        "(0, 1, ...)")
        for p in positions:
            if p in at and at[p] != word:
                return "", f"position {p} has two words, {_short(at[p])!r} and {_short(word)!r}"
            at[p] = word
    return " ".join(at[p] for p in sorted(at)), None


def _urls_of(location: object) -> list[str]:
    if not isinstance(location, dict):
        return []
    return [v for v in (location.get("landing_page_url"), location.get("pdf_url"))
            if isinstance(v, str)]


def read_openalex_records(text: str) -> ReadResult:
    """The works of an OpenAlex file: one work, a list of works, or an API page."""
    out = ReadResult()
    doc, problem = _load_json(text)
    if problem is not None:
        out.problems.append(problem)
        return out
    member = None
    if isinstance(doc, dict) and "results" in doc:
        if not isinstance(doc["results"], list):
            out.problems.append(Problem("the file", "field 'results'",
                                        f"is {_json_type(doc['results'])}, not a list of works"))
            return out
        items: list[Any] = doc["results"]
        member = "results"
    elif isinstance(doc, dict):
        items = [doc]
    elif isinstance(doc, list):
        items = doc
    else:
        out.problems.append(Problem("line 1", None, f"the file holds {_json_type(doc)}: an "
                                    "OpenAlex file is a work, a list of works or an API page"))
        return out
    if not items:
        out.problems.append(Problem("the file", None, "holds no works (no results)"))
    lines = item_lines(text, member)
    for item in _objects(items, lines, out.problems, "each OpenAlex work"):
        where, data = item.where, item.data
        rec = Record(where=where, fields={
            "title": "field 'title'", "year": "field 'publication_year'", "doi": "field 'doi'",
            "url": "field 'primary_location.landing_page_url'", "authors": "field 'authorships'",
            "arxiv": "field 'ids'"})
        rec.title = item.text("title")
        if not rec.title and data.get("display_name") is not None:
            rec.title, rec.fields["title"] = item.text("display_name"), "field 'display_name'"
        ships = data.get("authorships")
        if ships is not None and not isinstance(ships, list):
            out.problems.append(Problem(where, "field 'authorships'",
                                        f"is {_json_type(ships)}, not a list"))
        for i, ship in enumerate(ships if isinstance(ships, list) else [], start=1):
            author = ship.get("author") if isinstance(ship, dict) else None
            name = author.get("display_name") if isinstance(author, dict) else None
            if not (isinstance(name, str) and name.strip()) and isinstance(ship, dict):
                name = ship.get("raw_author_name")
            if isinstance(name, str) and name.strip():
                rec.authors.append(name.strip())
            else:
                out.problems.append(Problem(where, "field 'authorships'",
                                            f"authorship {i} has no author.display_name"))
        rec.et_al = data.get("is_authors_truncated") is True
        year = data.get("publication_year")
        if isinstance(year, int | str) and not isinstance(year, bool):
            rec.year = str(year)
        elif year is not None:
            out.problems.append(Problem(where, "field 'publication_year'",
                                        f"is {_json_type(year)}, not a year"))
        raw_ids = data.get("ids")
        ids: dict[str, Any] = raw_ids if isinstance(raw_ids, dict) else {}
        rec.doi = item.text("doi")
        if not rec.doi and isinstance(ids.get("doi"), str):
            rec.doi, rec.fields["doi"] = ids["doi"], "field 'ids.doi'"
        primary = data.get("primary_location")
        landing = primary.get("landing_page_url") if isinstance(primary, dict) else None
        rec.url = landing if isinstance(landing, str) else ""
        candidates = [("ids", ids.get("arxiv") if isinstance(ids.get("arxiv"), str) else ""),
                      ("doi", rec.doi)]
        candidates += [("primary_location", u) for u in _urls_of(primary)]
        candidates += [("best_oa_location", u) for u in _urls_of(data.get("best_oa_location"))]
        locations = data.get("locations")
        for loc in locations if isinstance(locations, list) else []:
            candidates += [("locations", u) for u in _urls_of(loc)]
        for name, value in candidates:
            found = _arxiv_in(value or "", bare=name == "ids")
            if found:
                rec.arxiv, rec.fields["arxiv"] = found, f"field {name!r}"
                break
        index = data.get("abstract_inverted_index")
        if index is not None:
            abstract, why = abstract_from_inverted_index(index)
            if why is not None:
                out.problems.append(Problem(where, "field 'abstract_inverted_index'", why))
            rec.abstract = clean_abstract(abstract)
        keywords = data.get("keywords")
        if keywords is not None and not isinstance(keywords, list):
            out.problems.append(Problem(where, "field 'keywords'",
                                        f"is {_json_type(keywords)}, not a list"))
        names = []
        for kw in keywords if isinstance(keywords, list) else []:
            # the API's keywords: {"id", "display_name", "score"} (before 2024: {"keyword"})
            value = kw.get("display_name", kw.get("keyword")) if isinstance(kw, dict) else kw
            if isinstance(value, str):
                names.append(value)
        rec.keywords = _keywords(names)
        out.records.append(rec)
    return out
