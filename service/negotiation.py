"""Content negotiation: pick a media type from `Accept` (with q-values), a `format` parameter or
a file extension, among the types a response can actually be produced in (`choose`), and for the
pages and resources of the current request (`for_request`; the SPARQL endpoint has its own rules
for `format=`, in service.sparql)."""

from __future__ import annotations

from collections.abc import Sequence

from flask import Response, abort, request
from werkzeug.datastructures import MIMEAccept
from werkzeug.http import parse_accept_header

#: SPARQL results (SELECT / ASK)
RESULTS_TYPES = [
    "application/sparql-results+json",
    "application/sparql-results+xml",
    "text/csv",
    "text/tab-separated-values",
]
#: RDF graphs (CONSTRUCT / DESCRIBE / resources)
GRAPH_TYPES = [
    "text/turtle",
    "application/ld+json",
    "application/n-triples",
    "application/rdf+xml",
    "application/trig",
    "application/n-quads",
]
HTML = "text/html"

#: short names accepted by `format=` and file extensions, -> media type
ALIASES: dict[str, str] = {
    "json": "application/sparql-results+json",
    "srj": "application/sparql-results+json",
    "xml": "application/sparql-results+xml",
    "srx": "application/sparql-results+xml",
    "csv": "text/csv",
    "tsv": "text/tab-separated-values",
    "ttl": "text/turtle",
    "turtle": "text/turtle",
    "jsonld": "application/ld+json",
    "json-ld": "application/ld+json",
    "nt": "application/n-triples",
    "ntriples": "application/n-triples",
    "rdf": "application/rdf+xml",
    "rdfxml": "application/rdf+xml",
    "rdf+xml": "application/rdf+xml",
    "n3": "text/turtle",
    "owl": "application/rdf+xml",
    "trig": "application/trig",
    "nq": "application/n-quads",
    "nquads": "application/n-quads",
    "html": HTML,
}
#: media type -> rdflib serializer name
RDFLIB_FORMATS: dict[str, str] = {
    "text/turtle": "turtle",
    "application/ld+json": "json-ld",
    "application/n-triples": "nt",
    "application/rdf+xml": "xml",
    "application/trig": "trig",
    "application/n-quads": "nquads",
}
#: media type -> file extension, for downloads
EXTENSIONS: dict[str, str] = {
    "application/sparql-results+json": "srj",
    "application/sparql-results+xml": "srx",
    "text/csv": "csv",
    "text/tab-separated-values": "tsv",
    "text/turtle": "ttl",
    "application/ld+json": "jsonld",
    "application/n-triples": "nt",
    "application/rdf+xml": "rdf",
    "application/trig": "trig",
    "application/n-quads": "nq",
    HTML: "html",
}
#: other names clients send for the same types
SYNONYMS: dict[str, str] = {
    "application/json": "application/sparql-results+json",
    "application/xml": "application/sparql-results+xml",
    "text/xml": "application/sparql-results+xml",
    "application/x-turtle": "text/turtle",
    "text/n3": "text/turtle",
    "text/plain": "application/n-triples",
    "application/xhtml+xml": HTML,
}


class NotAcceptable(Exception):
    """No offered type satisfies the request."""

    def __init__(self, requested: str, offered: Sequence[str]) -> None:
        self.requested = requested
        self.offered = list(offered)
        super().__init__(
            f"cannot produce {requested!r}; available: {', '.join(self.offered)}"
        )


def resolve_alias(name: str) -> str | None:
    """A `format=` value or extension -> media type (or None if unknown)."""
    name = name.strip().lower()
    if name in ALIASES:
        return ALIASES[name]
    if "/" in name:
        return SYNONYMS.get(name, name)
    return None


def choose(
    accept_header: str | None,
    offered: Sequence[str],
    *,
    override: str | None = None,
    default: str | None = None,
) -> str:
    """The best of `offered` for the request.

    `override` (a `format` parameter or extension) wins over `Accept`.  A missing or `*/*`
    Accept yields `default` (or the first offered type).

    Raises:
        NotAcceptable: nothing offered is acceptable.
    """
    if override:
        media = resolve_alias(override)
        if media is None or media not in offered:
            raise NotAcceptable(override, offered)
        return media
    fallback = default or offered[0]
    if not accept_header or not accept_header.strip():
        return fallback
    accept = parse_accept_header(accept_header, MIMEAccept)
    best_key: tuple[float, int, int] | None = None
    best: str | None = None
    for value, quality in accept:
        if quality <= 0:
            continue
        canonical = SYNONYMS.get(value.lower(), value.lower())
        if canonical in ("*/*", "*"):
            candidates = [fallback]
        elif canonical.endswith("/*"):
            major = canonical[:-1]
            candidates = [t for t in offered if t.startswith(major)]
            if fallback in candidates:
                candidates = [fallback]
        else:
            candidates = [canonical] if canonical in offered else []
        specificity = 0 if "*" in canonical else 1
        for cand in candidates:
            # prefer higher q, then a specific type over a wildcard, then the server's order
            key = (quality, specificity, -list(offered).index(cand))
            if best_key is None or key > best_key:
                best_key, best = key, cand
    if best is None:
        raise NotAcceptable(accept_header, offered)
    return best


def for_request(offered: Sequence[str], ext: str | None = None,
                default: str | None = None) -> str:
    """The media type a page or resource answers the current request in (`format=`, the URL's
    extension `ext`, or Accept); a 406 naming the available types when none fits."""
    override = ext or request.args.get("format") or None
    try:
        return choose(request.headers.get("Accept"), offered, override=override, default=default)
    except NotAcceptable as exc:
        abort(Response(f"406 Not Acceptable: {exc}\n", 406, mimetype="text/plain"))
