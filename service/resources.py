"""Linked data: every IRI under BASE_IRI is served at the matching local path.

- `/id/...`       a resource: an HTML page (labels, definition, every relation with its evidence
                  and its named graph, cited works, what links here) or its description in an RDF
                  syntax (by `Accept`, by `?format=` or by extension: /id/level/autonomy.ttl);
- `/ontology`     human documentation of the ontology (pyLODE-like), or the OWL in an RDF syntax;
- `/graph/...`    a named graph: what it holds, or its triples in an RDF syntax.

Unknown IRIs answer 404 with a page that suggests resources with similar labels. All data comes
through `Backend.run` with the IRI passed as a binding, never pasted into the query.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from flask import Blueprint, Response, abort, current_app, render_template, request
from rdflib import BNode, Dataset, Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF, RDFS, SKOS
from rdflib.term import Node

from ai45kg.kg.load import bind_prefixes
from ai45kg.kg.namespaces import AI45, GRAPH, PREFIXES

from . import negotiation as neg
from .labels import Labels, TermView, base_iri, cached, get_labels, graph_description

bp = Blueprint("resources", __name__)

#: what a resource, the ontology or a graph can be answered in; HTML first (for browsers)
RDF_TYPES = [
    "text/turtle",
    "application/ld+json",
    "application/n-triples",
    "application/rdf+xml",
    "application/trig",
    "application/n-quads",
]
OFFERED = [neg.HTML, *RDF_TYPES]
#: the formats offered as links on every page (extension, name)
FORMAT_LINKS = [
    ("ttl", "Turtle"),
    ("jsonld", "JSON-LD"),
    ("nt", "N-Triples"),
    ("rdf", "RDF/XML"),
    ("trig", "TriG"),
    ("nq", "N-Quads"),
]
#: how many links of one property the page lists before pointing to a query for the rest
MAX_LISTED = 60
#: most rows one page's query may return
PAGE_ROWS = 5000

_PREFIXES = "\n".join(f"PREFIX {p}: <{ns}>" for p, ns in PREFIXES.items())

EXISTS = """
ASK { { ?s ?p ?o } UNION { ?x ?p ?s } }
"""

#: the resource's description as quads: its statements, its blank nodes, the axioms that annotate
#: its statements with their evidence, and the labels of what it links to
DESCRIBE = (
    _PREFIXES
    + """
SELECT ?g ?x ?y ?z WHERE {
  { GRAPH ?g { ?s ?y ?z } BIND(?s AS ?x) }
  UNION { GRAPH ?g { ?s ?p0 ?x . FILTER(isBlank(?x)) ?x ?y ?z } }
  UNION { GRAPH ?g { ?x owl:annotatedSource ?s ; ?y ?z } }
  UNION { GRAPH ?g { ?ax owl:annotatedSource ?s ; ai45:evidence ?x . ?x ?y ?z } }
  UNION { ?s ?p1 ?x . FILTER(isIRI(?x)) GRAPH ?g { ?x rdfs:label ?z } BIND(rdfs:label AS ?y) }
}
"""
)

OUTGOING = """
SELECT ?g ?p ?o ?bp ?bo WHERE {
  GRAPH ?g { ?s ?p ?o OPTIONAL { FILTER(isBlank(?o)) ?o ?bp ?bo } }
}
"""

#: links to the resource, without the bookkeeping of evidence and inference (axioms and the
#: reified premises of inferred statements), which the page shows next to each statement
INCOMING = """
PREFIX owl: <http://www.w3.org/2002/07/owl#>
PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
SELECT ?g ?x ?p WHERE {
  GRAPH ?g { ?x ?p ?s }
  FILTER(isIRI(?x) && ?p NOT IN (owl:annotatedSource, owl:annotatedTarget, rdf:subject,
                                 rdf:object))
}
"""

EVIDENCE = (
    _PREFIXES
    + """
SELECT ?src ?prop ?tgt ?ev ?quote ?section ?version ?status ?note ?rule WHERE {
  { ?ax owl:annotatedSource ?s } UNION { ?ax owl:annotatedTarget ?s }
  ?ax owl:annotatedSource ?src ; owl:annotatedProperty ?prop ; owl:annotatedTarget ?tgt .
  OPTIONAL {
    ?ax ai45:evidence ?ev .
    OPTIONAL { ?ev ai45:quote ?quote }
    OPTIONAL { ?ev ai45:section ?section }
    OPTIONAL { ?ev ai45:quotedFrom ?version }
    OPTIONAL { ?ev ai45:evidenceStatus ?status }
    OPTIONAL { ?ev ai45:interpretationNote ?note }
  }
  OPTIONAL { ?ax ai45:derivedBy ?rule }
}
"""
)

CITED_WORKS = (
    _PREFIXES
    + """
SELECT DISTINCT ?work ?title ?year WHERE {
  ?s ai45:citesWork ?work .
  OPTIONAL { ?work dcterms:title ?title }
  OPTIONAL { ?work dcterms:issued ?year }
}
"""
)

GRAPH_TRIPLES = """
CONSTRUCT { ?s ?p ?o } WHERE { GRAPH ?g { ?s ?p ?o } }
"""

GRAPH_TYPES = """
SELECT ?type (COUNT(DISTINCT ?x) AS ?n) WHERE { GRAPH ?g { ?x a ?type } }
GROUP BY ?type ORDER BY DESC(?n)
"""

GRAPH_MEMBERS = """
SELECT DISTINCT ?x ?type WHERE { GRAPH ?g { ?x a ?type } FILTER(isIRI(?x)) }
"""

#: instances of the ontology's classes (the class pattern first: a few lookups, not a scan)
INSTANCES = """
PREFIX owl: <http://www.w3.org/2002/07/owl#>
SELECT ?class ?x WHERE {
  GRAPH ?onto { ?class a owl:Class }
  ?x a ?class .
  FILTER(isIRI(?class) && isIRI(?x))
}
"""

_HEADER_PROPERTIES = {RDFS.label, SKOS.prefLabel, SKOS.definition}


# --------------------------------------------------------------------------- serialisation


def serialize(quads: Iterable[tuple[Node, Node, Node, Node | None]], media: str) -> bytes:
    """Quads in `media`: TriG and N-Quads keep the named graphs, the others the union."""
    fmt = neg.RDFLIB_FORMATS[media]
    target: Graph
    if media in ("application/trig", "application/n-quads"):
        ds = Dataset()
        bind_prefixes(ds)
        for s, p, o, g in quads:
            graph = ds.graph(g) if isinstance(g, URIRef) else ds.default_graph
            graph.add((s, p, o))
        target = ds
    else:
        target = Graph()
        bind_prefixes(target)
        for s, p, o, _ in quads:
            target.add((s, p, o))
    if fmt == "json-ld":
        used = {p: ns for p, ns in PREFIXES.items()}
        return target.serialize(format="json-ld", context=used, auto_compact=True,
                                encoding="utf-8")
    return target.serialize(format=fmt, encoding="utf-8")


def rdf_response(data: bytes, media: str, alternates: str, filename: str | None = None) -> Response:
    response = Response(data, mimetype=media)
    _vary(response, alternates)
    if filename:
        ext = neg.EXTENSIONS[media]
        response.headers["Content-Disposition"] = f'inline; filename="{filename}.{ext}"'
    return response


def _vary(response: Response, alternates: str) -> None:
    response.vary.add("Accept")
    response.headers["Link"] = ", ".join(
        f'<{alternates}.{ext}>; rel="alternate"; type="{neg.ALIASES[ext]}"'
        for ext, _ in FORMAT_LINKS
    )


def html_response(body: str, alternates: str | None, status: int = 200) -> Response:
    response = Response(body, status, mimetype="text/html")
    if alternates:
        _vary(response, alternates)
    return response


def run(sparql: str, bindings: Mapping[str, Node] | None = None,
        max_rows: int | None = None) -> Any:
    """Backend.run with this module's defaults; a QueryError becomes an error page."""
    from .backend import QueryError

    backend = current_app.extensions["ai45kg"]
    try:
        return backend.run(sparql, bindings=bindings or {}, max_rows=max_rows or PAGE_ROWS)
    except QueryError as exc:
        abort(Response(render_template("error.html", title="The data could not be read",
                                       message=exc.message), exc.status, mimetype="text/html"))


def split_extension(rest: str) -> tuple[str, str | None]:
    """("level/autonomy", "ttl") for "level/autonomy.ttl"; the extension must be a known one."""
    stem, dot, ext = rest.rpartition(".")
    if dot and stem and ext.lower() in neg.ALIASES and "/" not in ext:
        return stem, ext.lower()
    return rest, None


# --------------------------------------------------------------------------- view models


@dataclass
class EvidenceView:
    node: TermView | None
    status: str | None
    status_term: TermView | None
    quote: str | None
    sections: list[str] = field(default_factory=list)
    versions: list[TermView] = field(default_factory=list)
    note: str | None = None


@dataclass
class ValueView:
    term: TermView
    graphs: list[TermView] = field(default_factory=list)
    evidence: list[EvidenceView] = field(default_factory=list)
    rules: list[TermView] = field(default_factory=list)
    nested: list[tuple[TermView, TermView]] = field(default_factory=list)

    @property
    def status(self) -> str | None:
        """stated if any evidence states it, else interpreted if any interprets it."""
        statuses = {e.status for e in self.evidence}
        if "stated" in statuses:
            return "stated"
        if "interpreted" in statuses:
            return "interpreted"
        return None


@dataclass
class PropertyGroup:
    prop: TermView
    values: list[ValueView]
    more: int = 0
    more_query: str | None = None


@dataclass
class CitedWorkView:
    work: TermView
    title: str
    year: str | None


def _key(*terms: Node | None) -> tuple[str, ...]:
    return tuple(t.n3() if t is not None else "" for t in terms)


def _status_name(term: Node | None) -> str | None:
    if term == AI45.stated:
        return "stated"
    if term == AI45.interpreted:
        return "interpreted"
    return None


def evidence_index(rows: Iterable[Sequence[Node | None]], labels: Labels) -> tuple[
    dict[tuple[str, ...], list[EvidenceView]], dict[tuple[str, ...], list[TermView]]
]:
    """Evidence and inference rules per statement (source, property, target)."""
    grouped: dict[tuple[str, ...], dict[str, dict[str, Any]]] = defaultdict(dict)
    rules: dict[tuple[str, ...], dict[str, TermView]] = defaultdict(dict)
    for src, prop, tgt, ev, quote, section, version, status, note, rule in rows:
        key = _key(src, prop, tgt)
        if rule is not None:
            view = labels.view(rule)
            if view is not None:
                rules[key][str(rule)] = view
        if ev is None:
            continue
        entry = grouped[key].setdefault(
            ev.n3(),
            {"node": ev, "quote": None, "sections": set(), "versions": {}, "status": None,
             "note": None},
        )
        if quote is not None:
            entry["quote"] = str(quote)
        if section is not None:
            entry["sections"].add(str(section))
        if version is not None:
            entry["versions"][str(version)] = version
        if status is not None:
            entry["status"] = status
        if note is not None:
            entry["note"] = str(note)
    evidence: dict[tuple[str, ...], list[EvidenceView]] = {}
    for key, entries in grouped.items():
        views = []
        for entry in entries.values():
            node = entry["node"]
            views.append(EvidenceView(
                node=labels.view(node) if isinstance(node, URIRef) else None,
                status=_status_name(entry["status"]),
                status_term=labels.view(entry["status"]),
                quote=entry["quote"],
                sections=sorted(entry["sections"]),
                versions=[v for v in (labels.view(x) for x in entry["versions"].values()) if v],
                note=entry["note"],
            ))
        views.sort(key=lambda e: (e.status != "stated", e.quote or ""))
        evidence[key] = views
    return evidence, {k: sorted(v.values(), key=lambda t: t.text) for k, v in rules.items()}


def _sort_groups(groups: dict[str, PropertyGroup]) -> list[PropertyGroup]:
    def order(group: PropertyGroup) -> tuple[int, str]:
        return (0 if group.prop.value == str(RDF.type) else 1, group.prop.text.lower())

    out = sorted(groups.values(), key=order)
    for group in out:
        group.values.sort(key=lambda v: (v.term.kind != "iri", v.term.text.lower()))
    return out


def describe_resource(iri: URIRef, labels: Labels) -> dict[str, Any]:
    """Everything the resource page shows about `iri`."""
    b = {"s": iri}
    evidence, rules = evidence_index(run(EVIDENCE, b).result.rows, labels)

    groups: dict[str, PropertyGroup] = {}
    values: dict[tuple[str, str], ValueView] = {}
    header: dict[str, list[Node]] = defaultdict(list)
    for g, p, o, bp, bo in run(OUTGOING, b).result.rows:
        if p in _HEADER_PROPERTIES:
            if o not in header[str(p)]:
                header[str(p)].append(o)
            continue
        group = groups.get(str(p))
        if group is None:
            group = groups[str(p)] = PropertyGroup(labels.view(p), [])  # type: ignore[arg-type]
        value = values.get((str(p), o.n3()))
        if value is None:
            view = labels.view(o)
            assert view is not None
            key = _key(iri, p, o)
            value = values[(str(p), o.n3())] = ValueView(
                view, evidence=evidence.get(key, []), rules=rules.get(key, [])
            )
            group.values.append(value)
        gview = labels.view(g)
        if gview and gview not in value.graphs:
            value.graphs.append(gview)
        if bp is not None and bo is not None:
            pair = (labels.view(bp), labels.view(bo))
            if pair not in value.nested:
                value.nested.append(pair)  # type: ignore[arg-type]

    incoming_groups: dict[str, PropertyGroup] = {}
    incoming_values: dict[tuple[str, str], ValueView] = {}
    outcome = run(INCOMING, b)
    for g, x, p in outcome.result.rows:
        group = incoming_groups.get(str(p))
        if group is None:
            group = incoming_groups[str(p)] = PropertyGroup(labels.view(p), [])  # type: ignore[arg-type]
        value = incoming_values.get((str(p), x.n3()))
        if value is None:
            if len(group.values) >= MAX_LISTED:
                group.more += 1
                continue
            key = _key(x, p, iri)
            view = labels.view(x)
            assert view is not None
            value = incoming_values[(str(p), x.n3())] = ValueView(
                view, evidence=evidence.get(key, []), rules=rules.get(key, [])
            )
            group.values.append(value)
        gview = labels.view(g)
        if gview and gview not in value.graphs:
            value.graphs.append(gview)
    for group in incoming_groups.values():
        if group.more:
            group.more_query = _more_query(group.prop.value, str(iri))

    works = []
    for work, title, year in run(CITED_WORKS, b).result.rows:
        view = labels.view(work)
        assert view is not None
        works.append(CitedWorkView(view, str(title) if title is not None else view.text,
                                   str(year) if year is not None else None))
    works.sort(key=lambda w: (w.year or "9999", w.title.lower()))

    types = [labels.view(t) for t in _types(groups)]
    definitions = [str(d) for d in header.get(str(SKOS.definition), [])]
    alt = [str(x) for x in header.get(str(SKOS.prefLabel), []) + header.get(str(RDFS.label), [])]
    title = labels.get(iri) or labels.text(iri)
    return {
        "iri": str(iri),
        "title": title,
        "other_labels": sorted({a for a in alt if a != title}),
        "types": [t for t in types if t],
        "definitions": definitions,
        "outgoing": _sort_groups(groups),
        "outgoing_count": sum(len(g.values) for g in groups.values()),
        "incoming": _sort_groups(incoming_groups),
        "incoming_count": sum(len(g.values) + g.more for g in incoming_groups.values()),
        "incoming_truncated": outcome.truncated,
        "works": works,
    }


_SAFE_IRI = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:[^\s<>\"{}|^`\\]*$")


def _more_query(prop: str, iri: str) -> str | None:
    """A query a person can run (on the query page) for every link of one property.

    It is shown to the user, not run by the server; both IRIs come from the dataset and are
    checked to be valid IRI references before they are written into the text."""
    if not (_SAFE_IRI.match(prop) and _SAFE_IRI.match(iri)):
        return None
    return (
        f"SELECT ?subject ?graph WHERE {{\n  GRAPH ?graph {{ ?subject <{prop}> <{iri}> }}\n}}"
    )


def _types(groups: dict[str, PropertyGroup]) -> list[URIRef]:
    group = groups.get(str(RDF.type))
    if group is None:
        return []
    stated = [v for v in group.values if any(not g.value.endswith("/inferred") for g in v.graphs)]
    return [URIRef(v.term.value) for v in (stated or group.values)]


def not_found(
    iri: str, kind: str = "resource", extra: list[tuple[str, str]] | None = None
) -> Response:
    """404 for an IRI that is not in the dataset, with resources of similar label."""
    labels = get_labels()
    tail = iri[len(base_iri()):] if iri.startswith(base_iri()) else iri
    suggestions = [labels.view(URIRef(s)) for s, _ in labels.suggest(tail.split("/", 1)[-1])]
    media = "text/plain"
    try:
        media = neg.choose(request.headers.get("Accept"), [neg.HTML, "text/plain"],
                           default=neg.HTML)
    except neg.NotAcceptable:
        pass
    if media != neg.HTML:
        lines = [f"404 Not Found: <{iri}> is not a {kind} of this dataset."]
        if suggestions:
            lines.append("Similar resources:")
            lines += [f"  {s.text} <{s.value}>" for s in suggestions if s]
        return Response("\n".join(lines) + "\n", 404, mimetype="text/plain")
    body = render_template(
        "not_found.html", iri=iri, kind=kind, suggestions=[s for s in suggestions if s],
        extra=extra or [],
    )
    return Response(body, 404, mimetype="text/html")


# --------------------------------------------------------------------------- routes


@bp.get("/id/<path:rest>")
def resource(rest: str) -> Response:
    """A resource of the dataset as HTML or RDF (by Accept, ?format= or extension)."""
    base = base_iri()
    iri = URIRef(base + "id/" + rest)
    ext = None
    if not _exists(iri):
        stem, ext = split_extension(rest)
        iri = URIRef(base + "id/" + stem)
        if ext is None or not _exists(iri):
            return not_found(base + "id/" + rest)
        rest = stem
    media = neg.for_request(OFFERED, ext, default=neg.HTML)
    alternates = f"{request.script_root}/id/{rest}"
    if media == neg.HTML:
        labels = get_labels()
        page = describe_resource(iri, labels)
        return html_response(
            render_template("resource.html", r=page, alternates=alternates, formats=FORMAT_LINKS),
            alternates,
        )
    outcome = run(DESCRIBE, {"s": iri}, max_rows=current_app.extensions["ai45kg"].max_rows)
    quads = [(x, y, z, g) for g, x, y, z in outcome.result.rows]
    return rdf_response(serialize(quads, media), media, alternates,
                        filename=rest.replace("/", "-"))


def _exists(iri: URIRef) -> bool:
    return bool(run(EXISTS, {"s": iri}).result.boolean)


@bp.get("/ontology")
@bp.get("/ontology.<ext>")
def ontology(ext: str | None = None) -> Response:
    """The ontology: documentation for people, the OWL file for machines."""
    if ext is not None and ext.lower() not in neg.ALIASES:
        return not_found(base_iri() + "ontology." + ext, kind="document")
    media = neg.for_request(OFFERED, ext, default=neg.HTML)
    alternates = f"{request.script_root}/ontology"
    if media == neg.HTML:
        doc = cached("ontology-doc",
                     lambda: document(ontology_graph(), get_labels(), instances=_instances()))
        return html_response(
            render_template("ontology.html", doc=doc, alternates=alternates,
                            formats=FORMAT_LINKS),
            alternates,
        )
    quads = [(s, p, o, GRAPH["ontology"]) for s, p, o in ontology_graph()]
    return rdf_response(serialize(quads, media), media, alternates, filename="ai45")


@bp.get("/ontology/<path:version>")
def ontology_version(version: str) -> Response:
    """The ontology's version IRI (owl:versionIRI) answers with the ontology it names."""
    onto = ontology_graph()
    wanted = URIRef(base_iri() + "ontology/" + version)
    stem, ext = split_extension(version)
    for candidate, extension in ((wanted, None), (URIRef(base_iri() + "ontology/" + stem), ext)):
        if (None, OWL.versionIRI, candidate) in onto:
            return ontology(extension)
    return not_found(str(wanted), kind="version of the ontology")


def ontology_graph() -> Graph:
    """The ontology named graph, as one rdflib Graph (blank nodes kept)."""
    backend = current_app.extensions["ai45kg"]
    outcome = run(GRAPH_TRIPLES, {"g": GRAPH["ontology"]}, max_rows=backend.max_rows)
    graph = outcome.result.graph if outcome.result.graph is not None else Graph()
    bind_prefixes(graph)
    return graph


def _instances() -> dict[str, list[URIRef]]:
    """Instances of each ai45 class in the data, for the ontology page's examples."""
    out: dict[str, list[URIRef]] = defaultdict(list)
    outcome = run(INSTANCES, {"onto": GRAPH["ontology"]}, max_rows=50_000)
    for cls, x in outcome.result.rows:
        if str(cls).startswith(str(AI45)):
            out[str(cls)].append(x)
    return out


@bp.get("/graph/<path:name>")
def named_graph(name: str) -> Response:
    """A named graph of the dataset: what it holds, or its triples."""
    backend = current_app.extensions["ai45kg"]
    known = {str(g) for g in backend.graph_names()}
    iri = base_iri() + "graph/" + name
    ext = None
    if iri not in known:
        stem, ext = split_extension(name)
        iri = base_iri() + "graph/" + stem
        if ext is None or iri not in known:
            labels = get_labels()
            extra = [(g, labels.text(URIRef(g))) for g in sorted(known)]
            return not_found(base_iri() + "graph/" + name, kind="named graph", extra=extra)
        name = stem
    media = neg.for_request(OFFERED, ext, default=neg.HTML)
    alternates = f"{request.script_root}/graph/{name}"
    g = URIRef(iri)
    if media != neg.HTML:
        outcome = run(GRAPH_TRIPLES, {"g": g}, max_rows=backend.max_rows)
        graph = outcome.result.graph or Graph()
        response = rdf_response(serialize(((s, p, o, g) for s, p, o in graph), media), media,
                                alternates, filename=f"ai45kg-{name.replace('/', '-')}")
        # as /sparql does: say whether the row cap cut the answer (the dumps have everything)
        response.headers["AI45-Truncated"] = "true" if outcome.truncated else "false"
        return response

    labels = get_labels()
    types = [(labels.view(t), int(n)) for t, n in run(GRAPH_TYPES, {"g": g}).result.rows]
    members: dict[str, list[TermView]] = defaultdict(list)
    outcome = run(GRAPH_MEMBERS, {"g": g})
    for x, t in outcome.result.rows:
        view = labels.view(x)
        if view is not None:
            members[str(t)].append(view)
    by_type = []
    for tview, n in types:
        if tview is None:
            continue
        listed = sorted(members.get(tview.value, []), key=lambda v: v.text.lower())
        by_type.append((tview, n, listed[:MAX_LISTED], max(0, len(listed) - MAX_LISTED)))
    triples = backend.manifest.get("triples", {}).get(iri)
    page = {
        "iri": iri,
        "title": labels.text(g),
        "description": graph_description(iri),
        "triples": triples,
        "max_rows": backend.max_rows,
        "types": by_type,
        "truncated": outcome.truncated,
    }
    return html_response(
        render_template("graph.html", g=page, alternates=alternates, formats=FORMAT_LINKS),
        alternates,
    )



# --------------------------------------------------------------------------- ontology documentation

Token = TermView | str

_CHARACTERISTICS = [
    (OWL.FunctionalProperty, "functional"),
    (OWL.InverseFunctionalProperty, "inverse functional"),
    (OWL.TransitiveProperty, "transitive"),
    (OWL.SymmetricProperty, "symmetric"),
    (OWL.AsymmetricProperty, "asymmetric"),
    (OWL.ReflexiveProperty, "reflexive"),
    (OWL.IrreflexiveProperty, "irreflexive"),
]
_CARDINALITIES = [
    (OWL.cardinality, "exactly"),
    (OWL.qualifiedCardinality, "exactly"),
    (OWL.minCardinality, "min"),
    (OWL.minQualifiedCardinality, "min"),
    (OWL.maxCardinality, "max"),
    (OWL.maxQualifiedCardinality, "max"),
]
#: the kinds of terms the documentation has a section for, in order
_SECTIONS = [
    ("classes", "Classes", OWL.Class),
    ("object-properties", "Object properties", OWL.ObjectProperty),
    ("datatype-properties", "Datatype properties", OWL.DatatypeProperty),
    ("annotation-properties", "Annotation properties", OWL.AnnotationProperty),
    ("individuals", "Named individuals", OWL.NamedIndividual),
]
#: how many instances of a class the documentation names
_EXAMPLES = 12


@dataclass
class TermDoc:
    """One term of the ontology as the documentation shows it."""

    iri: str
    anchor: str
    label: str
    curie: str | None
    definitions: list[str]
    rows: list[tuple[str, list[list[Token]]]]
    deprecated: bool = False


def _list(graph: Graph, node: Node) -> list[Node]:
    from rdflib.collection import Collection

    try:
        return list(Collection(graph, node))  # type: ignore[arg-type]
    except Exception:  # a malformed list: show nothing rather than fail the page
        return []


def class_expression(graph: Graph, node: Node, labels: Labels, depth: int = 0) -> list[Token]:
    """A class expression in Manchester-like words, as tokens (links and text)."""
    if not isinstance(node, BNode) or depth > 4:
        view = labels.view(node)
        return [view] if view is not None else []
    prop = graph.value(node, OWL.onProperty)
    if prop is not None:
        head: list[Token] = [t for t in [labels.view(prop)] if t]
        for pred, word in _CARDINALITIES:
            n = graph.value(node, pred)
            if n is not None:
                filler = graph.value(node, OWL.onClass) or graph.value(node, OWL.onDataRange)
                tail = class_expression(graph, filler, labels, depth + 1) if filler else []
                return [*head, f" {word} {n} ", *tail]
        for pred, word in ((OWL.someValuesFrom, "some"), (OWL.allValuesFrom, "only")):
            filler = graph.value(node, pred)
            if filler is not None:
                return [*head, f" {word} ", *class_expression(graph, filler, labels, depth + 1)]
        value = graph.value(node, OWL.hasValue)
        if value is not None:
            return [*head, " value ", *[t for t in [labels.view(value)] if t]]
        return head
    for pred, word in ((OWL.unionOf, " or "), (OWL.intersectionOf, " and ")):
        members = graph.value(node, pred)
        if members is not None:
            out: list[Token] = ["("]
            for i, m in enumerate(_list(graph, members)):
                if i:
                    out.append(word)
                out.extend(class_expression(graph, m, labels, depth + 1))
            return [*out, ")"]
    members = graph.value(node, OWL.oneOf)
    if members is not None:
        out = ["one of {"]
        for i, m in enumerate(_list(graph, members)):
            if i:
                out.append(", ")
            out.extend(class_expression(graph, m, labels, depth + 1))
        return [*out, "}"]
    complement = graph.value(node, OWL.complementOf)
    if complement is not None:
        return ["not ", *class_expression(graph, complement, labels, depth + 1)]
    return ["an anonymous class"]


def _anchor(iri: str) -> str:
    return re.split(r"[#/]", iri)[-1] or iri


def document(graph: Graph, labels: Labels, instances: dict[str, list[URIRef]]) -> dict[str, Any]:
    """The ontology as sections of documented terms (what /ontology shows, after pyLODE)."""
    ns = str(AI45)
    onto = next((s for s in graph.subjects(RDF.type, OWL.Ontology) if isinstance(s, URIRef)),
                None)

    def views(nodes: Iterable[Node]) -> list[list[Token]]:
        out = [class_expression(graph, n, labels) for n in nodes]
        return sorted((t for t in out if t), key=_token_text)

    def own(term: Node) -> bool:
        return isinstance(term, URIRef) and str(term).startswith(ns)

    disjoint: dict[Node, set[Node]] = defaultdict(set)
    for a, b in graph.subject_objects(OWL.disjointWith):
        disjoint[a].add(b)
        disjoint[b].add(a)
    for group in graph.subjects(RDF.type, OWL.AllDisjointClasses):
        members = _list(graph, graph.value(group, OWL.members))  # type: ignore[arg-type]
        for m in members:
            disjoint[m].update(x for x in members if x != m)

    sections = []
    seen: set[str] = set()
    for section_id, title, kind in _SECTIONS:
        terms = []
        for term in sorted(set(graph.subjects(RDF.type, kind)), key=str):
            if not own(term) or str(term) in seen:
                continue
            seen.add(str(term))
            rows: list[tuple[str, list[list[Token]]]] = []
            if kind == OWL.Class:
                supers = [o for o in graph.objects(term, RDFS.subClassOf)]
                rows += [
                    ("Superclasses", views(o for o in supers if not isinstance(o, BNode))),
                    ("Restrictions", views(o for o in supers if isinstance(o, BNode))),
                    ("Subclasses", views(graph.subjects(RDFS.subClassOf, term))),
                    ("Equivalent to", views(graph.objects(term, OWL.equivalentClass))),
                    ("Disjoint with", views(disjoint.get(term, ()))),
                    ("In domain of", views(graph.subjects(RDFS.domain, term))),
                    ("In range of", views(graph.subjects(RDFS.range, term))),
                ]
                found = instances.get(str(term), [])
                examples = sorted((v for v in (labels.view(x) for x in found) if v),
                                  key=lambda v: v.text.lower())
                shown: list[list[Token]] = [[v] for v in examples[:_EXAMPLES]]
                if len(found) > _EXAMPLES:
                    shown.append([f"and {len(found) - _EXAMPLES} more"])
                rows.append((f"Instances ({len(found)})" if found else "Instances", shown))
            elif kind == OWL.NamedIndividual:
                rows += [
                    ("Types", views(t for t in graph.objects(term, RDF.type) if t != kind)),
                ]
            else:
                chars: list[list[Token]] = [
                    [word] for c, word in _CHARACTERISTICS if (term, RDF.type, c) in graph]
                chains = []
                for chain in graph.objects(term, OWL.propertyChainAxiom):
                    tokens: list[Token] = []
                    for i, step in enumerate(_list(graph, chain)):
                        if i:
                            tokens.append(" o ")
                        tokens.extend(class_expression(graph, step, labels))
                    chains.append(tokens)
                inverse = list(graph.objects(term, OWL.inverseOf)) + list(
                    graph.subjects(OWL.inverseOf, term))
                rows += [
                    ("Characteristics", chars),
                    ("Domain", views(graph.objects(term, RDFS.domain))),
                    ("Range", views(graph.objects(term, RDFS.range))),
                    ("Super-properties", views(graph.objects(term, RDFS.subPropertyOf))),
                    ("Sub-properties", views(graph.subjects(RDFS.subPropertyOf, term))),
                    ("Inverse of", views(inverse)),
                    ("Property chain", chains),
                ]
            rows.append(("See also", views(graph.objects(term, RDFS.seeAlso))))
            terms.append(TermDoc(
                iri=str(term),
                anchor=_anchor(str(term)),
                label=labels.get(term) or _anchor(str(term)),
                curie=labels.view(term).curie if labels.view(term) else None,  # type: ignore[union-attr]
                definitions=sorted(str(d) for d in graph.objects(term, SKOS.definition)),
                rows=[(name, items) for name, items in rows if items],
                deprecated=(term, OWL.deprecated, Literal(True)) in graph,
            ))
        terms.sort(key=lambda t: t.label.lower())
        sections.append({"id": section_id, "title": title, "terms": terms})

    alignments = []
    for pred in (RDFS.subClassOf, RDFS.subPropertyOf, OWL.equivalentClass,
                 OWL.equivalentProperty, SKOS.exactMatch, SKOS.closeMatch):
        for s, o in graph.subject_objects(pred):
            if own(s) and isinstance(o, URIRef) and not own(o):
                alignments.append((labels.view(s), labels.view(pred), labels.view(o)))
    alignments.sort(key=lambda r: (r[0].text.lower(), r[2].text.lower()))  # type: ignore[union-attr]

    external = []
    for term in sorted({s for s in graph.subjects(RDF.type, None) if isinstance(s, URIRef)
                        and not own(s) and s != onto}, key=str):
        view = labels.view(term)
        defined = graph.value(term, RDFS.isDefinedBy)
        kinds = [labels.view(k) for k in graph.objects(term, RDF.type)]
        external.append((view, [k for k in kinds if k], labels.view(defined) if defined else None))

    used = {str(x) for t in graph for x in t if isinstance(x, URIRef)}
    namespaces = sorted(
        (prefix, str(uri)) for prefix, uri in graph.namespaces()
        if prefix and any(u.startswith(str(uri)) for u in used)
    )

    metadata: list[tuple[TermView, list[TermView]]] = []
    description = ""
    if onto is not None:
        props: dict[Node, list[Node]] = defaultdict(list)
        for p, o in graph.predicate_objects(onto):
            if p == RDF.type:
                continue
            if p == URIRef("http://purl.org/dc/terms/description"):
                description = str(o)
                continue
            props[p].append(o)
        for p, objs in props.items():
            pv = labels.view(p)
            if pv is not None:
                views_ = (labels.view(o) for o in sorted(objs, key=str))
                metadata.append((pv, [v for v in views_ if v]))
        metadata.sort(key=lambda r: r[0].text.lower())

    return {
        "iri": str(onto) if onto is not None else "",
        "title": labels.text(onto) if onto is not None else "Ontology",
        "description": description,
        "metadata": metadata,
        "sections": sections,
        "alignments": alignments,
        "external": external,
        "namespaces": namespaces,
        "triples": len(graph),
    }


def _token_text(tokens: list[Token]) -> str:
    return "".join(t.text if isinstance(t, TermView) else t for t in tokens).lower()
