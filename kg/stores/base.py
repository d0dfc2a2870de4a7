"""The store interface: what every store answers (`QueryResult`) and how it is asked (`Store`),
with the build's files it reads."""

from __future__ import annotations

import csv
import io
import json
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal as TypingLiteral

from rdflib import Dataset, Graph, URIRef
from rdflib.term import Identifier, Node

from ..load import bind_prefixes
from ..sparqltext import top_limit, with_limit

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


class QuerySyntax(Exception):
    """The store's engine cannot parse the query: its message, where (1-based line and column
    of the text it was given, when the engine says) and the text from there."""

    def __init__(self, message: str, line: int | None = None, column: int | None = None,
                 near: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column
        self.near = near

    @classmethod
    def at(cls, message: str, text: str, line: int, column: int) -> QuerySyntax:
        """The error at `line`, `column` of `text`, with the text from there."""
        lines = text.splitlines() or [""]
        near = lines[line - 1][column - 1:] if 0 < line <= len(lines) else ""
        return cls(message, line, column, near)

    def __reduce__(self) -> tuple[object, ...]:
        return (QuerySyntax, (self.message, self.line, self.column, self.near))


#: the media types of SPARQL results, by the name of their format (pyoxigraph's)
RESULT_FORMATS = {
    "application/sparql-results+json": "JSON", "application/sparql-results+xml": "XML",
    "text/csv": "CSV", "text/tab-separated-values": "TSV",
}
#: the fewest bytes one solution takes in each results format (`{}` and a comma; an empty
#: `<result></result>`; a line end): an answer shorter than rows x this has fewer rows
MIN_ROW_BYTES = {"JSON": 3, "XML": 17, "CSV": 2, "TSV": 1}


def truncation_note(max_rows: int | None) -> str:
    """What an answer cut by the row cap says about it."""
    limit = f"at {max_rows} rows " if max_rows else ""
    return (f"the results were cut {limit}(setting MAX_ROWS); add LIMIT/OFFSET to page through "
            "them")


def ask_table(value: bool, media: str) -> bytes:
    """An ASK answer as CSV or TSV, which SPARQL 1.1 does not define for booleans: written as
    Jena does (`_askResult` and true / false)."""
    word = "true" if value else "false"
    if media == "text/csv":
        return f"_askResult\r\n{word}\r\n".encode()
    return f"?_askResult\n{word}\n".encode()


def rows_in(body: bytes, fmt: str) -> int:
    """How many solutions a SELECT answer written in `fmt` (a RESULT_FORMATS name) holds."""
    if fmt == "XML":
        return body.count(b"<result>")
    if fmt == "TSV":
        return body.count(b"\n") - 1
    if fmt == "CSV":
        return sum(1 for _ in csv.reader(io.StringIO(body.decode("utf-8")))) - 1
    return len(json.loads(body)["results"]["bindings"])


def with_note(body: bytes, fmt: str, max_rows: int) -> bytes:
    """A truncated answer with the note where its format has room for one (JSON, XML)."""
    note = truncation_note(max_rows)
    if fmt == "JSON" and body.rstrip().endswith(b"}"):
        body = body.rstrip()
        return body[:-1] + b',"truncated":true,"note":' + json.dumps(note).encode() + b"}"
    if fmt == "XML" and body.startswith(b"<?xml"):
        end = body.index(b"?>") + 2
        return body[:end] + f"<!-- {note} -->".encode() + body[end:]
    return body


@dataclass
class Answer:
    """An answer already written in a media type by the store (`Store.answer`)."""

    body: bytes
    truncated: bool = False


def capped_select(text: str, max_rows: int | None, fmt: str,
                  ask: Callable[[str], bytes]) -> Answer | None:
    """A SELECT's answer written by its engine (`ask`: a text in, the answer in `fmt`, a
    RESULT_FORMATS name, out), within the row cap: asked for one row more than `max_rows`
    (its own LIMIT lowered, or one added) unless its own LIMIT is within the cap; only an
    answer long enough to hold that many rows is counted, and one that has them is asked again
    at `max_rows` and marked truncated. None where no LIMIT can be written (a trailing VALUES
    block): the caller then caps the rows itself."""
    asked: str | None = text
    if max_rows is not None:
        top = top_limit(text)
        if top is None or top > max_rows:
            asked = with_limit(text, max_rows + 1)
    if asked is None:
        return None
    body = ask(asked)
    if (max_rows is not None and asked is not text
            and len(body) >= (max_rows + 1) * MIN_ROW_BYTES[fmt]
            and rows_in(body, fmt) > max_rows):
        return Answer(with_note(ask(with_limit(text, max_rows) or text), fmt, max_rows),
                      truncated=True)
    return Answer(body)


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
        """The answer written in `media` by the store's engine itself, with the row cap applied,
        or None where the store does not write that query in that format (the caller then
        writes `query`'s result itself). The engine parses the query here: a text it cannot
        parse raises `QuerySyntax`."""
        return None

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


def graph_result(kind: str, triples: Iterable[tuple[Node, Node, Node]], max_rows: int | None
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
