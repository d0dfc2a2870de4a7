"""SPARQL results and RDF graphs written in the service's media types.

One writer per format, used wherever a response body is made: in the query workers (service.executor
renders there when `Backend.run` is given a media type, so that the web process only moves bytes),
and by `ai45kg query`. No Flask here: the workers import it.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable
from xml.etree import ElementTree as ET

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import XSD
from rdflib.term import Node

from ai45kg.kg.stores import QueryResult
from ai45kg.kg.stores.base import ask_table, truncation_note

from . import negotiation

RESULTS_NS = "http://www.w3.org/2005/sparql-results#"


def content_type(media: str) -> str:
    """The Content-Type header for `media` (a charset for the text formats)."""
    if media.startswith("text/") or media.endswith(("+json", "+xml")) or media in (
        "application/n-triples", "application/trig", "application/n-quads",
    ):
        return f"{media}; charset=utf-8"
    return media


def renders(form: str, media: str) -> bool:
    """Whether `render` writes a result of query form `form` (SELECT, ASK, CONSTRUCT,
    DESCRIBE) in `media`."""
    if form in ("SELECT", "ASK"):
        return media in _RESULT_WRITERS
    return media in negotiation.RDFLIB_FORMATS

def render(result: QueryResult, media: str, *, truncated: bool = False,
           max_rows: int | None = None) -> bytes:
    """A query's result in one of the negotiated media types; `truncated` (the row cap cut it,
    at `max_rows`) adds a note where the format has room for one.

    Raises:
        ValueError: `media` does not fit the query form (the caller negotiated wrongly).
    """
    if result.type in ("SELECT", "ASK"):
        writer = _RESULT_WRITERS.get(media)
        if writer is None:
            raise ValueError(f"{media} is not a SPARQL results format")
        return writer(result, truncated, max_rows)
    graph = result.graph if result.graph is not None else Graph()
    fmt = negotiation.RDFLIB_FORMATS.get(media)
    if fmt is None:
        raise ValueError(f"{media} is not an RDF format")
    if fmt == "nquads":  # a CONSTRUCT result is one default graph: N-Quads = N-Triples
        fmt = "nt"
    return graph.serialize(format=fmt, encoding="utf-8")


def _json_term(term: Node) -> dict[str, str]:
    if isinstance(term, URIRef):
        return {"type": "uri", "value": str(term)}
    if isinstance(term, BNode):
        return {"type": "bnode", "value": str(term)}
    if isinstance(term, Literal):
        out = {"type": "literal", "value": str(term)}
        if term.language:
            out["xml:lang"] = term.language
        elif term.datatype is not None:
            out["datatype"] = str(term.datatype)
        return out
    return {"type": "literal", "value": str(term)}


def _truncation_note(truncated: bool, max_rows: int | None) -> dict[str, object]:
    if not truncated:
        return {}
    return {"truncated": True, "note": truncation_note(max_rows)}


def _write_json(result: QueryResult, truncated: bool, max_rows: int | None) -> bytes:
    doc: dict[str, object]
    if result.type == "ASK":
        doc = {"head": {}, "boolean": bool(result.boolean)}
    else:
        bindings = [
            {var: _json_term(value) for var, value in zip(result.vars, row, strict=False)
             if value is not None}
            for row in result.rows
        ]
        doc = {"head": {"vars": list(result.vars)}, "results": {"bindings": bindings}}
    doc.update(_truncation_note(truncated, max_rows))
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _write_xml(result: QueryResult, truncated: bool, max_rows: int | None) -> bytes:
    root = ET.Element("sparql", xmlns=RESULTS_NS)
    head = ET.SubElement(root, "head")
    if result.type == "ASK":
        ET.SubElement(root, "boolean").text = "true" if result.boolean else "false"
    else:
        for var in result.vars:
            ET.SubElement(head, "variable", name=var)
        results = ET.SubElement(root, "results")
        for row in result.rows:
            element = ET.SubElement(results, "result")
            for var, value in zip(result.vars, row, strict=False):
                if value is None:
                    continue
                binding = ET.SubElement(element, "binding", name=var)
                if isinstance(value, URIRef):
                    ET.SubElement(binding, "uri").text = str(value)
                elif isinstance(value, BNode):
                    ET.SubElement(binding, "bnode").text = str(value)
                else:
                    attrs = {}
                    if isinstance(value, Literal) and value.language:
                        attrs["xml:lang"] = value.language
                    elif isinstance(value, Literal) and value.datatype is not None:
                        attrs["datatype"] = str(value.datatype)
                    ET.SubElement(binding, "literal", attrs).text = str(value)
    if truncated:
        root.insert(0, ET.Comment(" " + str(_truncation_note(truncated, max_rows)["note"]) + " "))
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def _csv_value(term: Node | None) -> str:
    if term is None:
        return ""
    if isinstance(term, BNode):
        return f"_:{term}"
    return str(term)


def _write_csv(result: QueryResult, truncated: bool, max_rows: int | None) -> bytes:
    """SPARQL 1.1 Query Results CSV: header without '?', CRLF, plain values. ASK (which the
    format does not define) is written as Jena does: `_askResult` and true/false."""
    if result.type == "ASK":
        return ask_table(bool(result.boolean), "text/csv")
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(result.vars)
    writer.writerows([_csv_value(v) for v in row] for row in result.rows)
    return out.getvalue().encode("utf-8")


_TSV_ESCAPES = str.maketrans({"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"})


#: datatypes whose literals Turtle writes bare when their lexical form is Turtle's own
_BARE_LITERALS = {
    XSD.integer: re.compile(r"[+-]?\d+"),
    XSD.decimal: re.compile(r"[+-]?\d*\.\d+"),
    XSD.double: re.compile(r"[+-]?(\d+\.\d*|\.?\d+)[eE][+-]?\d+"),
    XSD.boolean: re.compile(r"true|false"),
}


def _tsv_value(term: Node | None) -> str:
    """A term in Turtle / SPARQL syntax, as SPARQL 1.1 TSV requires (numbers and booleans in
    Turtle's short form where their lexical form allows, as Oxigraph writes them)."""
    if term is None:
        return ""
    if isinstance(term, URIRef):
        return f"<{term}>"
    if isinstance(term, BNode):
        return f"_:{term}"
    if isinstance(term, Literal):
        bare = _BARE_LITERALS.get(term.datatype) if term.datatype is not None else None
        if bare is not None and bare.fullmatch(str(term)):
            return str(term)
        text = '"' + str(term).translate(_TSV_ESCAPES) + '"'
        if term.language:
            return f"{text}@{term.language}"
        if term.datatype is not None and term.datatype != XSD.string:
            return f"{text}^^<{term.datatype}>"
        return text
    return str(term)


def _write_tsv(result: QueryResult, truncated: bool, max_rows: int | None) -> bytes:
    """SPARQL 1.1 Query Results TSV: header of `?var`s, terms in SPARQL syntax, LF."""
    if result.type == "ASK":
        return ask_table(bool(result.boolean), "text/tab-separated-values")
    lines: Iterable[str] = ["\t".join("?" + v for v in result.vars)]
    lines = [*lines, *("\t".join(_tsv_value(v) for v in row) for row in result.rows)]
    return ("\n".join(lines) + "\n").encode("utf-8")


_RESULT_WRITERS = {
    "application/sparql-results+json": _write_json,
    "application/sparql-results+xml": _write_xml,
    "text/csv": _write_csv,
    "text/tab-separated-values": _write_tsv,
}
