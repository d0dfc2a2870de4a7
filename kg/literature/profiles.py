"""Concept profiles: what the graph says about each concept of the taxonomy that literature is
mapped onto, gathered once at `ai45kg build` so that `ai45kg suggest` and the service's /suggest
rank works against it without reading the dataset (kg.literature.suggest ranks).

A concept's profile holds, each passage with where it comes from:

- its names: the label and the other names the paper prints (rdfs:label, skos:prefLabel,
  skos:altLabel), and the project's search names (skos:hiddenLabel: "RLHF", "SFT");
- the project's search vocabulary (vocabulary.csv, beside this module): the words the AI-safety
  literature uses for it ("circuits", "superposition" for Mechanistic Interpretability). These
  are the project's, not the paper's, and never enter the graph: they only help the ranker
  find a concept in a title, and a reason that rests on one says so;
- the paper's words about it: ai45:definedAs, ai45:includes, ai45:ensures, ai45:requirement, the
  verbatim quotes of the evidence of statements about it (`owl:annotatedSource` the concept), and
  the anchor text of each citation group that supports it; and the project's definition
  (skos:definition, our words);
- the works the paper cites for it (ai45:citesWork as stated, not as inferred): their titles,
  and their abstracts where an import gave one (dcterms:abstract);
- the works analysts confirmed for it (ai45:addresses in an import graph): title, abstract and
  the source's keywords.

The profile also records the concept's place in the taxonomy (ai45:subKindOf, ai45:inLayer),
which the ranker uses to roll a sub-kind's evidence up to its technique and a technique's to its
layer. Profiles are a derived index of the graph, like a full-text index: nothing in them is a
statement, and suggestions made from them never enter the graph.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from rdflib import Dataset, Literal, URIRef
from rdflib.graph import Graph
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS, SKOS

from .. import paths
from ..concepts import kind_of
from ..namespaces import AI45, AI45R, GRAPH_IMPORT_PREFIX, GRAPH_INFERRED
from ..text import collapse_ws

#: the file of dist/ that holds the profiles of a build
PROFILES_FILE = "suggest-profiles.json"
PROFILES_VERSION = 2
#: the project's search vocabulary: concept (its IRI after the resource prefix), term
VOCABULARY = paths.VOCABULARY_FILE
#: the kinds of concept a work is mapped onto (the first segment of the concept's IRI): the
#: techniques (with their sub-kinds), layers, levels, governance measures, threats and current
#: safety practices the report covers, and the red-line risks and safety lines of section 2,
#: which an AI-safety paper can be about as well
MAPPING_KINDS = ("technique", "layer", "level", "governance", "threat", "practice", "risk",
                 "line")
#: the paper's own statements about a concept (its words, not ours)
PAPER_STATEMENTS = (AI45.definedAs, AI45.includes, AI45.ensures, AI45.requirement,
                    AI45.tolerance, AI45.belowThreshold, AI45.aboveThreshold)


@dataclass
class Passage:
    """One text of a profile and where it comes from.

    `source` is one of: "name" (a name the paper prints), "search name" (the project's
    skos:hiddenLabel), "vocabulary" (the project's search vocabulary), "definition" (the
    project's skos:definition), "paper" (the paper's words: a statement, a quote or a
    citation's anchor text; `where` is the section), "cited work" (the title or abstract of a
    work the paper cites for the concept; `work` is its IRI) and "import" (a work an analyst
    mapped to it; `where` is the import's name)."""

    text: str
    source: str
    where: str = ""
    work: str = ""


@dataclass
class Profile:
    iri: str
    kind: str
    label: str
    sub_kind_of: list[str] = field(default_factory=list)
    in_layer: list[str] = field(default_factory=list)
    passages: list[Passage] = field(default_factory=list)

    def without_work(self, work: str) -> Profile:
        """This profile as it would be if the graph did not have `work` (leave-one-out)."""
        return Profile(self.iri, self.kind, self.label, self.sub_kind_of, self.in_layer,
                       [p for p in self.passages if p.work != work])


@dataclass
class Profiles:
    content_hash: str
    concepts: list[Profile]

    def json(self) -> dict[str, Any]:
        return {"version": PROFILES_VERSION, "content_hash": self.content_hash,
                "concepts": [asdict(c) for c in self.concepts]}

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> Profiles:
        if doc.get("version") != PROFILES_VERSION:
            raise ValueError(f"profiles of version {doc.get('version')!r}, not "
                             f"{PROFILES_VERSION}: rebuild with `ai45kg build`")
        concepts = [Profile(c["iri"], c["kind"], c["label"], list(c["sub_kind_of"]),
                            list(c["in_layer"]), [Passage(**p) for p in c["passages"]])
                    for c in doc["concepts"]]
        return cls(str(doc.get("content_hash", "")), concepts)

    def without_work(self, work: str) -> Profiles:
        return Profiles(self.content_hash, [c.without_work(work) for c in self.concepts])

    def write(self, directory: Path) -> Path:
        path = directory / PROFILES_FILE
        path.write_text(json.dumps(self.json(), ensure_ascii=False, sort_keys=True) + "\n",
                        encoding="utf-8")
        return path


def load_profiles(dist: Path) -> Profiles:
    """The profiles of the build in `dist`.

    Raises:
        FileNotFoundError: the build has no profiles (built before they existed: rebuild).
        ValueError: the file is not profiles of this version.
    """
    doc = json.loads((Path(dist) / PROFILES_FILE).read_text(encoding="utf-8"))
    return Profiles.from_json(doc)


def _text(value: object) -> str:
    return collapse_ws(str(value)) if isinstance(value, Literal) else ""


def _english(values: Iterable[object]) -> list[str]:
    """The distinct English (or untagged) literals, sorted (a build is deterministic)."""
    return sorted({_text(v) for v in values if isinstance(v, Literal)
                   and (v.language or "en").lower().startswith("en") and _text(v)})


def load_vocabulary(path: Path = VOCABULARY) -> dict[str, list[str]]:
    """Concept IRI -> its search terms, in the file's order."""
    import csv

    out: dict[str, list[str]] = {}
    with path.open(encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            out.setdefault(str(AI45R) + row["concept"].strip(), []).append(row["term"].strip())
    return out


def build_profiles(ds: Dataset, content_hash: str = "") -> Profiles:
    """The profile of every concept of MAPPING_KINDS in a built dataset (stated graphs and the
    analysts' imports; the inferred graph is left out: roll-ups are the ranker's job)."""
    stated = Graph()
    imports: list[tuple[str, Graph]] = []
    for g in ds.graphs():
        name = str(g.identifier)
        if name == str(GRAPH_INFERRED) or not isinstance(g.identifier, URIRef):
            continue
        if name.startswith(GRAPH_IMPORT_PREFIX):
            imports.append((name.removeprefix(GRAPH_IMPORT_PREFIX), g))
        else:
            stated += g
    concept_classes = set(stated.transitive_subjects(RDFS.subClassOf, AI45.FrameworkConcept))
    concepts = sorted(
        {s for s, o in stated.subject_objects(RDF.type) if o in concept_classes
         and isinstance(s, URIRef) and str(s).startswith(str(AI45R))
         and kind_of(str(s)) in MAPPING_KINDS}, key=str)
    wanted = set(concepts)

    quotes: dict[URIRef, list[tuple[str, str]]] = {c: [] for c in concepts}
    for axiom in stated.subjects(RDF.type, OWL.Axiom):
        source = stated.value(axiom, OWL.annotatedSource)
        if source not in wanted:
            continue
        for evidence in stated.objects(axiom, AI45.evidence):
            for quote in _english(stated.objects(evidence, AI45.quote)):
                section = _text(stated.value(evidence, AI45.section))
                quotes[source].append((quote, section))  # type: ignore[index]
    anchors: dict[URIRef, list[tuple[str, str]]] = {c: [] for c in concepts}
    for group, concept in stated.subject_objects(AI45.supportsConcept):
        if concept in wanted:
            for text in _english(stated.objects(group, AI45.anchorText)):
                anchors[concept].append(  # type: ignore[index]
                    (text, _text(stated.value(group, AI45.section))))

    def work_texts(work: object, source: str, where: str, *graphs: Graph) -> list[Passage]:
        """The title of `work` (from the first of `graphs` that has one) and the abstracts the
        imports give it (the paper's own works have none)."""
        out: list[Passage] = []
        for graph in graphs:
            titles = _english(graph.objects(work, DCTERMS.title)) or _english(  # type: ignore
                graph.objects(work, RDFS.label))  # type: ignore[arg-type]
            if titles:
                out.append(Passage(titles[0], source, where, str(work)))
                break
        for _, g in imports:
            out += [Passage(a, source, where, str(work))
                    for a in _english(g.objects(work, DCTERMS.abstract))]  # type: ignore
        return out

    vocabulary = load_vocabulary()
    profiles = []
    for c in concepts:
        label = (_english(stated.objects(c, RDFS.label))
                 or _english(stated.objects(c, SKOS.prefLabel)) or [str(c)])[0]
        passages: list[Passage] = []
        printed = set(_english(stated.objects(c, RDFS.label))) | set(
            _english(stated.objects(c, SKOS.prefLabel))) | set(
            _english(stated.objects(c, SKOS.altLabel)))
        passages += [Passage(n, "name") for n in sorted(printed)]
        passages += [Passage(n, "search name")
                     for n in _english(stated.objects(c, SKOS.hiddenLabel)) if n not in printed]
        passages += [Passage(t, "vocabulary") for t in vocabulary.get(str(c), [])
                     if t not in printed]
        passages += [Passage(d, "definition") for d in _english(stated.objects(c, SKOS.definition))]
        seen: set[str] = set()
        for p in PAPER_STATEMENTS:
            for text in _english(stated.objects(c, p)):
                seen.add(text)
                passages.append(Passage(text, "paper"))
        for text, section in sorted(set(quotes[c]) | set(anchors[c])):
            if text not in seen:
                seen.add(text)
                passages.append(Passage(text.replace("[…]", " "), "paper", section))
        for work in sorted(set(stated.objects(c, AI45.citesWork)), key=str):
            passages += work_texts(work, "cited work", "", stated)
        for name, g in imports:
            for work in sorted(set(g.subjects(AI45.addresses, c)), key=str):
                # a work of the paper mapped in an import has its title in the bibliography
                passages += work_texts(work, "import", name, g, stated)
                passages += [Passage(k, "import", name, str(work))
                             for k in _english(g.objects(work, DCTERMS.subject))]
        profiles.append(Profile(
            str(c), kind_of(str(c)), label,
            sorted(str(o) for o in stated.objects(c, AI45.subKindOf)),
            sorted(str(o) for o in stated.objects(c, AI45.inLayer)), passages))
    return Profiles(content_hash, profiles)
