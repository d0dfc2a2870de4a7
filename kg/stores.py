"""One small store interface over the built dataset, with three implementations:

- `MemoryStore`: rdflib in memory, for small graphs and tests;
- `OxigraphStore`: pyoxigraph, embedded and persistent in a directory, bulk-loaded from dist/ once
  per build (content hash) and reopened read-only without reloading;
- `RemoteStore`: any SPARQL 1.1 endpoint (Virtuoso, Fuseki, GraphDB, Neptune) through
  SPARQLWrapper, holding a build that `ai45kg push` (kg.push) loaded into it.

A store answers SPARQL queries with a `QueryResult` of rdflib terms, the same on every store; it
never reasons or validates. Query parameters (`bindings`) are bound by rdflib's `initBindings` in
memory; for Oxigraph and remote endpoints each bound variable is replaced in the query's text by
its term, written in SPARQL syntax after validation (`bind_terms`: SEP-0007's substitution, which
is what initBindings does), or, for `SELECT *`, joined as a VALUES block at the top of the
outermost WHERE group (`inject_values`), where every variable of the pattern is in scope, also
with GROUP BY. pyoxigraph's own `substitutions` argument is not used: it accepts only variables
that the query projects.

The checks and limits of a public endpoint (updates, SERVICE, time, rows, memory) are not here:
they are `service.backend.Backend.run`'s, applied before any store sees a query.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import gc
import itertools
import json
import os
import re
import shutil
import sys
import time
import warnings
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from typing import Literal as TypingLiteral

import rdflib.plugins.sparql
from rdflib import BNode, Dataset, Graph, Literal, URIRef, Variable
from rdflib.namespace import RDF, RDFS, SKOS, XSD
from rdflib.plugins.sparql.algebra import translateQuery
from rdflib.plugins.sparql.evaluate import evalQuery
from rdflib.plugins.sparql.parser import parseQuery
from rdflib.plugins.sparql.parserutils import CompValue
from rdflib.plugins.sparql.sparql import Query
from rdflib.term import Identifier, Node

from .load import bind_prefixes
from .terms import FromOxMemo, from_ox, to_ox

QueryType = TypingLiteral["SELECT", "ASK", "CONSTRUCT", "DESCRIBE"]

#: file names of the build in dist/
DATASET_TRIG = "ai45kg.trig"
DATASET_NQUADS = "ai45kg.nq"
MANIFEST = "manifest.json"
#: the store kinds `open_store` knows (the STORE setting, `--store`)
STORE_KINDS = ("memory", "oxigraph", "remote")


class StoreError(Exception):
    """A store cannot serve: it does not open, or holds another build than dist/ (the message
    says what to do)."""


@dataclass
class QueryResult:
    """The answer to one query, whatever store produced it."""

    type: QueryType
    vars: list[str] = field(default_factory=list)
    rows: list[tuple[Node | None, ...]] = field(default_factory=list)
    boolean: bool | None = None
    graph: Graph | None = None
    #: the store stopped at `max_rows` rows (or triples) and there were more
    truncated: bool = False


class Store(ABC):
    """What the service needs from a store."""

    name: str = "abstract"

    @abstractmethod
    def query(
        self,
        sparql: str,
        *,
        bindings: Mapping[str, Identifier] | None = None,
        default_graph_uris: Sequence[str] | None = None,
        named_graph_uris: Sequence[str] | None = None,
        base: str | None = None,
        max_rows: int | None = None,
    ) -> QueryResult:
        """Evaluate a read-only query (already checked by the caller) and return its result.

        `default_graph_uris` / `named_graph_uris`, when either is given, replace the query's own
        FROM / FROM NAMED (SPARQL 1.1 Protocol); they name graphs of the dataset. A store may
        stop after `max_rows` rows (or triples) and then sets `truncated`.
        """

    @abstractmethod
    def graph_names(self) -> list[URIRef]:
        """The IRIs of the dataset's named graphs."""

    @abstractmethod
    def content_hash(self) -> str:
        """A digest of the dataset's content; changes whenever the data changes."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release resources."""

    #: True when the store's engine could reach the network by itself (SERVICE): the worker
    #: process then either cuts the process off the network or the store refuses SERVICE again
    federates: bool = False
    #: set by the query worker when the process cannot open a connection at all
    network_isolated: bool = False


def read_manifest(dist: Path) -> dict:
    """The build manifest written by `kg.build` (content hash, counts, sources digest)."""
    return json.loads((dist / MANIFEST).read_text(encoding="utf-8"))


def load_built_dataset(dist: Path) -> Dataset:
    """Parse the built TriG into a Dataset whose default graph is the union of its named graphs."""
    ds = Dataset(default_union=True)
    bind_prefixes(ds)
    ds.parse(dist / DATASET_TRIG, format="trig")
    return ds


def harden_rdflib() -> None:
    """Make rdflib's SPARQL engine safe for untrusted queries in this process: never fetch
    FROM / FROM NAMED IRIs from the web, and keep the default graph the union of the named
    graphs that the queried Dataset decides (`Dataset(default_union=...)`)."""
    rdflib.plugins.sparql.SPARQL_LOAD_GRAPHS = False
    rdflib.plugins.sparql.SPARQL_DEFAULT_GRAPH_UNION = True


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


def _grouped(query: Query) -> bool:
    """True when the query's top level has an explicit GROUP BY."""
    part = query.algebra
    while isinstance(part, CompValue):
        if part.name == "Group":
            return part.get("expr") is not None
        if part.name in ("AggregateJoin", "Project", "Extend", "Filter", "ToMultiSet",
                         "OrderBy", "Slice", "Distinct", "Reduced", "SelectQuery"):
            part = part.get("p")
            continue
        return False
    return False


def _first_mention(sparql: str, name: str) -> int:
    pattern = r"[?$]" + re.escape(name) + r"(?![\w\u00b7\u0300-\u036f\u203f-\u2040])"
    found = re.search(pattern, sparql)
    return found.start() if found else len(sparql)


class MemoryStore(Store):
    """The built dataset held in memory by rdflib: the embedded default for small graphs.

    Its default graph is the union of the named graphs. When a request selects graphs (FROM,
    FROM NAMED, or the protocol's default-graph-uri / named-graph-uri) the query runs against a
    view holding copies of just those graphs; the last few views are kept, since the same
    selections tend to come back.
    """

    name = "memory"
    VIEW_CACHE = 8

    def __init__(self, dist: Path) -> None:
        harden_rdflib()
        self.dist = dist
        self.dataset = load_built_dataset(dist)
        self._hash = read_manifest(dist)["content_hash"]
        self._views: dict[tuple[tuple[str, ...], tuple[str, ...]], Dataset] = {}

    def query(
        self,
        sparql: str,
        *,
        bindings: Mapping[str, Identifier] | None = None,
        default_graph_uris: Sequence[str] | None = None,
        named_graph_uris: Sequence[str] | None = None,
        base: str | None = None,
        max_rows: int | None = None,
    ) -> QueryResult:
        query = prepare_query(sparql, base)
        if default_graph_uris is not None or named_graph_uris is not None:
            target = self.view(default_graph_uris or [], named_graph_uris or [])
        elif "datasetClause" in query.algebra and query.algebra["datasetClause"]:
            clause = query.algebra["datasetClause"]
            target = self.view(
                [str(d["default"]) for d in clause if "default" in d],
                [str(d["named"]) for d in clause if "named" in d],
            )
        else:
            target = self.dataset
        # the dataset is chosen above; rdflib must neither copy nor fetch FROM graphs itself
        query.algebra["datasetClause"] = None
        init = {str(k): v for k, v in (bindings or {}).items()}
        with warnings.catch_warnings():
            # rdflib's evaluator calls its own deprecated Dataset API (contexts()); not ours
            warnings.filterwarnings("ignore", category=DeprecationWarning, module="rdflib")
            return self._evaluate(query, target, init, max_rows)

    def _evaluate(
        self, query: Query, target: Dataset, init: dict[str, Identifier],
        max_rows: int | None,
    ) -> QueryResult:
        answer = evalQuery(target, query, init)
        kind = query.algebra.name.removesuffix("Query").upper()
        if kind == "SELECT":
            names = [str(v) for v in query.algebra["PV"]]
            rows: list[tuple[Node | None, ...]] = []
            truncated = False
            for solution in answer["bindings"]:
                if max_rows is not None and len(rows) >= max_rows:
                    truncated = True
                    break
                rows.append(tuple(solution.get(Variable(n)) for n in names))
            if len(rows) == 1 and all(t is None for t in rows[0]) and _grouped(query):
                # rdflib makes one empty group of no solutions even with GROUP BY, where
                # SPARQL 1.1 (18.5) has no group and so no row (its own Result hides it too)
                rows = []
            return QueryResult("SELECT", vars=names, rows=rows, truncated=truncated)
        if kind == "ASK":
            return QueryResult("ASK", boolean=bool(answer["askAnswer"]))
        source: Graph = answer["graph"]
        if kind == "DESCRIBE":
            source = self._with_labels(source, target)
        graph = Graph()
        bind_prefixes(graph)
        truncated = False
        for triple in source:
            if max_rows is not None and len(graph) >= max_rows:
                truncated = True
                break
            graph.add(triple)
        return QueryResult(kind, graph=graph, truncated=truncated)  # type: ignore[arg-type]

    def view(self, default: Sequence[str], named: Sequence[str]) -> Dataset:
        """A Dataset whose default graph merges `default` and whose named graphs are `named`."""
        key = (tuple(sorted(set(default))), tuple(sorted(set(named))))
        if key in self._views:
            return self._views[key]
        view = Dataset(default_union=False)
        bind_prefixes(view)
        default_graph = view.default_context
        for iri in key[0]:
            default_graph += self.dataset.graph(URIRef(iri))
        for iri in key[1]:
            named_graph = view.graph(URIRef(iri))
            named_graph += self.dataset.graph(URIRef(iri))
        if len(self._views) >= self.VIEW_CACHE:
            self._views.pop(next(iter(self._views)))
        self._views[key] = view
        return view

    @staticmethod
    def _with_labels(description: Graph, source: Graph) -> Graph:
        """A concise bounded description plus the labels of the resources it links to, so that
        a client can show every IRI by name."""
        linked = {o for o in description.objects() if isinstance(o, URIRef)}
        for node in linked:
            for prop in (RDFS.label, SKOS.prefLabel):
                for label in source.objects(node, prop):
                    description.add((node, prop, label))
        return description

    def graph_names(self) -> list[URIRef]:
        return sorted(
            g.identifier for g in self.dataset.graphs() if isinstance(g.identifier, URIRef)
            and str(g.identifier) != "urn:x-rdflib:default"
        )

    def content_hash(self) -> str:
        return self._hash


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


def _significant(sparql: str) -> list[Token]:
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
    """Where things are in a query's text (token indexes into `_significant(text)`)."""

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
    toks = _significant(sparql)
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


_IRI_CHARS = re.compile(r'[^<>"{}|^`\\\x00-\x20]*')
_LANG = re.compile(r"[a-zA-Z]{1,8}(-[a-zA-Z0-9]{1,8})*")
_ESCAPES = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\b": "\\b",
            "\f": "\\f"}


def writable_iri(iri: str) -> str:
    """The IRI with every character that an IRIREF cannot hold (`<>"{}|^`\\`, controls, space)
    percent-encoded. Such an IRI can be in no store (none of them could load or write it), so
    the encoded one, which no data holds either, matches what it would have matched: nothing;
    and it cannot end its token."""
    if _IRI_CHARS.fullmatch(iri):
        return iri
    return "".join(c if _IRI_CHARS.fullmatch(c) else
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
    first = next((t for t in _significant(inner)), None)
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
    toks = _significant(sparql)
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


@functools.lru_cache(maxsize=1024)
def prepared_text(sparql: str, bindings: tuple[tuple[str, Identifier], ...],
                  max_slice: int | None = None) -> str:
    """`bind_terms` then `clamp_slices`, remembered: a store sees the same query with the same
    parameters again and again (named queries), and the two cost tens of microseconds."""
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
    toks = _significant(sparql)
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
    toks = _significant(sparql)
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


# ---------------------------------------------------------------------------------------------
# DESCRIBE: the same description on every store


_PN_LOCAL_ESC = re.compile(r"\\([_~.\-!$&'()*+,;=/?#@%])")


def describe_targets(sparql: str, base: str | None) -> tuple[list[URIRef], str | None]:
    """What a DESCRIBE query describes: its IRIs, and a SELECT query (or None) whose solutions
    name the described variables' values."""
    query = prepare_query(sparql, base)
    terms = list(query.algebra["PV"])
    # rdflib keeps the backslash of an escaped local name (ai45r:level\/autonomy) in the IRI
    iris = [URIRef(_PN_LOCAL_ESC.sub(r"\1", str(t))) for t in terms if isinstance(t, URIRef)]
    variables = [str(t) for t in terms if isinstance(t, Variable)]
    shape = query_shape(sparql)
    if shape.where_open < 0 or (not variables and not _describes_star(sparql)):
        return iris, None
    toks = _significant(sparql)
    head_start = next(t.start for t in toks if t.keyword == "DESCRIBE")
    head_end = next(t for t in toks if t.start >= head_start and (
        t.keyword in ("WHERE", "FROM") or (t.kind == "punct" and t.text == "{"))).start
    projection = "*" if _describes_star(sparql) else " ".join("?" + v for v in variables)
    select = (sparql[:head_start] + f"SELECT DISTINCT {projection} " + sparql[head_end:])
    return iris, select


def _describes_star(sparql: str) -> bool:
    toks = _significant(sparql)
    at = next(i for i, t in enumerate(toks) if t.keyword == "DESCRIBE")
    return at + 1 < len(toks) and toks[at + 1].text == "*"


def concise_bounded_description(
    resources: Sequence[URIRef],
    objects_of: Callable[[Sequence[Node]], list[tuple[Node, Node, Node]]],
    reifications_of: Callable[[list[tuple[Node, Node, Node]]], list[Node]],
) -> Graph:
    """The concise bounded description (W3C member submission, as rdflib's `Graph.cbd`): every
    statement about each resource, recursively those about blank-node objects, and the
    reifications of all of them with their own descriptions.

    `objects_of(subjects)` gives the statements whose subject is one of `subjects`; blank nodes
    it returns must be expandable by passing them back (a store that cannot must expand them
    itself and return their statements with the first call)."""
    graph = Graph()
    bind_prefixes(graph)
    todo: list[Node] = list(dict.fromkeys(resources))
    seen: set[Node] = set()
    while todo:
        batch = [n for n in todo if n not in seen]
        todo = []
        if not batch:
            break
        seen.update(batch)
        found = [t for t in objects_of(batch) if t not in graph]
        for triple in found:
            graph.add(triple)  # type: ignore[arg-type]
            if isinstance(triple[2], BNode) and triple[2] not in seen:
                todo.append(triple[2])
        todo.extend(r for r in reifications_of(found) if r not in seen)
    return graph


def add_labels(description: Graph, labels_of: Callable[[list[URIRef]], list[tuple]]) -> Graph:
    """The labels (rdfs:label, skos:prefLabel) of the IRIs a description links to, so that a
    client can show every IRI by name (what MemoryStore._with_labels adds)."""
    linked = sorted({o for o in description.objects() if isinstance(o, URIRef)})
    for s, p, o in labels_of(linked):
        description.add((s, p, o))
    return description


# ---------------------------------------------------------------------------------------------
# Oxigraph: embedded and persistent

#: the file in a store directory that records which build it holds
STORE_MARKER = "ai45kg-store.json"
#: the statements whose literal Oxigraph stores under another datatype (see DERIVED_INTEGERS)
STORE_LITERALS = "literals.nq"
XSD_NS = "http://www.w3.org/2001/XMLSchema#"
#: XSD integer types that Oxigraph stores as xsd:integer (oxigraph/oxigraph#526): the value is
#: kept, the datatype is not; graph answers get it back from STORE_LITERALS
DERIVED_INTEGERS = frozenset(XSD_NS + t for t in (
    "int", "long", "short", "byte", "nonNegativeInteger", "positiveInteger",
    "nonPositiveInteger", "negativeInteger", "unsignedLong", "unsignedInt", "unsignedShort",
    "unsignedByte"))
#: quads per call of Oxigraph's bulk loader, which holds all of a call's quads in memory (with
#: the union default graph, a million-triple build in one call peaks near 2 GiB)
LOAD_BATCH = 250_000
#: store directories kept beside the current one (the previous build, for a quick rollback)
KEEP_STORES = 2
#: the layout of a store directory; a store of another format is loaded again (3: the default
#: graph holds the union of the named graphs)
STORE_FORMAT = 3


def default_store_root(dist: Path) -> Path:
    """Where Oxigraph stores live by default: `.oxigraph/` beside the dist link (never inside
    the `.dist.builds` directory, whose old builds the build prunes)."""
    link = Path(os.path.abspath(dist))
    parent = link.parent
    if parent.name.startswith(".") and parent.name.endswith(".builds"):
        parent = parent.parent  # given a build directory itself, not the link to it
    return parent / ".oxigraph"


def oxigraph_path(dist: Path, store_path: str | Path | None = None) -> Path:
    """The store directory for the build in `dist`: `<STORE_PATH>/<content hash>`, with
    STORE_PATH defaulting to `default_store_root(dist)`."""
    root = Path(store_path) if store_path else default_store_root(dist)
    return root / read_manifest(Path(dist).resolve())["content_hash"]


def _marker(path: Path) -> dict | None:
    try:
        return json.loads((path / STORE_MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


@contextlib.contextmanager
def _locked(root: Path) -> Iterator[None]:
    root.mkdir(parents=True, exist_ok=True)
    with (root / ".lock").open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def prepare_oxigraph(dist: Path, path: Path) -> dict:
    """Make `path` hold the build in `dist`, loading it with Oxigraph's bulk loader unless the
    store there already records the same content hash; return the store's marker.

    Safe against concurrent callers (an exclusive lock, a load into a temporary directory that
    is renamed into place when complete): a reader never sees a half-loaded store.

    Raises:
        StoreError: the build cannot be loaded.
    """
    import pyoxigraph as ox

    dist = Path(dist).resolve()
    manifest = read_manifest(dist)
    wanted = manifest["content_hash"]
    def current(marker: dict | None) -> bool:
        return bool(marker) and marker.get("content_hash") == wanted and (  # type: ignore[union-attr]
            marker.get("format") == STORE_FORMAT)  # type: ignore[union-attr]

    marker = _marker(path)
    if current(marker):
        return marker  # type: ignore[return-value]
    with _locked(path.parent):
        marker = _marker(path)
        if current(marker):
            return marker  # type: ignore[return-value]
        if path.exists():
            shutil.rmtree(path)
        staging = path.with_name(f".{path.name}.loading-{os.getpid()}")
        shutil.rmtree(staging, ignore_errors=True)
        started = time.perf_counter()
        try:
            store = ox.Store(str(staging))
            quads_in = _with_union(dist / DATASET_NQUADS)
            while True:  # in batches: the bulk loader holds a whole call's quads in memory
                batch = list(itertools.islice(quads_in, LOAD_BATCH))
                if not batch:
                    break
                store.bulk_extend(batch)
            store.flush()
            literals = _keep_literals(dist / DATASET_NQUADS, staging / STORE_LITERALS)
            graphs = sorted(g.value for g in store.named_graphs()
                            if isinstance(g, ox.NamedNode))
            quads = sum(manifest.get("triples", {}).values()) or len(store)
            del store
            gc.collect()
            marker = {
                "format": STORE_FORMAT,
                "content_hash": wanted,
                "quads": quads,
                "graphs": graphs,
                "source": str(dist / DATASET_NQUADS),
                "load_seconds": round(time.perf_counter() - started, 3),
                "literals": literals,
                "pyoxigraph": getattr(ox, "__version__", ""),
            }
            (staging / STORE_MARKER).write_text(json.dumps(marker, indent=2) + "\n")
            os.rename(staging, path)
        except BaseException as exc:
            shutil.rmtree(staging, ignore_errors=True)
            if isinstance(exc, (OSError, SyntaxError, ValueError)):
                raise StoreError(f"cannot load {dist / DATASET_NQUADS} into Oxigraph at {path}: "
                                 f"{exc}") from exc
            raise
        _prune_stores(path)
        return marker


def _with_union(nquads: Path) -> Iterator[Any]:
    """Every quad of `nquads`, each followed by its triple in the default graph.

    The store's default graph is then the union of the named graphs, as the service's default
    graph is, materialised: Oxigraph evaluates a query over one graph two to four times faster
    than over the union of several (`use_default_graph_as_union`), which it computes per pattern
    (on the paper's build, p50 of works-for-concept 0.50 -> 0.23 ms, levels 1.7 -> 0.50 ms,
    techniques-for-level 2.7 -> 0.75 ms). One pass over one parse keeps the blank nodes of both
    copies the same (the bulk loader would rename them)."""
    import pyoxigraph as ox

    default = ox.DefaultGraph()
    for quad in ox.parse(path=str(nquads), format=ox.RdfFormat.N_QUADS):
        yield quad
        yield ox.Quad(quad.subject, quad.predicate, quad.object, default)


def _keep_literals(nquads: Path, out: Path) -> int:
    """Copy the statements whose object is of a DERIVED_INTEGERS type to `out`."""
    names = tuple(f"^^<{t}>" for t in DERIVED_INTEGERS)
    count = 0
    with nquads.open(encoding="utf-8") as source, out.open("w", encoding="utf-8") as target:
        for line in source:
            if XSD_NS in line and any(n in line for n in names):
                target.write(line)
                count += 1
    return count


def _prune_stores(current: Path) -> None:
    """Remove store directories of older builds, keeping the most recently used few."""
    others = [p for p in current.parent.iterdir()
              if p.is_dir() and p != current and not p.name.startswith(".")
              and (p / STORE_MARKER).exists()]
    others.sort(key=lambda p: (p / STORE_MARKER).stat().st_mtime, reverse=True)
    for old in others[KEEP_STORES - 1:]:
        shutil.rmtree(old, ignore_errors=True)


class OxigraphStore(Store):
    """The build in an Oxigraph store on disk, opened read-only (any number of processes may
    read it at once). The default graph is the union of the named graphs."""

    name = "oxigraph"
    federates = True  # Oxigraph evaluates SERVICE with its own HTTP client

    def __init__(self, dist: Path, store_path: str | Path | None = None) -> None:
        import pyoxigraph as ox

        self._ox = ox
        self.dist = Path(dist).resolve()
        self.path = oxigraph_path(dist, store_path)
        marker = prepare_oxigraph(self.dist, self.path)
        try:
            self.store = ox.Store.read_only(str(self.path))
        except OSError:
            # a store written by an incompatible pyoxigraph: load it again
            shutil.rmtree(self.path, ignore_errors=True)
            marker = prepare_oxigraph(self.dist, self.path)
            self.store = ox.Store.read_only(str(self.path))
        with contextlib.suppress(OSError):
            os.utime(self.path / STORE_MARKER)  # most recently used: kept by _prune_stores
        self._hash = str(marker["content_hash"])
        self._graphs = [URIRef(g) for g in marker.get("graphs", [])]
        self._originals: dict[tuple[Node, Node, int], list[Literal]] | None = None
        #: (predicate, value) -> the datatypes the build has for it: for blank-node subjects,
        #: whose labels the store does not keep
        self._by_property: dict[tuple[Node, int], set[str]] = {}
        #: answer terms converted to rdflib, remembered across queries (read-only data)
        self._terms = FromOxMemo()

    def _restore(self, triples: Iterable[tuple[Node, Node, Node]]
                 ) -> Iterator[tuple[Node, Node, Node]]:
        """Graph answers with the datatypes Oxigraph dropped put back: a statement whose
        object came back as xsd:integer is written with the literal(s) the build has for it
        (for a blank-node subject: the datatype the build gives that property and value, when
        it gives one only)."""
        if self._originals is None:
            self._originals = {}
            path = self.path / STORE_LITERALS
            if path.exists():
                for q in self._ox.parse(path=str(path), format=self._ox.RdfFormat.N_QUADS):
                    if not isinstance(q.object, self._ox.Literal):
                        continue
                    original = from_ox(q.object)
                    value = int(q.object.value)
                    key = (from_ox(q.subject), from_ox(q.predicate), value)
                    self._originals.setdefault(key, []).append(original)  # type: ignore[arg-type]
                    self._by_property.setdefault((key[1], value), set()).add(  # type: ignore[arg-type]
                        q.object.datatype.value)
        for s, p, o in triples:
            if (self._originals and isinstance(o, Literal) and o.datatype == XSD.integer):
                found = self._originals.get((s, p, int(o)))
                if found:
                    for original in found:
                        yield s, p, original
                    continue
                types = self._by_property.get((p, int(o)))
                if isinstance(s, BNode) and types and len(types) == 1:
                    yield s, p, Literal(str(o), datatype=URIRef(next(iter(types))))
                    continue
            yield s, p, o

    def query(
        self,
        sparql: str,
        *,
        bindings: Mapping[str, Identifier] | None = None,
        default_graph_uris: Sequence[str] | None = None,
        named_graph_uris: Sequence[str] | None = None,
        base: str | None = None,
        max_rows: int | None = None,
    ) -> QueryResult:
        ox = self._ox
        if self.federates and not self.network_isolated and uses_service(sparql):
            raise StoreError("SERVICE is not evaluated by this store")
        text = prepared_text(sparql, tuple(sorted((bindings or {}).items())))
        options: dict[str, Any] = {"base_iri": base}
        if default_graph_uris is not None or named_graph_uris is not None:
            options["default_graph"] = [ox.NamedNode(u) for u in default_graph_uris or []]
            options["named_graphs"] = [ox.NamedNode(u) for u in named_graph_uris or []]
        # otherwise the store's default graph is the union of the named graphs (_with_union)
        shape = query_shape(text)
        if shape.form == "DESCRIBE":
            return self._describe(text, base, options, max_rows)
        answer: Any = self.store.query(text, **options)
        if isinstance(answer, ox.QueryBoolean):
            return QueryResult("ASK", boolean=bool(answer))
        if isinstance(answer, ox.QuerySolutions):
            names = [v.value for v in answer.variables]
            rows: list[tuple[Node | None, ...]] = []
            truncated = False
            convert = self._terms
            for solution in answer:
                if max_rows is not None and len(rows) >= max_rows:
                    truncated = True
                    break
                rows.append(tuple(convert(solution[n]) for n in names))
            order = ordered_vars(text, names)
            if order != names:
                index = [names.index(n) for n in order]
                rows = [tuple(r[i] for i in index) for r in rows]
            return QueryResult("SELECT", vars=order, rows=rows, truncated=truncated)
        return _graph_result("CONSTRUCT", self._restore(
            (from_ox(t.subject), from_ox(t.predicate), from_ox(t.object))  # type: ignore[misc]
            for t in answer
        ), max_rows)

    def _describe(self, text: str, base: str | None, options: dict[str, Any],
                  max_rows: int | None) -> QueryResult:
        iris, select = describe_targets(text, base)
        targets: list[Node] = list(iris)
        if select is not None:
            answer: Any = self.store.query(select, **options)
            names = [v.value for v in answer.variables]
            for solution in answer:
                targets.extend(from_ox(solution[n]) for n in names  # type: ignore[misc]
                               if solution[n] is not None)
        graphs = self._default_graphs(options)

        def quads(s: Node | None, p: Node | None, o: Node | None
                  ) -> Iterator[tuple[Node, Node, Node]]:
            store: Any = self.store
            for g in graphs:
                for q in store.quads_for_pattern(
                        to_ox(s) if s is not None else None,
                        to_ox(p) if p is not None else None,
                        to_ox(o) if o is not None else None, g):
                    yield from_ox(q.subject), from_ox(q.predicate), from_ox(q.object)  # type: ignore[misc]

        def objects_of(subjects: Sequence[Node]) -> list[tuple[Node, Node, Node]]:
            return [t for s in subjects if not isinstance(s, Literal) for t in quads(s, None, None)]

        def reifications_of(triples: list[tuple[Node, Node, Node]]) -> list[Node]:
            found: list[Node] = []
            for s, p, o in triples:
                for st, _, _ in quads(None, RDF.subject, s):
                    if any(True for _ in quads(st, RDF.predicate, p)) and any(
                            True for _ in quads(st, RDF.object, o)):
                        found.append(st)
            return found

        def labels_of(linked: list[URIRef]) -> list[tuple]:
            return [t for iri in linked for prop in (RDFS.label, SKOS.prefLabel)
                    for t in quads(iri, prop, None)]

        description = concise_bounded_description(
            [t for t in targets if not isinstance(t, Literal)], objects_of, reifications_of)  # type: ignore[misc]
        add_labels(description, labels_of)
        return _graph_result("DESCRIBE", self._restore(description), max_rows)  # type: ignore[arg-type]

    def _default_graphs(self, options: dict[str, Any]) -> list[Any]:
        """The graphs that make the query's default graph, as pyoxigraph graph names."""
        if "default_graph" in options:
            return list(options["default_graph"])  # type: ignore[call-overload]
        return [self._ox.DefaultGraph()]  # the union of the named graphs (_with_union)

    def graph_names(self) -> list[URIRef]:
        return sorted(self._graphs)

    def content_hash(self) -> str:
        return self._hash

    def close(self) -> None:
        self.store = None  # type: ignore[assignment]
        gc.collect()


def _graph_result(kind: str, triples: Iterable[tuple[Node, Node, Node]], max_rows: int | None
                  ) -> QueryResult:
    graph = Graph()
    bind_prefixes(graph)
    truncated = False
    for triple in triples:
        if triple in graph:
            continue
        if max_rows is not None and len(graph) >= max_rows:
            truncated = True
            break
        graph.add(triple)
    return QueryResult(kind, graph=graph, truncated=truncated)  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------------
# remote SPARQL 1.1 endpoints

#: an IRI that names no graph: the dataset of a request that gives only named graphs has an
#: empty default graph (and one that gives only default graphs no named graphs), which some
#: engines (Virtuoso) do not do by themselves when a protocol parameter is missing
EMPTY_GRAPH = "urn:x-ai45kg:no-graph"
#: the graph in which `ai45kg push` records which build the endpoint holds
BUILD_GRAPH = "https://w3id.org/ai45/graph/build"
#: environment variables holding the remote's credentials (never on the command line)
USER_ENV = "AI45_REMOTE_USER"
PASSWORD_ENV = "AI45_REMOTE_PASSWORD"
#: the largest LIMIT / OFFSET sent to a remote engine (32-bit safe)
REMOTE_MAX_SLICE = 2**31 - 1
#: queries longer than this (URL-encoded) go by form POST instead of GET
GET_LIMIT = 2000
#: the most bytes read from one remote answer
MAX_RESPONSE_BYTES = 512 * 2**20


class RemoteError(StoreError):
    """The remote endpoint refused or failed a request (status and its first lines)."""


def remote_credentials() -> tuple[str, str] | None:
    """(user, password) from AI45_REMOTE_USER / AI45_REMOTE_PASSWORD, if set."""
    user = os.environ.get(USER_ENV, "")
    return (user, os.environ.get(PASSWORD_ENV, "")) if user else None


def sparql_client(endpoint: str, *, timeout_s: float = 60.0, auth: str = "basic") -> Any:
    """A SPARQLWrapper for `endpoint`, with the credentials from the environment (HTTP Digest,
    as Virtuoso's /sparql-auth wants, or Basic for Fuseki, GraphDB and the like)."""
    from SPARQLWrapper import BASIC, DIGEST, SPARQLWrapper

    client = SPARQLWrapper(endpoint, agent=f"ai45kg/{_version()} (SPARQLWrapper)")
    client.setTimeout(int(max(1, timeout_s)))
    credentials = remote_credentials()
    if credentials:
        client.setHTTPAuth(DIGEST if auth.lower() == "digest" else BASIC)
        client.setCredentials(*credentials)
    return client


def _version() -> str:
    from . import __version__

    return __version__


def remote_request(client: Any, text: str, accept: str, *, params: Mapping[str, Sequence[str]]
                   = {}, update: bool = False) -> Any:  # noqa: B006 - read-only default
    """Send one query (or update) with SPARQLWrapper and return the open HTTP response.

    Queries go by GET while the URL stays short and by form POST beyond: never as a direct
    application/sparql-query POST, which Virtuoso does not answer (its issue #842).

    Raises:
        RemoteError: the endpoint answered with an error status, or could not be reached.
    """
    from SPARQLWrapper import GET, POST, POSTDIRECTLY, URLENCODED
    from SPARQLWrapper.SPARQLExceptions import SPARQLWrapperException

    client.resetQuery()
    client.setQuery(text)
    client.setOnlyConneg(True)
    client.clearCustomHttpHeader("Accept")
    client.addCustomHttpHeader("Accept", accept)
    for name, values in params.items():
        for value in values:
            client.addParameter(name, value)
    size = len(text) + sum(len(v) for vs in params.values() for v in vs)
    if update or size * 3 > GET_LIMIT:
        client.setMethod(POST)
        client.setRequestMethod(URLENCODED)
    else:
        client.setMethod(GET)
    if update:
        client.setRequestMethod(URLENCODED)
        assert client.requestMethod != POSTDIRECTLY
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # SPARQLWrapper warns about what it ignores
            return client.query().response
    except SPARQLWrapperException as exc:
        raise RemoteError(f"{client.endpoint} refused the request: {_first_lines(str(exc))}"
                          ) from exc
    except OSError as exc:
        raise RemoteError(f"cannot reach {client.endpoint}: {exc}") from exc


def _first_lines(message: str, limit: int = 400) -> str:
    message = message.strip()
    return message if len(message) <= limit else message[:limit] + " ..."


def _json_term(value: Mapping[str, str]) -> Node:
    kind = value.get("type")
    text = value.get("value", "")
    if kind == "uri":
        return URIRef(text)
    if kind == "bnode":
        return BNode(text.removeprefix("nodeID://").removeprefix("_:"))
    lang = value.get("xml:lang")
    if lang:
        return Literal(text, lang=lang)
    datatype = value.get("datatype")
    if datatype and datatype != str(XSD.string):
        if datatype == str(XSD.boolean) and text in ("0", "1"):
            text = "true" if text == "1" else "false"  # Virtuoso writes booleans as 0 / 1
        return Literal(text, datatype=URIRef(datatype))
    return Literal(text)


class RemoteStore(Store):
    """A build held by a remote SPARQL 1.1 endpoint, queried over the SPARQL Protocol.

    Every query names its dataset explicitly (`default-graph-uri` and `named-graph-uri` for the
    project's graphs, or those the request selected), so that the endpoint's other graphs (its
    system graphs, other datasets) never leak into an answer. The endpoint must hold the build
    that dist/ names: `ai45kg push` records its content hash in BUILD_GRAPH, and the store
    refuses to serve another one, so ETags and cached answers are never stale.
    """

    name = "remote"
    federates = True

    def __init__(self, dist: Path, endpoint: str, *, timeout_s: float = 60.0,
                 check: bool = True, auth: str = "basic") -> None:
        if not endpoint:
            raise StoreError("the remote store needs an endpoint URL (--endpoint or the "
                             "ENDPOINT setting)")
        self.dist = Path(dist).resolve()
        manifest = read_manifest(self.dist)
        self._hash = str(manifest["content_hash"])
        self._graphs = sorted(URIRef(g) for g in (manifest.get("triples") or {}))
        self.endpoint = endpoint
        self.client = sparql_client(endpoint, timeout_s=timeout_s, auth=auth)
        if check:
            held = self.pushed_hash()
            if held != self._hash:
                raise StoreError(
                    f"{endpoint} holds build {held[:12] if held else '(none)'}, not the build "
                    f"in {self.dist} ({self._hash[:12]}): run `ai45kg push --endpoint ...` "
                    "to load it"
                )

    def pushed_hash(self) -> str | None:
        """The content hash that `ai45kg push` recorded at the endpoint, if any."""
        from rdflib.namespace import DCTERMS

        result = self._select(
            f"SELECT ?h WHERE {{ <{BUILD_GRAPH}> <{DCTERMS.identifier}> ?h }}",
            [BUILD_GRAPH], [EMPTY_GRAPH], None)
        return str(result.rows[0][0]) if result.rows else None

    def query(
        self,
        sparql: str,
        *,
        bindings: Mapping[str, Identifier] | None = None,
        default_graph_uris: Sequence[str] | None = None,
        named_graph_uris: Sequence[str] | None = None,
        base: str | None = None,
        max_rows: int | None = None,
    ) -> QueryResult:
        if uses_service(sparql):
            raise StoreError("SERVICE is not sent to the remote endpoint")
        text = prepared_text(sparql, tuple(sorted((bindings or {}).items())),
                             REMOTE_MAX_SLICE)
        if base and not re.search(r"(?i)^\s*BASE\b", text, re.M):
            text = f"BASE <{base}>\n{text}" if _IRI_CHARS.fullmatch(base) else text
        shape = query_shape(text)
        if default_graph_uris is None and named_graph_uris is None:
            if shape.has_dataset_clause:
                default_graph_uris, named_graph_uris = dataset_of(text, base)
            else:
                default_graph_uris = named_graph_uris = [str(g) for g in self._graphs]
        default = list(default_graph_uris or []) or [EMPTY_GRAPH]
        named = list(named_graph_uris or []) or [EMPTY_GRAPH]
        text = strip_dataset_clause(text)  # the dataset is in the protocol's parameters
        shape = query_shape(text)
        if shape.form == "DESCRIBE":
            return self._describe(text, base, default, named, max_rows)
        if shape.form == "CONSTRUCT":
            return self._construct(text, default, named, max_rows)
        if shape.form == "ASK":
            return self._ask(text, default, named)
        if shape.form == "SELECT" and max_rows is not None:
            text = limit_rows(text, max_rows + 1)
        return self._select(text, default, named, max_rows)

    def _ask(self, text: str, default: Sequence[str], named: Sequence[str]) -> QueryResult:
        """ASK, sent as `SELECT * ... LIMIT 1`: Virtuoso answers true to an ASK (or a SELECT
        that projects none of its variables) whose `GRAPH <iri>` names a graph outside
        named-graph-uri, while `SELECT *` of the same pattern is rightly empty; and a SELECT
        means the same on every engine."""
        shape = query_shape(text)
        if text[shape.where_close + 1:].strip():
            return self._select(text, default, named, None)  # modifiers or VALUES: as it is
        toks = _significant(text)
        ask = next(t for t in toks if t.keyword == "ASK")
        where = text[ask.end:shape.where_close + 1]
        select = f"{text[:ask.start]}SELECT *{where}\nLIMIT 1"
        rows = self._select(select, default, named, None).rows
        return QueryResult("ASK", boolean=bool(rows))

    # -- the protocol

    def _send(self, text: str, accept: str, default: Sequence[str], named: Sequence[str]) -> Any:
        response = remote_request(self.client, text, accept, params={
            "default-graph-uri": list(default), "named-graph-uri": list(named)})
        state = response.headers.get("X-SQL-State")
        if state:
            # Virtuoso's "anytime" answers: a partial result after its own time limit
            message = response.headers.get("X-SQL-Message", "")
            response.close()
            raise RemoteError(f"{self.endpoint} gave an incomplete answer ({state} {message})")
        return response

    def _select(self, text: str, default: Sequence[str], named: Sequence[str],
                max_rows: int | None) -> QueryResult:
        response = self._send(text, "application/sparql-results+json", default, named)
        try:
            raw = response.read(MAX_RESPONSE_BYTES + 1)
        finally:
            response.close()
        if len(raw) > MAX_RESPONSE_BYTES:
            raise RemoteError(f"the answer of {self.endpoint} is larger than "
                              f"{MAX_RESPONSE_BYTES} bytes")
        try:
            doc = json.loads(raw)
        except ValueError as exc:
            raise RemoteError(f"{self.endpoint} did not answer in SPARQL JSON: "
                              f"{_first_lines(raw[:400].decode('utf-8', 'replace'))}") from exc
        if "boolean" in doc:
            return QueryResult("ASK", boolean=bool(doc["boolean"]))
        names = [v for v in doc.get("head", {}).get("vars", [])]
        rows: list[tuple[Node | None, ...]] = []
        truncated = False
        for binding in doc.get("results", {}).get("bindings", []):
            if max_rows is not None and len(rows) >= max_rows:
                truncated = True
                break
            rows.append(tuple(_json_term(binding[n]) if n in binding else None for n in names))
        order = ordered_vars(text, names)
        if order != names:
            index = [names.index(n) for n in order]
            rows = [tuple(r[i] for i in index) for r in rows]
        return QueryResult("SELECT", vars=order, rows=rows, truncated=truncated)

    def _construct(self, text: str, default: Sequence[str], named: Sequence[str],
                   max_rows: int | None) -> QueryResult:
        import pyoxigraph as ox

        response = self._send(text, "application/n-triples", default, named)
        media = (response.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        formats = {"application/n-triples": ox.RdfFormat.N_TRIPLES,
                   "text/plain": ox.RdfFormat.N_TRIPLES,
                   "text/turtle": ox.RdfFormat.TURTLE,
                   "application/rdf+xml": ox.RdfFormat.RDF_XML,
                   "application/ld+json": ox.RdfFormat.JSON_LD}
        try:
            parsed = ox.parse(response, formats.get(media, ox.RdfFormat.N_TRIPLES))
            return _graph_result("CONSTRUCT", (
                (from_ox(q.subject), from_ox(q.predicate), from_ox(q.object))  # type: ignore[misc]
                for q in parsed), max_rows)
        except SyntaxError as exc:
            raise RemoteError(f"{self.endpoint} answered a CONSTRUCT with {media or 'no type'} "
                              f"that does not parse: {exc}") from exc
        finally:
            response.close()

    def _describe(self, text: str, base: str | None, default: Sequence[str],
                  named: Sequence[str], max_rows: int | None) -> QueryResult:
        """DESCRIBE as MemoryStore and OxigraphStore answer it (the concise bounded description
        and the labels of what it links to), not as each engine chooses (Virtuoso also gives
        the statements that point to the resource). Blank nodes are followed up to three
        levels deep within one request, since their labels do not survive across requests."""
        iris, select = describe_targets(text, base)
        targets: list[Node] = list(iris)
        if select is not None:
            for row in self._select(select, default, named, None).rows:
                targets.extend(t for t in row if isinstance(t, URIRef))

        def objects_of(subjects: Sequence[Node]) -> list[tuple[Node, Node, Node]]:
            found: list[tuple[Node, Node, Node]] = []
            iris_only = [s for s in subjects if isinstance(s, URIRef)]
            for i in range(0, len(iris_only), 100):
                values = " ".join(term_n3(s) for s in iris_only[i:i + 100])
                rows = self._select(
                    f"SELECT ?s ?p ?o ?p1 ?o1 ?p2 ?o2 ?p3 ?o3 WHERE {{ VALUES ?s {{ {values} }} "
                    "?s ?p ?o OPTIONAL { ?o ?p1 ?o1 FILTER(isBlank(?o)) "
                    "OPTIONAL { ?o1 ?p2 ?o2 FILTER(isBlank(?o1)) "
                    "OPTIONAL { ?o2 ?p3 ?o3 FILTER(isBlank(?o2)) } } } }",
                    default, named, None).rows
                for s, p, o, p1, o1, p2, o2, p3, o3 in rows:
                    found.append((s, p, o))  # type: ignore[arg-type]
                    if p1 is not None:
                        found.append((o, p1, o1))  # type: ignore[arg-type]
                    if p2 is not None:
                        found.append((o1, p2, o2))  # type: ignore[arg-type]
                    if p3 is not None:
                        found.append((o2, p3, o3))  # type: ignore[arg-type]
            return found

        def reifications_of(triples: list[tuple[Node, Node, Node]]) -> list[Node]:
            plain = [t for t in triples if not any(isinstance(x, BNode) for x in t)]
            found: list[Node] = []
            for i in range(0, len(plain), 50):
                values = " ".join(f"({term_n3(s)} {term_n3(p)} {term_n3(o)})"
                                  for s, p, o in plain[i:i + 50])
                rows = self._select(
                    f"SELECT DISTINCT ?st WHERE {{ VALUES (?s ?p ?o) {{ {values} }} "
                    f"?st <{RDF.subject}> ?s ; <{RDF.predicate}> ?p ; <{RDF.object}> ?o . "
                    "FILTER(isIRI(?st)) }", default, named, None).rows
                found.extend(r[0] for r in rows if r[0] is not None)
            return found

        def labels_of(linked: list[URIRef]) -> list[tuple]:
            out: list[tuple] = []
            for i in range(0, len(linked), 100):
                values = " ".join(term_n3(x) for x in linked[i:i + 100])
                rows = self._select(
                    f"SELECT ?s ?p ?l WHERE {{ VALUES ?s {{ {values} }} VALUES ?p {{ "
                    f"<{RDFS.label}> <{SKOS.prefLabel}> }} ?s ?p ?l }}",
                    default, named, None).rows
                out.extend(rows)
            return out

        description = concise_bounded_description(targets, objects_of, reifications_of)  # type: ignore[arg-type]
        add_labels(description, labels_of)
        return _graph_result("DESCRIBE", iter(description), max_rows)

    def graph_names(self) -> list[URIRef]:
        return list(self._graphs)

    def content_hash(self) -> str:
        return self._hash


# ---------------------------------------------------------------------------------------------


def open_store(kind: str, dist: Path, **options: Any) -> Store:
    """Open the store named by the STORE setting (`--store`).

    Options: `store_path` (oxigraph: the directory under which stores live, default
    `.oxigraph/` beside dist), `endpoint` and `timeout_s` (remote).

    Raises:
        ValueError: an unknown kind.
        StoreError: the store cannot serve this build.
    """
    if kind == "memory":
        return MemoryStore(dist)
    if kind == "oxigraph":
        return OxigraphStore(dist, options.get("store_path") or None)
    if kind == "remote":
        return RemoteStore(dist, str(options.get("endpoint") or ""),
                           timeout_s=float(options.get("timeout_s") or 60.0),
                           auth=str(options.get("auth") or "basic"))
    raise ValueError(f"unknown store {kind!r}; choose one of: {', '.join(STORE_KINDS)}")


def prepare_store(kind: str, dist: Path, **options: Any) -> None:
    """Get a store ready before query workers open it (an Oxigraph store is loaded once here,
    not by every worker)."""
    if kind == "oxigraph":
        prepare_oxigraph(Path(dist), oxigraph_path(dist, options.get("store_path") or None))
