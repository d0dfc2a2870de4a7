"""DESCRIBE: the same concise bounded description on every store."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from rdflib import BNode, Graph, URIRef, Variable
from rdflib.term import Node

from ..load import bind_prefixes
from ..sparqltext import prepare_query, query_shape, significant_tokens

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
    toks = significant_tokens(sparql)
    head_start = next(t.start for t in toks if t.keyword == "DESCRIBE")
    head_end = next(t for t in toks if t.start >= head_start and (
        t.keyword in ("WHERE", "FROM") or (t.kind == "punct" and t.text == "{"))).start
    projection = "*" if _describes_star(sparql) else " ".join("?" + v for v in variables)
    select = (sparql[:head_start] + f"SELECT DISTINCT {projection} " + sparql[head_end:])
    return iris, select


def _describes_star(sparql: str) -> bool:
    toks = significant_tokens(sparql)
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
