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


@dataclass(frozen=True)
class Token:
    kind: str
    text: str
    start: int
    end: int

    @property
    def keyword(self) -> str:
        return self.text.upper() if self.kind == "word" else ""


@functools.lru_cache(maxsize=256)
def tokenize(sparql: str) -> tuple[Token, ...]:
    """The query's tokens, whitespace and comments included (cached: named queries repeat)."""
    tokens = []
    for m in _TOKENS.finditer(sparql):
        kind = m.lastgroup or "other"
        tokens.append(Token(kind, m.group(), m.start(), m.end()))
    return tuple(tokens)


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
    """`bind_terms` then `clamp_slices`, remembered: a store sees the same query with the same
    parameters again and again (named queries), and the two cost tens of microseconds."""
    return _prepared_text(sparql, tuple(sorted((bindings or {}).items())), max_slice)


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


@functools.lru_cache(maxsize=512)
def uses_service(sparql: str) -> bool:
    """True when the query has a SERVICE pattern anywhere (parsed with rdflib's grammar: the same
    check as the service's refusal, repeated where an engine would follow it)."""
    from rdflib.plugins.sparql.parserutils import CompValue as _CV

    def walk(node: object) -> bool:
        if isinstance(node, _CV):
            if node.name == "ServiceGraphPattern":
                return True
            return any(walk(v) for v in node.values())
        if isinstance(node, (list, tuple)) or type(node).__name__ == "ParseResults":
            return any(walk(v) for v in node)  # type: ignore[attr-defined]
        return False

    try:
        return walk(parseQuery(sparql))
    except Exception:
        # the engine's own parser decides; a text rdflib cannot read never passed the service's
        # checks, so treat it as federated and refuse it
        return True


def dataset_of(sparql: str, base: str | None = None) -> tuple[list[str], list[str]]:
    """The IRIs of the query's FROM and FROM NAMED clauses."""
    query = prepare_query(sparql, base)
    clause = query.algebra.get("datasetClause") or []
    return ([str(d["default"]) for d in clause if "default" in d],
            [str(d["named"]) for d in clause if "named" in d])
