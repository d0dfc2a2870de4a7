"""`OxigraphStore`: pyoxigraph, embedded and persistent, opened read-only on a store that
`kg.stores.oxigraph_load` prepared (and copied into memory when the build is small)."""

from __future__ import annotations

import contextlib
import gc
import os
import re
import shutil
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from rdflib import BNode, Literal, URIRef
from rdflib.namespace import RDF, RDFS, SKOS, XSD
from rdflib.term import Identifier, Node

from ..namespaces import PREFIXES
from ..sparqltext import (
    CACHED_TEXT,
    ordered_vars,
    prepared_text,
    project_star,
    query_shape,
    screen,
    uses_service,
)
from ..terms import FromOxMemo, from_ox, to_ox
from .base import (
    RESULT_FORMATS,
    Answer,
    QueryResult,
    QuerySyntax,
    Store,
    StoreError,
    ask_table,
    capped_select,
    graph_result,
)
from .describe import add_labels, concise_bounded_description, describe_targets
from .oxigraph_load import STORE_LITERALS, STORE_MARKER, oxigraph_path, prepare_oxigraph

#: the media types of graphs Oxigraph writes natively (its SPARQL results: RESULT_FORMATS)
_GRAPH_FORMATS = {
    "text/turtle": "TURTLE", "application/n-triples": "N_TRIPLES",
    "application/rdf+xml": "RDF_XML", "application/n-quads": "N_QUADS",
    "application/trig": "TRIG", "application/ld+json": "JSON_LD",
}
_XSD_INTEGER = str(XSD.integer)
_POSITION = re.compile(r"error at (\d+):(\d+): (.*)", re.DOTALL)


def oxigraph_syntax(exc: SyntaxError, text: str) -> QuerySyntax:
    """Oxigraph's parse error ("error at 2:16: expected ...") with its line and column."""
    m = _POSITION.match(str(exc))
    if m is None:
        return QuerySyntax(str(exc))
    return QuerySyntax.at(m.group(3).strip(), text, int(m.group(1)), int(m.group(2)))


class OxigraphStore(Store):
    """The build in an Oxigraph store on disk, opened read-only (any number of processes may
    read it at once). The default graph is the union of the named graphs.

    With `memory_quads`, a build of at most that many quads is copied from the store on disk
    into an in-memory Oxigraph store when opened, and queried there: Oxigraph evaluates from
    memory three to four times faster than from its on-disk store (RocksDB), which on a small
    build is most of a query's time, at the cost of a copy per process (about 0.3 s and 10 MB
    resident, 35 MB at the peak, for the paper's 33,000 quads)."""

    name = "oxigraph"
    federates = True  # Oxigraph evaluates SERVICE with its own HTTP client

    def __init__(self, dist: Path, store_path: str | Path | None = None,
                 memory_quads: int = 0) -> None:
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
        #: whether queries run on an in-memory copy (`memory_quads`)
        self.in_memory = 0 < int(marker.get("quads", 0) or 0) <= memory_quads
        if self.in_memory:
            copy = ox.Store()
            copy.bulk_extend(self.store.quads_for_pattern(None, None, None, None))
            self.store = copy
        self._hash = str(marker["content_hash"])
        self._graphs = [URIRef(g) for g in marker.get("graphs", [])]
        self._originals: dict[tuple[Node, Node, int], list[Literal]] | None = None
        #: (predicate, value) -> the datatypes the build has for it: for blank-node subjects,
        #: whose labels the store does not keep
        self._by_property: dict[tuple[Node, int], set[str]] = {}
        #: answer terms converted to rdflib, remembered across queries (read-only data)
        self._terms = FromOxMemo()
        #: SELECT * texts written with their variables in order (`_projected`)
        self._stars: dict[str, str] = {}

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
        text = prepared_text(sparql, bindings)
        options = self._options(base, default_graph_uris, named_graph_uris)
        if screen(text).form == "DESCRIBE":
            return self._describe(text, base, options, max_rows)
        answer: Any = self._run(text, options)
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
        return graph_result("CONSTRUCT", self._restore(
            (from_ox(t.subject), from_ox(t.predicate), from_ox(t.object))  # type: ignore[misc]
            for t in answer
        ), max_rows)

    def _run(self, text: str, options: dict[str, Any]) -> Any:
        """The engine's answer to `text` (lazy for SELECT and CONSTRUCT); a parse error is a
        `QuerySyntax`."""
        try:
            return self.store.query(text, **options)
        except SyntaxError as exc:
            raise oxigraph_syntax(exc, text) from exc

    def _options(self, base: str | None, default_graph_uris: Sequence[str] | None,
                 named_graph_uris: Sequence[str] | None) -> dict[str, Any]:
        ox = self._ox
        options: dict[str, Any] = {"base_iri": base}
        if default_graph_uris is not None or named_graph_uris is not None:
            options["default_graph"] = [ox.NamedNode(u) for u in default_graph_uris or []]
            options["named_graphs"] = [ox.NamedNode(u) for u in named_graph_uris or []]
        # otherwise the store's default graph is the union of the named graphs (_with_union)
        return options

    def answer(
        self,
        sparql: str,
        media: str,
        *,
        bindings: Mapping[str, Identifier] | None = None,
        default_graph_uris: Sequence[str] | None = None,
        named_graph_uris: Sequence[str] | None = None,
        base: str | None = None,
        max_rows: int | None = None,
    ) -> Answer | None:
        """SELECT and ASK answers in SPARQL JSON, XML, CSV and TSV, and CONSTRUCT answers in
        Turtle, N-Triples, RDF/XML, N-Quads, TriG and JSON-LD, written by Oxigraph's own
        serialisers: no term of the answer passes through Python (but a CONSTRUCT's triples,
        counted against the cap and given back the datatypes the store dropped). DESCRIBE, and
        a SELECT ending in a VALUES block, are left to `query`. The row cap: `capped_select`."""
        ox = self._ox
        text = prepared_text(sparql, bindings)
        form = screen(text).form
        formats = _GRAPH_FORMATS if form == "CONSTRUCT" else RESULT_FORMATS
        name = formats.get(media) if form in ("SELECT", "ASK", "CONSTRUCT") else None
        if name is None:
            return None
        if self.federates and not self.network_isolated and uses_service(text):
            raise StoreError("SERVICE is not evaluated by this store")
        options = self._options(base, default_graph_uris, named_graph_uris)
        if form == "ASK":
            value = self._run(text, options)
            if media in ("text/csv", "text/tab-separated-values"):
                return Answer(ask_table(bool(value), media))
            return Answer(value.serialize(format=getattr(ox.QueryResultsFormat, name)))
        if form == "CONSTRUCT":
            triples, truncated = self._constructed(self._run(text, options), max_rows)
            out = ox.serialize(triples, format=getattr(ox.RdfFormat, name),
                               **self._prefixes(name))
            return Answer(out or b"", truncated)
        fmt = getattr(ox.QueryResultsFormat, name)
        text = self._projected(text, options)
        return capped_select(text, max_rows, name,
                             lambda asked: self._asked(asked, text, options).serialize(format=fmt))

    def _asked(self, asked: str, text: str, options: dict[str, Any]) -> Any:
        """`_run` of `asked`, the text with a LIMIT added; its syntax errors are those of the
        text as it was given (positions in the added line would mean nothing to the user)."""
        try:
            return self._run(asked, options)
        except QuerySyntax:
            if asked is not text:
                self._run(text, options)
            raise

    def _projected(self, text: str, options: dict[str, Any]) -> str:
        """`SELECT *` with its variables in first-mention order (Oxigraph writes them sorted),
        remembered per text."""
        known = self._stars.get(text)
        if known is not None:
            return known
        projected = text
        if query_shape(text).select_star:
            names = [v.value for v in self._run(text, options).variables]
            projected = project_star(text, names)
        if len(text) <= CACHED_TEXT:
            if len(self._stars) > 512:
                self._stars.clear()
            self._stars[text] = projected
        return projected

    def _constructed(self, answer: Any, max_rows: int | None) -> tuple[list[Any], bool]:
        """A CONSTRUCT's distinct triples, at most `max_rows`, with the datatypes the store
        dropped put back (`_restore_ox`); and whether there were more."""
        seen: set[Any] = set()
        out: list[Any] = []
        for triple in self._restore_ox(answer):
            if triple in seen:
                continue
            if max_rows is not None and len(out) >= max_rows:
                return out, True
            seen.add(triple)
            out.append(triple)
        return out, False

    def _restore_ox(self, triples: Iterable[Any]) -> Iterator[Any]:
        """`_restore` on pyoxigraph triples (only an xsd:integer object can need it)."""
        ox = self._ox
        for triple in triples:
            o = triple.object
            if isinstance(o, ox.Literal) and o.datatype.value == _XSD_INTEGER:
                pair = (from_ox(triple.subject), from_ox(triple.predicate))
                for _, _, restored in self._restore([(*pair, from_ox(o))]):  # type: ignore[list-item]
                    yield ox.Triple(triple.subject, triple.predicate, to_ox(restored))
                continue
            yield triple

    def _prefixes(self, name: str) -> dict[str, Any]:
        """The project's prefixes for the formats that abbreviate IRIs with them."""
        if name in ("TURTLE", "TRIG", "RDF_XML"):
            return {"prefixes": dict(PREFIXES)}
        return {}

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
        return graph_result("DESCRIBE", self._restore(description), max_rows)  # type: ignore[arg-type]

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
