"""Parse RDF that the project did not write itself (analyst files, anything a user hands over)
without letting the input reach the network or the file system, or expand without bound.

`parse_untrusted(data, format)` is the one function for that; everything that parses a file a
user gave (kg.literature.files, and any later RDF/XML or JSON-LD import) goes through it. It:

- takes the document itself (text or bytes), never a location: rdflib would fetch an `http:` or
  `file:` source given as a string;
- refuses RDF/XML and TriX that carry a `<!DOCTYPE` or `<!ENTITY` declaration. RDF needs neither,
  and they are how XML attacks work: external entities (XXE) read local files or call other hosts,
  and nested internal entities ("billion laughs") expand a few hundred bytes into gigabytes (a
  773-byte file keeps rdflib 7.6 busy for minutes). The check is made twice: on the text, with
  the line named, and by a defusedxml pass that forbids any DTD whatever the encoding tricks;
- refuses JSON-LD whose `@context` (anywhere, also scoped contexts) is a reference rather than an
  inline object, and any `@import`: rdflib's JSON-LD parser would fetch them;
- while rdflib parses, blocks every outbound connection and DNS lookup from the parsing thread
  (an audit hook, installed once per process, that is active only inside this function), so a
  path this module did not foresee still cannot reach the network;
- turns every parser failure into an `RDFInputError` naming the line (and column where the parser
  knows it), including input that ends mid-statement, instead of rdflib's assorted exception types.

Turtle, TriG, N-Triples and N-Quads never fetch anything (`@prefix` and `@base` only name IRIs),
so they are parsed as they are, through the same error handling and guard.
"""

from __future__ import annotations

import io
import json
import re
import sys
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any
from xml.sax import SAXParseException
from xml.sax.handler import ContentHandler

from defusedxml import DefusedXmlException
from defusedxml.sax import parse as defused_sax_parse
from rdflib import Dataset, Graph

#: the largest document accepted, in bytes (UTF-8); a caller may pass another limit
MAX_BYTES = 64 * 2**20

#: accepted format names -> rdflib's parser name
FORMATS = {
    "turtle": "turtle", "ttl": "turtle", "text/turtle": "turtle",
    "nt": "nt", "ntriples": "nt", "n-triples": "nt", "application/n-triples": "nt",
    "nquads": "nquads", "n-quads": "nquads", "nq": "nquads", "application/n-quads": "nquads",
    "trig": "trig", "application/trig": "trig",
    "json-ld": "json-ld", "jsonld": "json-ld", "application/ld+json": "json-ld",
    "xml": "xml", "rdf/xml": "xml", "rdfxml": "xml", "application/rdf+xml": "xml",
    "trix": "trix",
}
XML_FORMATS = {"xml", "trix"}
LINE_FORMATS = {"nt", "nquads"}
QUAD_FORMATS = {"nquads", "trig", "trix"}

_DECLARATION = re.compile(r"<!\s*(DOCTYPE|ENTITY)\b", re.IGNORECASE)
#: audit events that open a connection or resolve a name
_NETWORK_EVENTS = frozenset({
    "socket.connect", "socket.connect_ex", "socket.getaddrinfo", "socket.gethostbyname",
    "socket.gethostbyname_ex", "socket.gethostbyaddr", "socket.sendto", "urllib.Request",
    "http.client.connect", "ftplib.connect", "smtplib.connect",
})


class RDFInputError(ValueError):
    """The input is not RDF of the given format, or is refused; `line` (1-based, None when the
    parser does not say) and `column` tell where."""

    def __init__(self, message: str, line: int | None = None, column: int | None = None,
                 *, source: str = "input") -> None:
        where = source
        if line is not None:
            where += f" line {line}"
            if column is not None:
                where += f", column {column}"
        super().__init__(f"{where}: {message}")
        self.reason = message
        self.line = line
        self.column = column


class RDFInputRefused(RDFInputError):
    """Well-formed input that is refused because parsing it would be unsafe (a DTD or entity in
    XML, a remote JSON-LD context, a URL instead of a document)."""


def parse_untrusted(
    data: str | bytes,
    format: str,
    *,
    graph: Graph | None = None,
    base: str | None = None,
    context: Mapping[str, Any] | None = None,
    max_bytes: int = MAX_BYTES,
    source: str = "input",
) -> Graph:
    """Parse one RDF document that came from outside into `graph` (a new Graph by default).

    Args:
        data: the document; text, or bytes in UTF-8 (UTF-16 with a byte-order mark for XML).
        format: turtle, trig, nt, nquads, json-ld, xml (RDF/XML) or trix (or their media types).
        graph: where the triples go (default: a new Graph, a Dataset for quad formats).
        base: base IRI for relative IRIs (rdflib's `publicID`).
        context: an inline JSON-LD context to apply (a mapping; never a URL).
        max_bytes: documents larger than this are refused.
        source: how to name the input in error messages (a file name, say).

    Returns:
        The graph the triples were added to.

    Raises:
        RDFInputRefused: the input is refused as unsafe or too large.
        RDFInputError: the input does not parse; the message names the line.
    """
    fmt = FORMATS.get(format.strip().lower())
    if fmt is None:
        raise RDFInputError(f"unknown RDF format {format!r}; one of "
                            + ", ".join(sorted(set(FORMATS.values()))), source=source)
    if not isinstance(data, str | bytes | bytearray):
        raise RDFInputRefused(
            f"expected the document as text or bytes, got {type(data).__name__}: untrusted "
            "RDF is never read from a URL, a path or a stream by the parser", source=source)
    size = len(data) if not isinstance(data, str) else len(data.encode("utf-8", "surrogatepass"))
    if size > max_bytes:
        raise RDFInputRefused(f"the document is {size} bytes; at most {max_bytes} are accepted",
                              source=source)
    text = _text(bytes(data) if not isinstance(data, str) else data, fmt, source)
    if context is not None and not isinstance(context, Mapping):
        raise RDFInputRefused("a JSON-LD context must be given inline (a mapping), never as a "
                              "URL", source=source)
    if fmt in XML_FORMATS:
        _check_xml(text, source)
    elif fmt == "json-ld":
        _check_json_ld(text, source)
    target = graph if graph is not None else (Dataset() if fmt in QUAD_FORMATS else Graph())
    kwargs: dict[str, Any] = {}
    if base is not None:
        kwargs["publicID"] = base
    if fmt == "json-ld" and context is not None:
        kwargs["context"] = dict(context)
    try:
        with no_network():
            target.parse(data=text, format=fmt, **kwargs)
    except RDFInputError:
        raise
    except PermissionError as exc:  # the guard: something in the parser tried the network
        raise RDFInputRefused(f"the parser tried to reach the network ({exc}); refused",
                              source=source) from exc
    except Exception as exc:  # rdflib raises many unrelated exception types
        raise _explain(exc, text, fmt, source) from exc
    return target


# ---------------------------------------------------------------------------------------------
# checks before parsing


def _text(data: str | bytes, fmt: str, source: str) -> str:
    if isinstance(data, str):
        return data.removeprefix("\ufeff")
    encodings = ["utf-8-sig"]
    if fmt in XML_FORMATS and data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        encodings = ["utf-16"]
    try:
        return data.decode(encodings[0])
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise RDFInputError(f"not UTF-8 (byte 0x{data[exc.start]:02x}); save the file as UTF-8",
                            line, column, source=source) from exc


def _check_xml(text: str, source: str) -> None:
    found = _DECLARATION.search(text)
    if found:
        line, column = _position(text, found.start())
        raise RDFInputRefused(
            f"<!{found.group(1).upper()} declarations are not accepted in RDF/XML (they can read "
            "local files, call other hosts or expand without bound); remove the DOCTYPE and use "
            "plain IRIs instead of entities", line, column, source=source)
    try:
        # a second, independent check: expat itself reports any DTD, whatever the encoding
        defused_sax_parse(io.BytesIO(text.encode("utf-8")), ContentHandler(), forbid_dtd=True,
                          forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise RDFInputRefused(f"refused: {exc}; RDF/XML needs no DTD or entities",
                              source=source) from exc
    except SAXParseException as exc:
        raise RDFInputError(f"not well-formed XML: {exc.getMessage()}", exc.getLineNumber(),
                            _column(exc), source=source) from exc


def _check_json_ld(text: str, source: str) -> None:
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise RDFInputError(f"not JSON: {exc.msg}", exc.lineno, exc.colno,
                            source=source) from exc
    except RecursionError as exc:
        raise RDFInputError("the JSON nests too deeply", source=source) from exc
    for key, value in _references(doc):
        line = _line_of(text, value)
        raise RDFInputRefused(
            f"{key} {value!r} refers to a context elsewhere, which is never fetched; put the "
            "context inline (a JSON object)", line, source=source)


def _references(node: Any) -> Iterator[tuple[str, str]]:
    """Every `@context` entry that is not an inline object, and every `@import`, anywhere in a
    JSON-LD document (iteratively: a deep document must not exhaust the stack)."""
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            for key, value in item.items():
                if key == "@context":
                    for ctx in value if isinstance(value, list) else [value]:
                        if ctx is not None and not isinstance(ctx, dict):
                            yield "@context", str(ctx)
                elif key == "@import":
                    yield "@import", str(value)
                stack.append(value)
        elif isinstance(item, list):
            stack.extend(item)


def _line_of(text: str, value: str) -> int | None:
    at = text.find(json.dumps(value))
    return text.count("\n", 0, at) + 1 if at >= 0 else None


def _position(text: str, index: int) -> tuple[int, int]:
    return text.count("\n", 0, index) + 1, index - (text.rfind("\n", 0, index) + 1) + 1


# ---------------------------------------------------------------------------------------------
# the network guard


_guard = threading.local()
_hook_lock = threading.Lock()
_hook_installed = False


def _deny_network(event: str, args: tuple[Any, ...]) -> None:
    if event in _NETWORK_EVENTS and getattr(_guard, "depth", 0) > 0:
        raise PermissionError(f"no network access while parsing untrusted RDF ({event})")


@contextmanager
def no_network() -> Iterator[None]:
    """Refuse outbound connections and name lookups in this thread for the duration.

    An audit hook cannot be removed, so one is installed per process, the first time, and does
    nothing outside this context manager (and in other threads).
    """
    global _hook_installed
    if not _hook_installed:
        with _hook_lock:
            if not _hook_installed:
                sys.addaudithook(_deny_network)
                _hook_installed = True
    _guard.depth = getattr(_guard, "depth", 0) + 1
    try:
        yield
    finally:
        _guard.depth -= 1


# ---------------------------------------------------------------------------------------------
# errors


def _explain(exc: BaseException, text: str, fmt: str, source: str) -> RDFInputError:
    """An RDFInputError that says where the parser stopped and why."""
    name = {"nt": "N-Triples", "nquads": "N-Quads", "json-ld": "JSON-LD", "xml": "RDF/XML",
            "trix": "TriX", "turtle": "Turtle", "trig": "TriG"}[fmt]
    if isinstance(exc, SAXParseException):
        return RDFInputError(f"not valid {name}: {exc.getMessage()}", exc.getLineNumber(),
                             _column(exc), source=source)
    if isinstance(exc, RecursionError):
        return RDFInputError(f"not accepted as {name}: it nests too deeply", source=source)
    if type(exc).__name__ == "BadSyntax":  # rdflib.plugins.parsers.notation3
        index = int(getattr(exc, "_i", 0))
        line, column = _position(text, min(index, len(text)))
        return RDFInputError(f"not valid {name}: {getattr(exc, '_why', exc)}", line, column,
                             source=source)
    if fmt in ("turtle", "trig") and isinstance(exc, IndexError | EOFError):
        last = text.rstrip().count("\n") + 1
        return RDFInputError(f"not valid {name}: the input ends in the middle of a statement "
                             "(truncated?)", last, source=source)
    if fmt in LINE_FORMATS:
        return RDFInputError(f"not valid {name}: {_first_line(exc)}",
                             _first_bad_line(text, fmt), source=source)
    return RDFInputError(f"not valid {name}: {_first_line(exc)}", source=source)


def _column(exc: SAXParseException) -> int | None:
    """expat counts columns from 0."""
    column = exc.getColumnNumber()
    return column + 1 if column is not None else None


def _first_line(exc: BaseException) -> str:
    message = str(exc).strip() or type(exc).__name__
    return message.splitlines()[0][:300]


def _first_bad_line(text: str, fmt: str) -> int | None:
    """N-Triples and N-Quads are line-based: find the first line that fails on its own."""
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        try:
            with no_network():
                (Dataset() if fmt in QUAD_FORMATS else Graph()).parse(data=line + "\n",
                                                                      format=fmt)
        except Exception:
            return number
    return None
