"""`ai45kg synth`: a synthetic literature, to measure the service at sizes the real graph will
reach once analysts import more papers (10k, 100k, 1M triples and beyond).

The output is an analyst import as `ai45kg import` writes one (kg.literature.imports): an
`ai45:Import` with its provenance and `ai45:ImportedWork`s with title, year, ordered authors
(`ai45:Authorship`), the analyst's mappings onto the roadmap's real techniques and trustworthiness
levels (`ai45:addresses`, read from the framework graph) and, what real imports do not have yet, a
citation network among the works (`cito:cites`, each work citing earlier ones, popular works more
often: preferential attachment, as real citation networks grow). It conforms to the project's SHACL
shapes, so that a file of it in the imports directory builds like any import.

Deterministic: the same seed and size give byte-identical output (no clock, no hash order).
Written as N-Triples lines (`.nt`, or `.ttl`: N-Triples is Turtle) or N-Quads in the import's
named graph (`.nq`), streamed, so that a million triples take seconds and little memory.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from .. import __version__, paths
from ..namespaces import AI45, AI45R, CITO, GRAPH_IMPORT_PREFIX
from ..sparqltext import term_n3

RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
SKOS_PREF = "http://www.w3.org/2004/02/skos/core#prefLabel"
SKOS_DEF = "http://www.w3.org/2004/02/skos/core#definition"
DCT = "http://purl.org/dc/terms/"
XSD = "http://www.w3.org/2001/XMLSchema#"
PROV_GENERATED = "http://www.w3.org/ns/prov#generatedAtTime"

FIRST = ("Ada", "Wei", "Priya", "Lukas", "Amara", "Chen", "Sofia", "Kenji", "Fatima", "Mateo",
         "Ingrid", "Tariq", "Mei", "Jonas", "Aisha", "Ravi", "Elena", "Kwame", "Yuki", "Omar",
         "Lena", "Arjun", "Zara", "Felix", "Nadia", "Hiro", "Chloe", "Ibrahim", "Anya", "Diego")
LAST = ("Zhang", "Okafor", "Schmidt", "Kumar", "Rossi", "Tanaka", "Haddad", "Novak", "Silva",
        "Kowalski", "Nguyen", "Andersen", "Mensah", "Ivanova", "Garcia", "Park", "Dubois",
        "Yilmaz", "Costa", "Lindqvist", "Mwangi", "Sato", "Moreau", "Petrov", "Rahman", "Li")
OPENINGS = ("Towards", "On", "Rethinking", "Scaling", "Understanding", "Evaluating",
            "Benchmarking", "A survey of", "Beyond", "Learning", "Revisiting", "Measuring")
TOPICS = ("alignment", "interpretability", "robustness", "oversight", "unlearning", "reward models",
          "red teaming", "value learning", "causal abstraction", "reflection", "agents",
          "governance", "watermarking", "guardrails", "preference data", "steering vectors",
          "counterfactual explanations", "self-critique", "world models", "deception")
CLOSINGS = ("in large language models", "for trustworthy AGI", "at scale", "under distribution "
            "shift", "with human feedback", "in multimodal models", "for autonomous agents",
            "without labels", "in practice", "revisited")


@dataclass
class SynthReport:
    out: Path
    triples: int
    works: int
    name: str
    sha256: str


def framework_concepts(framework: Path | None = None) -> tuple[list[str], list[str]]:
    """The IRIs of the framework's techniques and trustworthiness levels, sorted."""
    path = framework or paths.FRAMEWORK_FILE
    techniques: set[str] = set()
    levels: set[str] = set()
    for quad in ox.parse(path=str(path), format=ox.RdfFormat.TURTLE):
        if quad.predicate.value == RDF_TYPE and isinstance(quad.subject, ox.NamedNode):
            if quad.object.value == str(AI45.Technique):
                techniques.add(quad.subject.value)
            elif quad.object.value == str(AI45.TrustworthinessLevel):
                levels.add(quad.subject.value)
    if not techniques or not levels:
        raise ValueError(f"{path} names no techniques or no trustworthiness levels")
    return sorted(techniques), sorted(levels)


def _lit(text: str, lang: str | None = None, datatype: str | None = None) -> str:
    from rdflib import Literal, URIRef

    if lang:
        return term_n3(Literal(text, lang=lang))
    if datatype:
        return term_n3(Literal(text, datatype=URIRef(datatype)))
    return term_n3(Literal(text))


class _Writer:
    def __init__(self, graph: str | None) -> None:
        self.suffix = f" <{graph}> .\n" if graph else " .\n"
        self.lines: list[str] = []
        self.count = 0

    def add(self, s: str, p: str, o: str) -> None:
        self.lines.append(f"<{s}> <{p}> {o}{self.suffix}")
        self.count += 1


def generate(triples: int, seed: int, *, name: str | None = None, graph: bool = False,
             framework: Path | None = None) -> Iterator[str]:
    """Lines of a synthetic import of about `triples` statements (whole works: it stops at the
    first work that reaches the count). With `graph`, N-Quads in the import's graph."""
    name = name or f"synth-{seed}"
    techniques, levels = framework_concepts(framework)
    rng = random.Random(seed)
    imp = str(AI45R[f"import/{name}"])
    w = _Writer(GRAPH_IMPORT_PREFIX + name if graph else None)
    digest = hashlib.sha256(f"ai45kg synth {seed} {triples}".encode()).hexdigest()
    label = f"Import {name}"
    w.add(imp, RDF_TYPE, f"<{AI45.Import}>")
    w.add(imp, RDFS_LABEL, _lit(label, "en"))
    w.add(imp, SKOS_PREF, _lit(label, "en"))
    w.add(imp, SKOS_DEF, _lit(f"The synthetic analyst import {name!r}: a generated citation "
                              f"network of works (seed {seed}), for measuring the service.", "en"))
    w.add(imp, str(AI45.importName), _lit(name))
    w.add(imp, str(AI45.sourceFileName), _lit(f"synth-{seed}-{triples}.nt"))
    w.add(imp, str(AI45.sourceSha256), _lit(digest))
    w.add(imp, str(AI45.sourceFormat), _lit("turtle"))
    w.add(imp, str(AI45.importerVersion), _lit(f"ai45kg {__version__} (synth)"))
    w.add(imp, PROV_GENERATED, _lit("2025-01-01T00:00:00+00:00", datatype=XSD + "dateTime"))
    yield from w.lines
    w.lines.clear()

    works: list[str] = []
    # each citation adds the cited work again: drawing from this list is preferential attachment
    attachment: list[int] = []
    concepts = techniques + levels
    i = 0
    while w.count < triples:
        i += 1
        year = 2015 + min(10, (i * 11) // max(1, triples // 30 + 1)) if triples else 2020
        year = max(2015, min(2025, year + rng.choice((-1, 0, 0, 1))))
        title = (f"{rng.choice(OPENINGS)} {rng.choice(TOPICS)} and {rng.choice(TOPICS)} "
                 f"{rng.choice(CLOSINGS)}")
        title = title[0].upper() + title[1:]
        slug = f"w{i:07d}"
        work = f"{imp}/work/{slug}"
        authors = [f"{rng.choice(FIRST)} {rng.choice(LAST)}" for _ in range(rng.randint(1, 5))]
        key = f"{authors[0].split()[-1]}{' et al.' if len(authors) > 1 else ''}, {year}"
        w.add(work, RDF_TYPE, f"<{AI45.ImportedWork}>")
        w.add(work, RDFS_LABEL, _lit(title, "en"))
        w.add(work, SKOS_PREF, _lit(title, "en"))
        w.add(work, SKOS_DEF, _lit(f"A work imported by {name}: {key}.", "en"))
        w.add(work, DCT + "title", _lit(title, "en"))
        w.add(work, DCT + "issued", _lit(str(year), datatype=XSD + "gYear"))
        short = title if len(title) <= 50 else title[:50].rsplit(" ", 1)[0] + "…"
        for k, author in enumerate(authors, start=1):
            a = f"{work}/author/{k}"
            text = f"{author}, author {k} of {short}"
            w.add(work, str(AI45.hasAuthorship), f"<{a}>")
            w.add(a, RDF_TYPE, f"<{AI45.Authorship}>")
            w.add(a, str(AI45.authorName), _lit(author))
            w.add(a, str(AI45.authorPosition), _lit(str(k), datatype=XSD + "positiveInteger"))
            w.add(a, RDFS_LABEL, _lit(text, "en"))
            w.add(a, SKOS_PREF, _lit(text, "en"))
            w.add(a, SKOS_DEF, _lit(f"Position {k} in the author list of the imported work "
                                    f"“{short}”.", "en"))
        w.add(work, str(AI45.inImport), f"<{imp}>")
        for concept in sorted(rng.sample(concepts, rng.randint(1, 3))):
            w.add(work, str(AI45.addresses), f"<{concept}>")
        if works:
            cited: set[int] = set()
            for _ in range(min(len(works), rng.randint(0, 8))):
                pick = (rng.choice(attachment) if attachment and rng.random() < 0.7
                        else rng.randrange(len(works)))
                cited.add(pick)
            for j in sorted(cited):
                w.add(work, str(CITO.cites), f"<{works[j]}>")
                attachment.append(j)
        works.append(work)
        yield from w.lines
        w.lines.clear()


def write(out: Path, triples: int, seed: int, *, name: str | None = None,
          framework: Path | None = None) -> SynthReport:
    """Write a synthetic import to `out` (.nq: N-Quads in its graph; else N-Triples lines,
    also valid Turtle, with the header comments of an `ai45kg import` file)."""
    name = name or f"synth-{seed}"
    quads = out.suffix == ".nq"
    h = hashlib.sha256()
    count = works = 0
    tmp = out.with_name(out.name + ".partial")
    with tmp.open("w", encoding="utf-8", newline="\n") as handle:
        if not quads:
            header = (f"# Analyst import {name!r}, generated by `ai45kg synth --seed {seed} "
                      f"--triples {triples}`: synthetic works, for benchmarks and tests.\n"
                      f"# name: {name}\n# source: synth-{seed}-{triples}.nt\n"
                      f"# format: turtle\n")
            handle.write(header)
            h.update(header.encode("utf-8"))
        for line in generate(triples, seed, name=name, graph=quads, framework=framework):
            handle.write(line)
            h.update(line.encode("utf-8"))
            count += 1
            if f"> <{RDF_TYPE}> <{AI45.ImportedWork}>" in line:
                works += 1
    tmp.replace(out)
    return SynthReport(out, count, works, name, h.hexdigest())
