"""Exports for other tools: the cited (and imported) works as BibTeX, and the taxonomy as plain
SKOS that a thesaurus tool such as Skosmos loads.

Both read the built dataset through a report `Runner` (kg.reports), in a scope (kg.scopes).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence

from rdflib import Graph, URIRef
from rdflib.namespace import RDF, RDFS, SKOS

from .literature.bibtex import escape, format_entry
from .namespaces import AI45, AI45R
from .paper import is_organisation
from .reports import Runner, plain
from .scopes import scope_graphs

PREFIXES = """PREFIX ai45: <https://w3id.org/ai45/ontology#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX dcterms: <http://purl.org/dc/terms/>
"""

WORKS = PREFIXES + """SELECT ?work ?kind ?title ?year ?venue ?doi ?arxiv ?url ?accessed ?etAl ?note
WHERE {
  { ?work a ai45:CitedWork . BIND ("cited" AS ?kind) }
  UNION
  { ?work a ai45:ImportedWork . BIND ("imported" AS ?kind) }
  ?work dcterms:title ?title .
  OPTIONAL { ?work dcterms:issued ?year }
  OPTIONAL { ?work ai45:venue ?venue }
  OPTIONAL { ?work ai45:doi ?doi }
  OPTIONAL { ?work ai45:arxivId ?arxiv }
  OPTIONAL { ?work ai45:url ?url }
  OPTIONAL { ?work ai45:accessed ?accessed }
  OPTIONAL { ?work ai45:etAl ?etAl }
  OPTIONAL { ?work ai45:importNote ?note }
}
ORDER BY ?work
"""

AUTHORS = PREFIXES + """SELECT ?work ?position ?name WHERE {
  {
    ?work a ai45:CitedWork ; ai45:hasAuthorship ?a .
    ?a ai45:authorName ?name ; ai45:authorPosition ?position .
  }
  UNION
  { ?work a ai45:ImportedWork ; dcterms:creator ?name . BIND (0 AS ?position) }
}
"""

CONCEPTS = PREFIXES + """SELECT DISTINCT ?work ?concept WHERE {
  { ?concept ai45:citesWork ?work } UNION { ?work ai45:addresses ?concept }
}
"""

_PROCEEDINGS = re.compile(r"proceedings|conference|workshop|symposium|advances in neural|"
                          r"\bicml\b|\biclr\b|\bneurips\b|\bacl\b|\bemnlp\b|\bcvpr\b", re.I)


def _key(work: str) -> str:
    """work/bereska-2024-... -> bereska-2024-...; import/NAME/work/SLUG -> NAME:SLUG."""
    local = work.removeprefix(str(AI45R))
    m = re.fullmatch(r"import/([a-z0-9-]+)/work/([a-z0-9-]+)", local)
    if m:
        return f"{m.group(1)}:{m.group(2)}"
    return local.removeprefix("work/")


def _author_field(names: Sequence[str], et_al: bool) -> str:
    parts = [f"{{{escape(n)}}}" if is_organisation(n) else escape(n) for n in names]
    if et_al:
        parts.append("others")
    return " and ".join(parts)


def works_bibtex(runner: Runner, *, scope: str = "paper",
                 graph_names: Sequence[str] | None = None) -> str:
    """Every cited work (and, in scope "all", every imported work) as a BibTeX entry, keyed by
    its IRI's slug; `keywords` lists the concepts it is cited for or mapped to, as slugs
    (technique/rlhf) that `ai45kg import` reads back."""
    names = list(graph_names if graph_names is not None else getattr(runner, "graph_names", []))
    graphs = [str(g) for g in scope_graphs(scope, names)]
    _, work_rows = runner(WORKS, {}, graphs)
    _, author_rows = runner(AUTHORS, {}, graphs)
    _, concept_rows = runner(CONCEPTS, {}, graphs)
    authors: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for work, position, name in author_rows:
        if int(str(position)) == 0:  # an imported work: all its authors in one literal
            authors[str(work)].extend(enumerate(str(name).split("; "), start=1))
        else:
            authors[str(work)].append((int(str(position)), str(name)))
    concepts: dict[str, set[str]] = defaultdict(set)
    for work, concept in concept_rows:
        concepts[str(work)].add(str(concept).removeprefix(str(AI45R)))
    entries: list[str] = []
    seen: set[str] = set()
    for row in work_rows:
        (work, kind, title, year, venue, doi, arxiv, url, accessed, et_al, note) = (
            plain(v) for v in row)
        if work in seen:
            continue
        seen.add(work)
        fields: list[tuple[str, str]] = []
        names = [n for _, n in sorted(authors.get(work, []))]
        raw_author = _author_field(names, str(et_al).lower() == "true") if names else ""
        fields.append(("title", str(title)))
        if year:
            fields.append(("year", str(year)))
        entry_type = "misc"
        if venue == "arXiv preprint" or (arxiv and not venue):
            entry_type = "misc"
        elif venue and _PROCEEDINGS.search(str(venue)):
            entry_type = "inproceedings"
            fields.append(("booktitle", str(venue)))
        elif venue:
            entry_type = "article"
            fields.append(("journal", str(venue)))
        if arxiv:
            fields += [("eprint", str(arxiv)), ("archiveprefix", "arXiv")]
        if doi:
            fields.append(("doi", str(doi)))
        if url:
            fields.append(("url", str(url)))
        if accessed:
            fields.append(("urldate", str(accessed)))
        if note:
            fields.append(("annote", str(note)))
        if concepts.get(work):
            fields.append(("keywords", "; ".join(sorted(concepts[work]))))
        if kind == "imported":
            fields.append(("note", "imported by an analyst, not cited by the paper"))
        text = format_entry(entry_type, _key(str(work)), fields)
        if raw_author:
            head, rest = text.split("\n", 1)
            width = max(len(n) for n, _ in fields)
            text = f"{head}\n  {'author'.ljust(width)} = {{{raw_author}}},\n{rest}"
        entries.append(text)
    header = ("% The works of the AI-45° roadmap knowledge graph (ai45kg): the works the paper "
              "cites" + (", and the works analysts imported" if scope == "all" else "") + ".\n"
              "% keywords: the concepts of the taxonomy each work is cited for or mapped to.\n")
    return header + "\n" + "\n\n".join(entries) + "\n"


# ---------------------------------------------------------------------------------------------
# SKOS
# ---------------------------------------------------------------------------------------------

SKOS_CONCEPTS = PREFIXES + """SELECT ?concept ?class ?scheme ?p ?o WHERE {
  ?concept skos:inScheme ?scheme ; a ?class .
  ?class rdfs:subClassOf ai45:FrameworkConcept .
  ?concept ?p ?o .
  VALUES ?p { skos:prefLabel skos:altLabel skos:hiddenLabel skos:definition ai45:subKindOf
              ai45:inLayer ai45:relevantToLayer ai45:partOfFramework ai45:placedAtLevel
              ai45:focusedOnLevel ai45:implementsPrinciple
              ai45:basedOnFramework ai45:hasRiskAspect ai45:hasSafetyLine }
}
"""

SKOS_SCHEME_AND_CLASSES = PREFIXES + """SELECT ?s ?p ?o WHERE {
  { ?s a skos:ConceptScheme . }
  UNION
  { ?s rdfs:subClassOf ai45:FrameworkConcept . }
  ?s ?p ?o .
  VALUES ?p { skos:prefLabel skos:definition }
}
"""

#: properties whose object is a broader concept of the subject, in order of preference
BROADER = (AI45.subKindOf, AI45.inLayer, AI45.relevantToLayer, AI45.partOfFramework,
           AI45.placedAtLevel, AI45.focusedOnLevel, AI45.implementsPrinciple, AI45.basedOnFramework)
#: properties whose subject is a broader concept of the object
NARROWER = (AI45.hasRiskAspect, AI45.hasSafetyLine)


def skos_graph(runner: Runner, *, graph_names: Sequence[str] | None = None) -> Graph:
    """The taxonomy as SKOS only: one skos:ConceptScheme, its skos:Concepts with prefLabel,
    altLabel (names the paper prints), hiddenLabel (the project's search labels) and definition,
    skos:broader / skos:narrower, skos:inScheme, skos:topConceptOf and
    skos:hasTopConcept, and rdfs:label; no OWL and no ai45 terms.

    The hierarchy: a technique sub-kind under its technique, a technique or method family under
    its layer; a layer, level, rung or dimension under its framework; a representative model or
    a task under its level; a red-line
    risk under the red line; a safety line under the law; the Causal Ladder under the law it
    implements, the Matrix under the Causal Ladder. Concepts of a kind with no broader concept
    in the data (governance measures, threats, practices, initiatives) are gathered under a top
    concept named after their class.
    """
    names = list(graph_names if graph_names is not None else getattr(runner, "graph_names", []))
    graphs = [str(g) for g in scope_graphs("paper", names)]
    _, rows = runner(SKOS_CONCEPTS, {}, graphs)
    _, meta = runner(SKOS_SCHEME_AND_CLASSES, {}, graphs)
    g = Graph()
    g.bind("skos", SKOS)
    g.bind("rdfs", RDFS)
    g.bind("ai45r", AI45R)
    scheme: URIRef | None = None
    kind: dict[URIRef, URIRef] = {}
    props: dict[URIRef, dict[URIRef, list]] = defaultdict(lambda: defaultdict(list))
    for concept, cls, sch, p, o in rows:
        scheme = sch  # type: ignore
        kind[concept] = cls  # type: ignore
        props[concept][p].append(o)  # type: ignore[index]
    if scheme is None:
        raise ValueError("the dataset has no concept scheme")
    info: dict[URIRef, dict[URIRef, list]] = defaultdict(lambda: defaultdict(list))
    for s, p, o in meta:
        info[s][p].append(o)  # type: ignore[index]
    g.add((scheme, RDF.type, SKOS.ConceptScheme))
    for p in (SKOS.prefLabel, SKOS.definition):
        for o in info[scheme][p]:
            g.add((scheme, p, o))
            if p == SKOS.prefLabel:
                g.add((scheme, RDFS.label, o))
    broader: dict[URIRef, set[URIRef]] = defaultdict(set)
    for c, ps in props.items():
        for p in BROADER:
            targets = [o for o in ps.get(p, []) if o in kind]
            if targets:
                broader[c].update(targets)
                break
        for p in NARROWER:
            for o in ps.get(p, []):
                if o in kind:
                    broader[o].add(c)
    # kinds whose members have no broader concept: a top concept per class, when two or more
    orphans: dict[URIRef, list[URIRef]] = defaultdict(list)
    for c in kind:
        if not broader.get(c):
            orphans[kind[c]].append(c)
    tops: set[URIRef] = set()
    for cls, members in orphans.items():
        if len(members) >= 2 and info.get(cls):
            tops.add(cls)
            g.add((cls, RDF.type, SKOS.Concept))
            for p in (SKOS.prefLabel, SKOS.definition):
                for o in info[cls][p]:
                    g.add((cls, p, o))
            for o in info[cls][SKOS.prefLabel]:
                g.add((cls, RDFS.label, o))
            for c in members:
                broader[c].add(cls)
        else:
            tops.update(members)
    for c, ps in props.items():
        g.add((c, RDF.type, SKOS.Concept))
        pref = ps.get(SKOS.prefLabel, [])
        for o in pref:
            g.add((c, SKOS.prefLabel, o))
            g.add((c, RDFS.label, o))
        pref_text = {str(o) for o in pref}
        for p in (SKOS.altLabel, SKOS.hiddenLabel):
            for o in ps.get(p, []):
                if str(o) not in pref_text:
                    g.add((c, p, o))
        for o in ps.get(SKOS.definition, []):
            g.add((c, SKOS.definition, o))
    for c, parents in broader.items():
        for parent in parents:
            g.add((c, SKOS.broader, parent))
            g.add((parent, SKOS.narrower, c))
    for c in [*kind, *tops]:
        g.add((c, SKOS.inScheme, scheme))
    for c in tops:
        g.add((c, SKOS.topConceptOf, scheme))
        g.add((scheme, SKOS.hasTopConcept, c))
    return g


def skos_turtle(runner: Runner, *, graph_names: Sequence[str] | None = None) -> str:
    header = ("# The taxonomy of the AI-45° roadmap as a SKOS thesaurus (ai45kg export skos): "
              "SKOS and RDFS terms only.\n")
    return header + skos_graph(runner, graph_names=graph_names).serialize(format="turtle")

