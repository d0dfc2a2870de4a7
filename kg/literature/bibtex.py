"""A small BibTeX reader and writer: enough for the files analysts keep (Zotero, JabRef, Google
Scholar exports) and for `ai45kg export bibtex`.

The reader handles ``@type{key, field = {...} | "..." | 123 | macro # ...}``, nested braces,
``@string`` macros (and the month abbreviations), ``@comment`` and ``@preamble``, and text outside
entries. Every error names the line of the file. Field values are returned with their outer
delimiters removed; `latex_to_text` turns the usual LaTeX markup (accents, escaped specials,
protective braces, ``--``) into plain Unicode.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

MONTHS = {m: m.capitalize() for m in
          ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")}
_NAME = re.compile(r"[A-Za-z0-9_:.+/\-']+")
_ENTRY_TYPE = re.compile(r"[A-Za-z][A-Za-z0-9_-]*")


class BibTeXError(ValueError):
    """The file is not well-formed BibTeX; the message names the line."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(f"line {line}: {message}")
        self.line = line
        self.message = message


@dataclass
class Entry:
    """One entry: its type (lower case), key, fields (names lower case) and where it starts."""

    type: str
    key: str
    fields: dict[str, str] = field(default_factory=dict)
    line: int = 0
    #: the line each field starts on
    field_lines: dict[str, int] = field(default_factory=dict)


class _Reader:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.macros: dict[str, str] = dict(MONTHS)

    def line(self, pos: int | None = None) -> int:
        return self.text.count("\n", 0, self.pos if pos is None else pos) + 1

    def skip_ws(self) -> None:
        while self.pos < len(self.text):
            c = self.text[self.pos]
            if c.isspace():
                self.pos += 1
            elif c == "%":  # a comment to the end of the line (biber and JabRef write these)
                end = self.text.find("\n", self.pos)
                self.pos = len(self.text) if end < 0 else end + 1
            else:
                break

    def expect(self, chars: str, what: str) -> str:
        self.skip_ws()
        if self.pos >= len(self.text) or self.text[self.pos] not in chars:
            found = self.text[self.pos : self.pos + 20].split("\n", 1)[0] or "the end of the file"
            raise BibTeXError(self.line(), f"expected {what}, found {found!r}")
        c = self.text[self.pos]
        self.pos += 1
        return c

    def name(self, what: str) -> str:
        self.skip_ws()
        m = _NAME.match(self.text, self.pos)
        if m is None:
            found = self.text[self.pos : self.pos + 20].split("\n", 1)[0] or "the end of the file"
            raise BibTeXError(self.line(), f"expected {what}, found {found!r}")
        self.pos = m.end()
        return m.group(0)

    def braced(self, start_line: int) -> str:
        """The text of a {...} group (the opening brace already read), inner braces kept."""
        depth = 1
        begin = self.pos
        while self.pos < len(self.text):
            c = self.text[self.pos]
            if c == "\\":
                self.pos += 2
                continue
            if c == "{":
                depth += 1
            elif c == "}":
                depth -= 1
                if depth == 0:
                    self.pos += 1
                    return self.text[begin : self.pos - 1]
            elif c == "@" and re.match(r"@[A-Za-z]+\s*[{(]", self.text[self.pos:]) \
                    and self.text[self.pos - 1] == "\n":
                break  # an entry starts at the beginning of a line: this brace was never closed
            self.pos += 1
        raise BibTeXError(start_line, "a '{' is never closed (unbalanced braces)")

    def quoted(self, start_line: int) -> str:
        depth = 0
        begin = self.pos
        while self.pos < len(self.text):
            c = self.text[self.pos]
            if c == "\\":
                self.pos += 2
                continue
            if c == "{":
                depth += 1
            elif c == "}":
                depth -= 1
            elif c == '"' and depth == 0:
                self.pos += 1
                return self.text[begin : self.pos - 1]
            elif c == "\n" and self.text[self.pos + 1 : self.pos + 2] == "@":
                break
            self.pos += 1
        raise BibTeXError(start_line, 'a \'"\' is never closed')

    def value(self) -> str:
        """A field value: parts joined by '#'."""
        parts: list[str] = []
        while True:
            self.skip_ws()
            start = self.line()
            if self.pos >= len(self.text):
                raise BibTeXError(start, "the file ends inside a field value")
            c = self.text[self.pos]
            if c == "{":
                self.pos += 1
                parts.append(self.braced(start))
            elif c == '"':
                self.pos += 1
                parts.append(self.quoted(start))
            elif c.isdigit():
                m = re.compile(r"\d+").match(self.text, self.pos)
                assert m is not None
                self.pos = m.end()
                parts.append(m.group(0))
            else:
                macro = self.name("a field value ({...}, \"...\", a number or a @string name)")
                if macro.lower() not in self.macros:
                    raise BibTeXError(start, f"unknown @string macro {macro!r} (values need "
                                             "braces or quotes)")
                parts.append(self.macros[macro.lower()])
            self.skip_ws()
            if self.pos < len(self.text) and self.text[self.pos] == "#":
                self.pos += 1
                continue
            return "".join(parts)


def parse(text: str) -> list[Entry]:
    """The entries of a BibTeX file, in file order.

    Raises:
        BibTeXError: the file is malformed (the message names the line); duplicate keys too.
    """
    r = _Reader(text)
    entries: list[Entry] = []
    seen: dict[str, int] = {}
    while True:
        at = r.text.find("@", r.pos)
        if at < 0:
            break
        r.pos = at + 1
        start = r.line(at)
        m = _ENTRY_TYPE.match(r.text, r.pos)
        if m is None:
            raise BibTeXError(start, "'@' not followed by an entry type such as @article")
        kind = m.group(0).lower()
        r.pos = m.end()
        opener = r.expect("{(", f"'{{' after @{kind}")
        closer = "}" if opener == "{" else ")"
        if kind == "comment":
            if opener == "{":
                r.braced(start)
            continue
        if kind == "preamble":
            r.value()
            r.expect(closer, f"'{closer}' closing the @preamble")
            continue
        if kind == "string":
            name = r.name("a @string name")
            r.expect("=", f"'=' after @string {name}")
            r.macros[name.lower()] = r.value()
            r.expect(closer, f"'{closer}' closing @string {name}")
            continue
        key = r.name(f"the citation key of the @{kind} entry")
        key_line = r.line()
        if key.lower() in seen:
            raise BibTeXError(key_line, f"citation key {key!r} is used twice (first on line "
                                        f"{seen[key.lower()]})")
        seen[key.lower()] = key_line
        entry = Entry(kind, key, line=start)
        last = ""
        while True:
            r.skip_ws()
            if r.pos < len(r.text) and r.text[r.pos] == closer:
                r.pos += 1
                break
            if r.text.startswith("@", r.pos) and last:
                raise BibTeXError(
                    entry.field_lines[last],
                    f"entry {key!r} (line {start}) runs into the next entry on line {r.line()}: "
                    f"a brace or quote in field {last!r} is probably never closed")
            r.expect(",", f"',' or '{closer}' in entry {key!r} (a missing comma or brace?)")
            r.skip_ws()
            if r.pos < len(r.text) and r.text[r.pos] == closer:
                r.pos += 1
                break
            field_line = r.line()
            fname = r.name(f"a field name in entry {key!r}").lower()
            r.expect("=", f"'=' after field {fname!r} of entry {key!r}")
            value = r.value()
            if fname in entry.fields:
                raise BibTeXError(field_line, f"field {fname!r} appears twice in entry {key!r}")
            entry.fields[fname] = value
            entry.field_lines[fname] = field_line
            last = fname
        entries.append(entry)
    return entries


# ---------------------------------------------------------------------------------------------
# LaTeX -> text
# ---------------------------------------------------------------------------------------------

_ACCENTS = {"'": "\u0301", "`": "\u0300", "^": "\u0302", '"': "\u0308", "~": "\u0303",
            "=": "\u0304", ".": "\u0307", "u": "\u0306", "v": "\u030c", "H": "\u030b",
            "c": "\u0327", "k": "\u0328", "r": "\u030a"}
_SYMBOLS = {"ss": "ß", "o": "ø", "O": "Ø", "ae": "æ", "AE": "Æ", "oe": "œ", "OE": "Œ",
            "aa": "å", "AA": "Å", "l": "ł", "L": "Ł", "i": "ı", "j": "ȷ"}
_ACCENT_CMD = re.compile(r"\\([\'`^\"~=.uvHckr])\s*(?:\{\s*(\\?[A-Za-z])\s*\}|(\\?[A-Za-z]))")
_SYMBOL_CMD = re.compile(r"\\(ss|ae|AE|oe|OE|aa|AA|o|O|l|L|i|j)(?![A-Za-z])\s*")


def latex_to_text(value: str) -> str:
    """Plain Unicode text of a BibTeX value: accents composed, escapes and braces removed."""
    def accent(m: re.Match[str]) -> str:
        base = (m.group(2) or m.group(3)).lstrip("\\")
        base = {"i": "i", "j": "j"}.get(base, base)
        return unicodedata.normalize("NFC", base + _ACCENTS[m.group(1)])

    text = _ACCENT_CMD.sub(accent, value)
    text = _SYMBOL_CMD.sub(lambda m: _SYMBOLS[m.group(1)], text)
    text = re.sub(r"\\([&%$#_{}])", r"\1", text)
    text = text.replace("---", "\u2014").replace("--", "\u2013").replace("~", " ")
    text = re.sub(r"\\(?:textit|textbf|emph|textsc|texttt|mathrm|url)\s*", "", text)
    text = text.replace("{", "").replace("}", "")
    return re.sub(r"\s+", " ", text).strip()


def split_names(value: str) -> tuple[list[str], bool]:
    """The author names of a BibTeX name list ("Last, First and First Last and others"), as
    "First Last", and whether the list ends in "and others"."""
    names = [n.strip() for n in re.split(r"\s+and\s+", latex_to_text(value)) if n.strip()]
    et_al = bool(names) and names[-1].lower() == "others"
    if et_al:
        names = names[:-1]
    out = []
    for name in names:
        if "," in name:
            parts = [p.strip() for p in name.split(",")]
            # "von Last, Jr, First" or "Last, First"
            first = parts[-1]
            last = " ".join(p for p in parts[:-1] if p)
            name = f"{first} {last}".strip()
        out.append(name)
    return out, et_al


# ---------------------------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------------------------

_SPECIALS = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#",
             "_": r"\_", "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}",
             "^": r"\textasciicircum{}"}


def escape(text: str) -> str:
    """A text as a BibTeX value body: LaTeX specials escaped (non-ASCII letters kept: the file is
    UTF-8, as biber and bibtexparser read it)."""
    return "".join(_SPECIALS.get(c, c) for c in text)


def format_entry(kind: str, key: str, fields: list[tuple[str, str]]) -> str:
    """One entry; `fields` are (name, plain text) pairs, escaped here. Titles keep their case
    with an inner pair of braces."""
    lines = [f"@{kind}{{{key},"]
    width = max((len(n) for n, _ in fields), default=0)
    for name, value in fields:
        body = escape(value) if name != "url" else value.replace("}", "%7D").replace("{", "%7B")
        if name == "title":
            body = "{" + body + "}"
        lines.append(f"  {name.ljust(width)} = {{{body}}},")
    lines.append("}")
    return "\n".join(lines)
