"""SPARQL query text: a small lexer, enough to find a query's form, its outermost WHERE group
and its dataset clause, to normalise it for caching, to bind terms safely into it and to clamp
its slices; and rdflib's parse of a query with its known faults worked around.

The stores use it to bind parameters (`bind_terms`, `inject_values`) and the service's refusals
and cache keys use it (`query_shape`, `normalise_query`, `uses_service`, `dataset_of`): one
reading of a query's text for everyone. It knows strings, IRIs, comments, prefixed names with
escapes and variables, so that braces and "#" inside them are never mistaken for structure.
"""

from __future__ import annotations

import functools
import re
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import NamedTuple
from urllib.parse import urljoin

from rdflib import Literal, URIRef
from rdflib.namespace import XSD
from rdflib.plugins.sparql.algebra import translateQuery
from rdflib.plugins.sparql.parser import parseQuery
from rdflib.plugins.sparql.parserutils import CompValue
from rdflib.plugins.sparql.sparql import Query
from rdflib.term import Identifier, Node


def prepare_query(sparql: str, base: str | None = None) -> Query:
    """Parse and translate a query for rdflib, working around rdflib's known faults.

    `CONSTRUCT WHERE { ... }` followed by a solution modifier (LIMIT, OFFSET, ORDER BY) has no
    template in rdflib's algebra and fails (rdflib issue #1785); it is rewritten here to the long
    form `CONSTRUCT { ... } WHERE { ... }`, which means the same.

    A LIMIT or OFFSET beyond what `itertools.islice` takes (2**63 - 1) makes rdflib fail; they
    are capped, which changes no answer (no dataset has that many solutions).
    """
    parsed = parseQuery(sparql)
    query = translateQuery(parsed, base=base)
    algebra = query.algebra
    _cap_slices(algebra)
    if algebra.name == "SelectQuery" and "projection" not in parsed[1]:
        # SELECT *: rdflib collects the variables in a set; give them in the order the query
        # first mentions them, as users (and the CSV header) expect
        algebra["PV"] = sorted(algebra["PV"], key=lambda v: _first_mention(sparql, str(v)))
    if algebra.name == "ConstructQuery" and algebra["template"] is None:
        part = algebra["p"]
        while isinstance(part, CompValue) and part.name != "BGP":
            part = part["p"] if "p" in part else None
        if isinstance(part, CompValue):
            algebra["template"] = list(part["triples"])
    return query


#: the largest LIMIT and OFFSET given to rdflib (their sum must stay within sys.maxsize)
_SLICE_CAP = sys.maxsize // 2


def _cap_slices(node: object) -> None:
    """Cap the start and length of every Slice (LIMIT / OFFSET) in an algebra tree."""
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, CompValue):
            if item.name == "Slice":
                for key in ("start", "length"):
                    value = item.get(key)
                    if isinstance(value, int) and value > _SLICE_CAP:
                        item[key] = _SLICE_CAP
            stack.extend(item.values())
        elif isinstance(item, list | tuple):
            stack.extend(item)



def _first_mention(sparql: str, name: str) -> int:
    pattern = r"[?$]" + re.escape(name) + r"(?![\w\u00b7\u0300-\u036f\u203f-\u2040])"
    found = re.search(pattern, sparql)
    return found.start() if found else len(sparql)


# ---------------------------------------------------------------------------------------------
# query text: a small SPARQL lexer, enough to find a query's form, its outermost WHERE group and
# its dataset clause, to normalise it for caching, and to inject bindings. It knows strings,
# IRIs, comments, prefixed names with escapes and variables, so that braces and "#" inside them
# are never mistaken for structure.

_TOKENS = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<comment>\#[^\n\r]*)
  | (?P<string>\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"
             | '''(?:[^'\\]|\\.|'(?!''))*'''
             | "(?:[^"\\\n\r]|\\.)*"
             | '(?:[^'\\\n\r]|\\.)*')
  | (?P<iri><[^<>"{}|^`\\\x00-\x20]*>)
  | (?P<var>[?$][\w\u00b7\u0300-\u036f\u203f-\u2040]+)
  | (?P<word>(?:[\w\-.:%\u00b7\u0300-\u036f\u203f-\u2040]|\\.)+)
  | (?P<punct>[{}()])
  | (?P<other>.)
    """,
    re.VERBOSE | re.DOTALL,
)


class Token(NamedTuple):
    """One lexical token (a tuple: the lexer makes some fifty per query, on the hot path)."""

    kind: str
    text: str
    start: int
    end: int

    @property
    def keyword(self) -> str:
        return self.text.upper() if self.kind == "word" else ""


#: the longest text whose reading is remembered: a token takes some 400 bytes, so the caches
#: of tokens and screens stay within tens of MiB however many huge texts arrive
CACHED_TEXT = 8192


def tokenize(sparql: str) -> tuple[Token, ...]:
    """The query's tokens, whitespace and comments included (remembered for texts up to
    CACHED_TEXT characters: named queries and most users' queries repeat)."""
    if len(sparql) <= CACHED_TEXT:
        return _tokenize_cached(sparql)
    return _tokenize(sparql)


def _tokenize(sparql: str) -> tuple[Token, ...]:
    # tuple.__new__ skips NamedTuple's generated constructor: a fifth of the lexer's time
    new = tuple.__new__
    return tuple([new(Token, (m.lastgroup or "other", m.group(), m.start(), m.end()))
                  for m in _TOKENS.finditer(sparql)])


_tokenize_cached = functools.lru_cache(maxsize=256)(_tokenize)


def significant_tokens(sparql: str) -> list[Token]:
    return [t for t in tokenize(sparql) if t.kind not in ("ws", "comment")]


def normalise_query(sparql: str) -> str:
    """The query with comments dropped and every run of whitespace outside strings and IRIs
    made one space: two texts with the same normal form are the same query (used for ETags
    and the response cache). Nothing else changes (keyword case stays, as it may be a name)."""
    out: list[str] = []
    pending_space = False
    for t in tokenize(sparql):
        if t.kind in ("ws", "comment"):
            pending_space = True
            continue
        if pending_space and out:
            out.append(" ")
        pending_space = False
        out.append(t.text)
    return "".join(out)


@dataclass(frozen=True)
class QueryShape:
    """Where things are in a query's text (token indexes into `significant_tokens(text)`)."""

    form: str  # SELECT, CONSTRUCT, ASK, DESCRIBE
    select_star: bool
    has_dataset_clause: bool
    #: character offsets of the outermost WHERE group's braces
    where_open: int
    where_close: int
    #: for the short form CONSTRUCT WHERE { ... }: the offset of the CONSTRUCT keyword's end
    construct_short: bool
    construct_end: int
    has_limit: bool
    has_trailing_values: bool


@functools.lru_cache(maxsize=256)
def query_shape(sparql: str) -> QueryShape:
    """The form of a (syntactically valid) query and the position of its WHERE group.

    Raises:
        ValueError: the text is not a query this lexer understands.
    """
    toks = significant_tokens(sparql)
    form_at = next((i for i, t in enumerate(toks)
                    if t.keyword in ("SELECT", "CONSTRUCT", "ASK", "DESCRIBE")), None)
    if form_at is None:
        raise ValueError("not a SELECT, CONSTRUCT, ASK or DESCRIBE query")
    form = toks[form_at].keyword
    nxt = [t.text for t in toks[form_at + 1:form_at + 3]]
    select_star = form == "SELECT" and (
        nxt[:1] == ["*"] or (len(nxt) == 2 and nxt[0].upper() in ("DISTINCT", "REDUCED")
                             and nxt[1] == "*"))

    def matching(open_index: int) -> int:
        depth = 0
        for j in range(open_index, len(toks)):
            if toks[j].text == "{" and toks[j].kind == "punct":
                depth += 1
            elif toks[j].text == "}" and toks[j].kind == "punct":
                depth -= 1
                if depth == 0:
                    return j
        raise ValueError("unbalanced braces")

    i = form_at + 1
    construct_short = False
    if form == "CONSTRUCT":
        if toks[i].text == "{":
            i = matching(i) + 1  # skip the template
        else:
            construct_short = True
    parens = 0
    dataset = False
    open_index = None
    for j in range(i, len(toks)):
        t = toks[j]
        if t.kind == "punct" and t.text == "(":
            parens += 1
        elif t.kind == "punct" and t.text == ")":
            parens -= 1
        elif t.keyword == "FROM" and parens == 0:
            dataset = True
        elif t.kind == "punct" and t.text == "{" and parens == 0:
            open_index = j
            break
    if open_index is None:
        if form == "DESCRIBE":  # DESCRIBE <iri> without a WHERE clause
            end = len(sparql)
            return QueryShape(form, False, dataset, -1, end, False, 0, False, False)
        raise ValueError("the query has no WHERE group")
    close_index = matching(open_index)
    tail = [t.keyword for t in toks[close_index + 1:]]
    return QueryShape(
        form=form,
        select_star=select_star,
        has_dataset_clause=dataset,
        where_open=toks[open_index].start,
        where_close=toks[close_index].start,
        construct_short=construct_short,
        construct_end=toks[form_at].end,
        has_limit="LIMIT" in tail,
        has_trailing_values="VALUES" in tail,
    )


IRI_CHARS = re.compile(r'[^<>"{}|^`\\\x00-\x20]*')
_LANG = re.compile(r"[a-zA-Z]{1,8}(-[a-zA-Z0-9]{1,8})*")
_ESCAPES = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\b": "\\b",
            "\f": "\\f"}


def writable_iri(iri: str) -> str:
    """The IRI with every character that an IRIREF cannot hold (`<>"{}|^`\\`, controls, space)
    percent-encoded. Such an IRI can be in no store (none of them could load or write it), so
    the encoded one, which no data holds either, matches what it would have matched: nothing;
    and it cannot end its token."""
    if IRI_CHARS.fullmatch(iri):
        return iri
    return "".join(c if IRI_CHARS.fullmatch(c) else
                   "".join(f"%{b:02X}" for b in c.encode("utf-8")) for c in iri)


def term_n3(term: Node) -> str:
    """An IRI or literal in SPARQL syntax that cannot break out of its token: IRIs with their
    impossible characters percent-encoded (`writable_iri`), literals escaped, language tags
    checked.

    Raises:
        ValueError: a blank node (a query cannot name one) or a malformed language tag.
    """
    if isinstance(term, URIRef):
        return f"<{writable_iri(str(term))}>"
    if isinstance(term, Literal):
        text = "".join(_ESCAPES.get(c, c) if c in _ESCAPES or c >= " " else f"\\u{ord(c):04X}"
                       for c in str(term))
        if term.language:
            if not _LANG.fullmatch(term.language):
                raise ValueError(f"not a language tag: {term.language!r}")
            return f'"{text}"@{term.language}'
        if term.datatype is not None and term.datatype != XSD.string:
            return f'"{text}"^^{term_n3(URIRef(term.datatype))}'
        return f'"{text}"'
    raise ValueError(f"cannot bind {type(term).__name__} {term!r} in a query (IRIs and literals "
                     "only)")


_VARNAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def inject_values(sparql: str, bindings: Mapping[str, Identifier]) -> str:
    """The query with `bindings` joined to its outermost WHERE group as a VALUES block, placed
    first in that group:

        ... WHERE { VALUES (?a ?b) { (<x> "y") } <the original group's content> } ...

    At the top of the WHERE group every variable of the pattern is in scope (unlike a VALUES
    clause after GROUP BY, which sees only the projection), and the group's FILTERs and BINDs
    see the values, so the result is that of binding the variables beforehand, as rdflib's
    initBindings does, for queries that use the variables at that level (all of this project's;
    a variable used only inside a nested group's FILTER would not see it). A WHERE group that is
    itself a subquery is wrapped: `{ VALUES ... { SELECT ... } }`. The short form
    `CONSTRUCT WHERE { t }` becomes `CONSTRUCT { t } WHERE { VALUES ... t }`.

    Raises:
        ValueError: a variable name or term that cannot be written safely (see `term_n3`).
    """
    if not bindings:
        return sparql
    names = sorted(bindings)
    for name in names:
        if not _VARNAME.fullmatch(name):
            raise ValueError(f"not a variable name: {name!r}")
    row = " ".join(term_n3(bindings[n]) for n in names)  # type: ignore[arg-type]
    values = f"VALUES ({' '.join('?' + n for n in names)}) {{ ({row}) }}"
    shape = query_shape(sparql)
    if shape.where_open < 0:
        return sparql
    start, end = shape.where_open, shape.where_close
    inner = sparql[start + 1:end]
    first = next((t for t in significant_tokens(inner)), None)
    if first is not None and first.keyword == "SELECT":
        # the group is a subquery, which cannot follow VALUES in the same group: wrap it
        injected = f"{{ {values} {{{inner}}} }}"
    else:
        # first in the group itself, so that its FILTERs and BINDs see the values too
        injected = f"{{ {values}{inner}}}"
    if shape.construct_short:
        head = sparql[:shape.construct_end]
        middle = sparql[shape.construct_end:start]
        return f"{head} {{{inner}}} {middle}{injected}{sparql[end + 1:]}"
    return sparql[:start] + injected + sparql[end + 1:]


def strip_dataset_clause(sparql: str) -> str:
    """The query without its FROM / FROM NAMED clauses, for an engine that would let them win
    over the protocol's default-graph-uri / named-graph-uri (Virtuoso), which must replace them
    (SPARQL 1.1 Protocol 2.1.4)."""
    shape = query_shape(sparql)
    if not shape.has_dataset_clause:
        return sparql
    toks = significant_tokens(sparql)
    cuts: list[tuple[int, int]] = []
    i = 0
    while i < len(toks) and toks[i].start < shape.where_open:
        if toks[i].keyword == "FROM":
            j = i + 1
            if j < len(toks) and toks[j].keyword == "NAMED":
                j += 1
            if j < len(toks):
                cuts.append((toks[i].start, toks[j].end))
            i = j + 1
            continue
        i += 1
    out = sparql
    for start, end in reversed(cuts):
        out = out[:start] + " " + out[end:]
    return out


def prepared_text(sparql: str, bindings: Mapping[str, Identifier] | None = None,
                  max_slice: int | None = None) -> str:
    """`bind_terms` then `clamp_slices`, remembered (for texts up to CACHED_TEXT characters): a
    store sees the same query with the same parameters again and again (named queries), and
    the two cost tens of microseconds."""
    key = tuple(sorted((bindings or {}).items()))
    if len(sparql) <= CACHED_TEXT:
        return _prepared_text(sparql, key, max_slice)
    return _prepared_text.__wrapped__(sparql, key, max_slice)


@functools.lru_cache(maxsize=1024)
def _prepared_text(sparql: str, bindings: tuple[tuple[str, Identifier], ...],
                   max_slice: int | None) -> str:
    text = bind_terms(sparql, dict(bindings))
    return clamp_slices(text) if max_slice is None else clamp_slices(text, max_slice)


def bind_terms(sparql: str, bindings: Mapping[str, Identifier]) -> str:
    """The query with each bound variable replaced by its term, written after validation
    (`term_n3`): the substitution of RDF-dev SEP-0007 and, in effect, rdflib's initBindings,
    which bind a variable everywhere in the query (also inside UNION branches, OPTIONALs and
    FILTER NOT EXISTS, where a joined VALUES block would not reach).

    A bound variable in a SELECT projection becomes `(<term> AS ?var)`, so the answer keeps its
    column; the target of `AS` and the variables a VALUES block declares stay as they are. A
    `SELECT *` query gets a VALUES block instead (`inject_values`): substituting its variables
    would drop them from its columns.

    Raises:
        ValueError: a name or term that cannot be written safely.
    """
    if not bindings:
        return sparql
    for name in bindings:
        if not _VARNAME.fullmatch(name):
            raise ValueError(f"not a variable name: {name!r}")
    if query_shape(sparql).select_star:
        return inject_values(sparql, bindings)
    terms = {name: term_n3(term) for name, term in bindings.items()}  # type: ignore[arg-type]
    toks = significant_tokens(sparql)
    edits: list[tuple[int, int, str]] = []
    parens = 0
    projection_at: int | None = None  # paren depth of the SELECT being read, while in it
    in_values_head = False
    previous = ""
    for t in toks:
        if t.kind == "punct" and t.text == "(":
            parens += 1
        elif t.kind == "punct" and t.text == ")":
            parens -= 1
        elif t.keyword == "SELECT":
            projection_at = parens
        elif t.keyword == "VALUES":
            in_values_head = True
        elif t.kind == "punct" and t.text == "{":
            in_values_head = False
            if projection_at is not None and parens == projection_at:
                projection_at = None
        elif t.keyword in ("WHERE", "FROM") and projection_at == parens:
            projection_at = None
        elif t.kind == "var" and t.text[1:] in terms and previous != "AS" and not in_values_head:
            term = terms[t.text[1:]]
            bare = projection_at is not None and parens == projection_at
            edits.append((t.start, t.end, f"({term} AS {t.text})" if bare else term))
        previous = t.keyword
    out = sparql
    for start, end, text in reversed(edits):
        out = out[:start] + text + out[end:]
    return out


#: the largest LIMIT / OFFSET the engines read (Oxigraph: an unsigned 64-bit integer); a larger
#: one means the same, as no dataset has that many solutions
MAX_SLICE = 2**63 - 1


def clamp_slices(sparql: str, maximum: int = MAX_SLICE) -> str:
    """The query with any LIMIT or OFFSET larger than `maximum` written as `maximum` (rdflib
    reads any size; Oxigraph refuses more than 2^64 - 1 as a syntax error, Virtuoso more than
    about 10^12)."""
    toks = significant_tokens(sparql)
    edits = []
    for before, t in zip(toks, toks[1:], strict=False):
        if before.keyword in ("LIMIT", "OFFSET") and t.text.isdigit() and int(t.text) > maximum:
            edits.append((t.start, t.end))
    for start, end in reversed(edits):
        sparql = sparql[:start] + str(maximum) + sparql[end:]
    return sparql


def limit_rows(sparql: str, limit: int) -> str:
    """A SELECT without LIMIT gets `LIMIT limit` (so a remote engine never sends more rows than
    the service would keep); anything else is returned as it is."""
    try:
        shape = query_shape(sparql)
    except ValueError:
        return sparql
    if shape.form != "SELECT" or shape.has_limit or shape.has_trailing_values:
        return sparql
    return f"{sparql.rstrip()}\nLIMIT {int(limit)}"


def _top_limit_value(sparql: str) -> Token | None:
    """The number token of the query's own LIMIT (after its outermost WHERE group, not a
    subquery's), or None without one.

    Raises:
        ValueError: a text this lexer does not read.
    """
    shape = query_shape(sparql)
    toks = [t for t in significant_tokens(sparql) if t.start > shape.where_close]
    for before, t in zip(toks, toks[1:], strict=False):
        if before.keyword == "LIMIT" and t.text.isdigit():
            return t
    return None


def top_limit(sparql: str) -> int | None:
    """The LIMIT of the query's own solutions (the clause after its outermost WHERE group, not
    a subquery's), or None without one or for a text this lexer does not read."""
    try:
        t = _top_limit_value(sparql)
    except ValueError:
        return None
    return int(t.text) if t is not None else None


def with_limit(sparql: str, limit: int) -> str | None:
    """The query with its own solutions limited to `limit`: its LIMIT (after the outermost
    WHERE group, not a subquery's) replaced, or one added; None where no LIMIT can be written
    (a trailing VALUES block) or for a text this lexer does not read."""
    try:
        t = _top_limit_value(sparql)
    except ValueError:
        return None
    if t is not None:
        return sparql[:t.start] + str(int(limit)) + sparql[t.end:]
    limited = limit_rows(sparql, limit)
    return None if limited == sparql else limited


def project_star(sparql: str, names: Sequence[str]) -> str:
    """`SELECT *` (or `SELECT DISTINCT *`) written with its variables in the order the query
    first mentions them (`ordered_vars`), as users read a table; other queries unchanged."""
    order = ordered_vars(sparql, names)
    if order == list(names) or not order:
        return sparql
    toks = significant_tokens(sparql)
    at = next((i for i, t in enumerate(toks) if t.keyword == "SELECT"), None)
    if at is None:
        return sparql
    star = toks[at + 1]
    if star.keyword in ("DISTINCT", "REDUCED") and at + 2 < len(toks):
        star = toks[at + 2]
    if star.text != "*":
        return sparql
    return sparql[:star.start] + " ".join("?" + n for n in order) + sparql[star.end:]


def ordered_vars(sparql: str, names: Sequence[str]) -> list[str]:
    """The result variables in the order the query gives them: for SELECT * the order of first
    mention (as MemoryStore gives them), else the projection's order that the engine reported."""
    try:
        star = query_shape(sparql).select_star
    except ValueError:
        star = False
    if not star:
        return list(names)
    return sorted(names, key=lambda n: _first_mention(sparql, n))


# ---------------------------------------------------------------------------------------------
# the screen: what a public read-only endpoint refuses, read off the tokens in microseconds

#: keywords of SPARQL Update; none of them is a word of the query language, so a query text in
#: which one stands as a bare word is an update (or no SPARQL at all)
UPDATE_KEYWORDS = frozenset(
    {"INSERT", "DELETE", "LOAD", "CLEAR", "DROP", "CREATE", "ADD", "MOVE", "COPY", "WITH"})
FORMS = ("SELECT", "CONSTRUCT", "ASK", "DESCRIBE")
_CODEPOINT = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")
_BARE = re.compile(r"[A-Za-z]+")
_PNAME = re.compile(r"([A-Za-z][\w\-.\u00b7]*)?:(.*)", re.DOTALL)
_LOCAL_ESCAPE = re.compile(r"\\([_~.\-!$&'()*+,;=/?#@%])")
_SCHEME = re.compile(r"[A-Za-z][\w+.\-]*:")
_OPEN = frozenset("({[")
_CLOSE = frozenset(")}]")


@dataclass(frozen=True)
class Screen:
    """What the tokens of a query text say before any engine parses it: its form, whether it is
    an update, the target of a SERVICE it uses, and the graphs of its FROM / FROM NAMED."""

    form: str | None
    update: str | None = None
    service: str | None = None
    from_graphs: tuple[str, ...] = ()
    from_named_graphs: tuple[str, ...] = ()
    #: where the form keyword (or else the first token) stands: 1-based line and column
    line: int = 1
    column: int = 1
    #: the deepest nesting of brackets ({, ( and [ together) and where it is first reached
    depth: int = 0
    depth_line: int = 1
    depth_column: int = 1


def unescape_codepoints(sparql: str) -> str:
    """The text with its \\uXXXX and \\UXXXXXXXX escapes replaced by the characters they stand
    for, as SPARQL 1.1 (section 19.2) processes them before the grammar: a keyword written with
    escapes is still that keyword."""
    if "\\u" not in sparql and "\\U" not in sparql:
        return sparql
    return _CODEPOINT.sub(lambda m: chr(int(m.group(1) or m.group(2), 16)), sparql)


def screen(sparql: str, base: str | None = None,
           default_prefixes: tuple[tuple[str, str], ...] = ()) -> Screen:
    """Read a query's form and what an endpoint must refuse from its tokens alone.

    The lexer knows strings, IRIs, comments, variables, prefixed names and language tags, so a
    keyword inside any of them is never taken for one; codepoint escapes are decoded first
    (`unescape_codepoints`). An update keyword or SERVICE standing as a bare word anywhere is
    reported, whatever the rest of the text: a text the engine would refuse to parse may be
    screened out first, which only ever refuses more. FROM and FROM NAMED IRIs are resolved
    with the query's PREFIX and BASE declarations, then `default_prefixes`, then `base`.
    Syntax is left to the engine that evaluates the query. Remembered for texts up to
    CACHED_TEXT characters.
    """
    if len(sparql) <= CACHED_TEXT:
        return _screen_cached(sparql, base, default_prefixes)
    return _screen(sparql, base, default_prefixes)


def _screen(sparql: str, base: str | None,
            default_prefixes: tuple[tuple[str, str], ...]) -> Screen:
    text = unescape_codepoints(sparql)
    toks = significant_tokens(text)
    prefixes = dict(default_prefixes)
    declared_base = base
    form: Token | None = None
    update = service = None
    default: list[str] = []
    named: list[str] = []
    depth = deepest = deepest_at = 0
    i = 0
    while i < len(toks):
        tok = toks[i]
        if tok.kind in ("punct", "other"):
            if tok.text in _OPEN:
                depth += 1
                if depth > deepest:
                    deepest, deepest_at = depth, tok.start
            elif tok.text in _CLOSE:
                depth -= 1
        word = tok.text.upper() if tok.kind == "word" and _BARE.fullmatch(tok.text) else ""
        langtag = i > 0 and toks[i - 1].text == "@" and toks[i - 1].end == tok.start
        if not word or langtag:
            i += 1
            continue
        if word == "PREFIX" and i + 2 < len(toks) and toks[i + 2].kind == "iri":
            name = toks[i + 1].text
            if name.endswith(":"):
                prefixes[name[:-1]] = _resolve(toks[i + 2].text[1:-1], declared_base)
            i += 3
            continue
        if word == "BASE" and i + 1 < len(toks) and toks[i + 1].kind == "iri":
            declared_base = _resolve(toks[i + 1].text[1:-1], declared_base)
            i += 2
            continue
        if word in UPDATE_KEYWORDS and update is None:
            update = word
        elif word == "SERVICE" and service is None:
            target = toks[i + 1:i + 3]
            if target and target[0].text.upper() == "SILENT":
                target = target[1:]
            service = target[0].text if target else ""
        elif word in FORMS and form is None:
            form = tok
        elif word == "FROM":
            j = i + 1
            into = default
            if j < len(toks) and toks[j].text.upper() == "NAMED":
                into, j = named, j + 1
            if j < len(toks):
                iri = _graph_iri(toks[j], prefixes, declared_base)
                if iri is not None:
                    into.append(iri)
        i += 1
    where = form or (toks[0] if toks else None)
    line, column = _position(text, where.start if where else 0)
    depth_line, depth_column = _position(text, deepest_at)
    return Screen(form.text.upper() if form else None, update, service, tuple(default),
                  tuple(named), line, column, deepest, depth_line, depth_column)


_screen_cached = functools.lru_cache(maxsize=2048)(_screen)


def _resolve(iri: str, base: str | None) -> str:
    return urljoin(base, iri) if base and not _SCHEME.match(iri) else iri


def _graph_iri(tok: Token, prefixes: Mapping[str, str], base: str | None) -> str | None:
    """The IRI a FROM clause names: an IRI reference or a prefixed name."""
    if tok.kind == "iri":
        return _resolve(tok.text[1:-1], base)
    m = _PNAME.fullmatch(tok.text) if tok.kind == "word" else None
    if m is not None and (m.group(1) or "") in prefixes:
        return prefixes[m.group(1) or ""] + _LOCAL_ESCAPE.sub(r"\1", m.group(2))
    return None


def _position(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def uses_service(sparql: str) -> bool:
    """True when the query uses SERVICE anywhere (the screen's reading: the same as the
    service's refusal, repeated where an engine would follow it)."""
    return screen(sparql).service is not None


def dataset_of(sparql: str, base: str | None = None) -> tuple[list[str], list[str]]:
    """The IRIs of the query's FROM and FROM NAMED clauses."""
    found = screen(sparql, base)
    return list(found.from_graphs), list(found.from_named_graphs)
