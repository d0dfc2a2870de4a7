"""Conversion of RDF terms between rdflib and pyoxigraph (the build's serialiser and the Oxigraph
store share it)."""

from __future__ import annotations

import pyoxigraph as ox
from rdflib import BNode, Literal, URIRef
from rdflib.term import Node

OxTerm = ox.NamedNode | ox.BlankNode | ox.Literal


def to_ox(term: Node) -> OxTerm:
    """An rdflib term as a pyoxigraph term."""
    if isinstance(term, URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, BNode):
        return ox.BlankNode(str(term))
    if isinstance(term, Literal):
        if term.language:
            return ox.Literal(str(term), language=term.language)
        if term.datatype:
            return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype)))
        return ox.Literal(str(term))
    raise TypeError(f"not an RDF term: {term!r}")


class FromOxMemo:
    """`from_ox` that remembers what it converted, for a store that answers query after query
    over one read-only dataset: the same IRIs and labels come back in answer after answer, and
    an rdflib Literal costs microseconds to build (a dict lookup is a fraction of that). Bounded:
    emptied when it holds `size` terms."""

    def __init__(self, size: int = 50_000) -> None:
        self.size = size
        self._known: dict[OxTerm, Node] = {}

    def __call__(self, term: OxTerm | None) -> Node | None:
        if term is None:
            return None
        known = self._known.get(term)
        if known is None:
            known = from_ox(term)
            if known is None:
                return None
            if len(self._known) >= self.size:
                self._known.clear()
            self._known[term] = known
        return known


def from_ox(term: OxTerm | ox.DefaultGraph | None) -> Node | None:
    """A pyoxigraph term as an rdflib term (None for the default graph or an unbound value)."""
    if term is None or isinstance(term, ox.DefaultGraph):
        return None
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    if isinstance(term, ox.Literal):
        if term.language:
            return Literal(term.value, lang=term.language)
        datatype = term.datatype.value
        if datatype == "http://www.w3.org/2001/XMLSchema#string":
            return Literal(term.value)
        return Literal(term.value, datatype=URIRef(datatype))
    raise TypeError(f"not an RDF term: {term!r}")
