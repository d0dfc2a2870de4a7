"""The analysts' report: coverage of the roadmap's taxonomy by the literature, where the evidence
is thin, what imports add, and how the paper's two versions differ, with pictures.

Every table is the answer of a named query of queries/ (so it can be run, downloaded and
checked on its own), run in a scope (`kg.scopes`: the paper alone, or with the imports). The
report is computed through a `Runner` (a function that answers a query), so the command line can
run it on an embedded Oxigraph store of dist/ and the service through its Backend.

Outputs: Markdown, a standalone HTML page, JSON, and with `Report.write(dir)` the files
report.md, report.html, report.json, tables/NAME.csv|json and pictures/NAME.svg|png.
"""

from __future__ import annotations

import csv
import html
import io
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Protocol

from rdflib import Literal
from rdflib.namespace import XSD
from rdflib.term import Identifier, Node

from .. import queries as named
from ..namespaces import AI45R, PREFIXES
from ..scopes import SCOPES, scope_graphs
from ..stores import MANIFEST
from ..terms import from_ox
from . import pictures


class Runner(Protocol):
    """Answers a SELECT query in a dataset of the given graphs (None: all, default = union)."""

    def __call__(self, sparql: str, bindings: Mapping[str, Identifier],
                 graphs: Sequence[str] | None) -> tuple[list[str], list[tuple[Node | None, ...]]]:
        ...


# ---------------------------------------------------------------------------------------------
# An embedded Oxigraph store of dist/ (fast enough for a report over large imports)
# ---------------------------------------------------------------------------------------------

_SELECT = re.compile(r"\bSELECT\b(.*?)\bWHERE\b", re.IGNORECASE | re.DOTALL)


def substitute(sparql: str, bindings: Mapping[str, Identifier]) -> str:
    """Bind a named query's parameters by writing their values into the text (the grlc
    convention), for stores without initBindings: `?level` becomes `<https://...>` in the
    patterns and `(<https://...> AS ?level)` where the SELECT clause projects it. The values
    are RDF terms checked by kg.queries, so their N3 spelling is safe to insert."""
    if not bindings:
        return sparql
    lines = sparql.split("\n")
    start = 0
    for line in lines:  # the header comments and PREFIX lines stay as they are
        stripped = line.lstrip()
        if stripped.startswith("#") or stripped.upper().startswith("PREFIX") or not stripped:
            start += len(line) + 1
            continue
        break
    head, body = sparql[:start], sparql[start:]
    for name, value in bindings.items():
        term = value.n3()  # type: ignore[attr-defined]
        var = re.compile(r"[?$]" + re.escape(name) + r"(?![A-Za-z0-9_\u00b7])")
        m = _SELECT.search(body)
        if m is not None:
            projection = re.sub(r"(?<!AS )" + var.pattern, f"({term} AS ?{name})", m.group(1))
            body = body[: m.start(1)] + projection + body[m.end(1):]
            m = _SELECT.search(body)
            end = m.end(1) if m is not None else 0
        else:
            end = 0
        body = body[:end] + var.sub(lambda _m, term=term: term, body[end:])  # type: ignore[misc]
    return head + body


class OxigraphRunner:
    """The built dataset (dist/ai45kg.nq) in an in-memory Oxigraph store."""

    def __init__(self, dist: Path) -> None:
        import pyoxigraph

        self.dist = Path(dist)
        self.store = pyoxigraph.Store()
        self.store.bulk_load(path=str(self.dist / "ai45kg.nq"),
                             format=pyoxigraph.RdfFormat.N_QUADS)
        self.graph_names = sorted(g.value for g in self.store.named_graphs())
        try:
            manifest = json.loads((self.dist / MANIFEST).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            manifest = {}
        self.content_hash = str(manifest.get("content_hash", ""))

    def __call__(self, sparql: str, bindings: Mapping[str, Identifier],
                 graphs: Sequence[str] | None) -> tuple[list[str], list[tuple[Node | None, ...]]]:
        import pyoxigraph

        text = substitute(sparql, bindings)
        if graphs is None:
            result = self.store.query(text, use_default_graph_as_union=True)
        else:
            nodes: list[Any] = [pyoxigraph.NamedNode(g) for g in graphs]
            result = self.store.query(text, default_graph=nodes, named_graphs=nodes)
        names = [v.value for v in result.variables]  # type: ignore[union-attr]
        rows = [tuple(from_ox(s[n]) for n in names) for s in result]  # type: ignore[union-attr]
        return names, rows


def open_runner(dist: Path) -> OxigraphRunner:
    return OxigraphRunner(dist)


# ---------------------------------------------------------------------------------------------
# Tables and the report
# ---------------------------------------------------------------------------------------------


def plain(term: Node | None) -> Any:
    """A JSON- and CSV-friendly value: IRIs as strings, numbers as numbers."""
    if term is None:
        return None
    if isinstance(term, Literal):
        if term.datatype in (XSD.integer, XSD.int, XSD.long, XSD.positiveInteger,
                             XSD.nonNegativeInteger):
            try:
                return int(str(term))
            except ValueError:
                return str(term)
        if term.datatype in (XSD.decimal, XSD.double, XSD.float):
            value = term.toPython()
            return float(value) if isinstance(value, Decimal | float) else str(term)
        return str(term)
    return str(term)


@dataclass
class Table:
    """One table of the report: a named query's answer in the report's scope."""

    name: str
    title: str
    description: str
    columns: list[str]
    rows: list[list[Any]]
    query: str = ""

    def records(self) -> list[dict[str, Any]]:
        return [dict(zip(self.columns, row, strict=True)) for row in self.rows]

    def csv(self) -> str:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(self.columns)
        for row in self.rows:
            writer.writerow(["" if v is None else v for v in row])
        return out.getvalue()

    def json(self) -> dict[str, Any]:
        return {"name": self.name, "title": self.title, "description": self.description,
                "query": self.query, "columns": self.columns, "rows": self.records()}


@dataclass
class Picture:
    name: str
    title: str
    caption: str
    svg: str

    def png(self) -> bytes | None:
        return pictures.to_png(self.svg)


@dataclass
class Section:
    id: str
    title: str
    intro: str
    tables: list[str] = field(default_factory=list)
    pictures: list[str] = field(default_factory=list)
    findings: list[str] = field(default_factory=list)


@dataclass
class Report:
    scope: str
    generated: str
    content_hash: str
    tables: dict[str, Table]
    pictures: dict[str, Picture]
    sections: list[Section]
    imports: list[str] = field(default_factory=list)

    # -- JSON --------------------------------------------------------------------------------

    def json(self) -> dict[str, Any]:
        return {
            "scope": self.scope, "generated": self.generated, "content_hash": self.content_hash,
            "imports": self.imports,
            "sections": [{"id": s.id, "title": s.title, "intro": s.intro, "findings": s.findings,
                          "tables": s.tables, "pictures": s.pictures} for s in self.sections],
            "tables": {name: t.json() for name, t in self.tables.items()},
            "pictures": {name: {"title": p.title, "caption": p.caption}
                         for name, p in self.pictures.items()},
        }

    # -- Markdown ----------------------------------------------------------------------------

    def markdown(self, *, table_link: Callable[[str, str], str] | None = None,
                 picture_link: Callable[[str, str], str] | None = None,
                 max_rows: int = 200) -> str:
        table_link = table_link or (lambda name, ext: f"tables/{name}.{ext}")
        picture_link = picture_link or (lambda name, ext: f"pictures/{name}.{ext}")
        out = [f"# Literature map of the AI-45° roadmap ({SCOPE_TITLES[self.scope]})", "",
               f"Generated {self.generated} from dataset `{self.content_hash[:12]}`."]
        if self.imports:
            out.append("Imports: " + ", ".join(f"`{i}`" for i in self.imports) + ".")
        out.append("")
        for s in self.sections:
            out += [f"## {s.title}", "", s.intro, ""]
            for finding in s.findings:
                out.append(f"- {finding}")
            if s.findings:
                out.append("")
            for name in s.pictures:
                p = self.pictures[name]
                out += [f"![{p.title}]({picture_link(name, 'svg')})", "",
                        f"*{p.caption}* ([SVG]({picture_link(name, 'svg')}), "
                        f"[PNG]({picture_link(name, 'png')}))", ""]
            for name in s.tables:
                t = self.tables[name]
                out += [f"### {t.title}", "", t.description, "",
                        f"Named query `{t.query}`; download: [CSV]({table_link(name, 'csv')}) · "
                        f"[JSON]({table_link(name, 'json')})", ""]
                out += _markdown_table(t, max_rows)
                out.append("")
        return "\n".join(out).rstrip() + "\n"

    # -- HTML --------------------------------------------------------------------------------

    def html(self, *, table_link: Callable[[str, str], str] | None = None,
             picture_link: Callable[[str, str], str] | None = None,
             href: Callable[[str], str | None] | None = None, max_rows: int = 500) -> str:
        """A standalone HTML page (inline CSS and SVG)."""
        body = self.html_body(table_link=table_link, picture_link=picture_link, href=href,
                              max_rows=max_rows)
        title = f"Literature map of the AI-45° roadmap ({SCOPE_TITLES[self.scope]})"
        return (f'<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
                f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
                f"<title>{html.escape(title)}</title>\n<style>{STANDALONE_CSS}</style>\n"
                f"</head>\n<body>\n<main>\n<h1>{html.escape(title)}</h1>\n{body}\n</main>\n"
                "</body>\n</html>\n")

    def html_body(self, *, table_link: Callable[[str, str], str] | None = None,
                  picture_link: Callable[[str, str], str] | None = None,
                  href: Callable[[str], str | None] | None = None, max_rows: int = 500) -> str:
        table_link = table_link or (lambda name, ext: f"tables/{name}.{ext}")
        picture_link = picture_link or (lambda name, ext: f"pictures/{name}.{ext}")
        esc = html.escape
        out = [f'<p class="report-meta">Generated {esc(self.generated)} from dataset '
               f"<code>{esc(self.content_hash[:12])}</code>; scope: "
               f"<strong>{esc(SCOPE_TITLES[self.scope])}</strong>"
               + (f"; imports: {esc(', '.join(self.imports))}" if self.imports else "")
               + ".</p>",
               '<nav class="report-toc" aria-label="Sections"><ol>'
               + "".join(f'<li><a href="#{s.id}">{esc(s.title)}</a></li>' for s in self.sections)
               + "</ol></nav>"]
        for s in self.sections:
            out.append(f'<section id="{s.id}" class="report-section">')
            out.append(f"<h2>{esc(s.title)}</h2>\n<p>{esc(s.intro)}</p>")
            if s.findings:
                out.append("<ul class=\"findings\">" + "".join(
                    f"<li>{esc(f)}</li>" for f in s.findings) + "</ul>")
            for name in s.pictures:
                p = self.pictures[name]
                svg = p.svg.split("?>", 1)[-1].strip()
                # the caption is part of the picture (so that the SVG and PNG files carry it)
                out.append(f'<figure class="report-picture" id="picture-{name}">{svg}'
                           f"<figcaption>{esc(p.title)}: "
                           f'<a href="{esc(picture_link(name, "svg"))}">SVG</a> · '
                           f'<a href="{esc(picture_link(name, "png"))}">PNG</a></figcaption>'
                           "</figure>")
            for name in s.tables:
                out.append(_html_table(self.tables[name], table_link, href, max_rows))
            out.append("</section>")
        return "\n".join(out)

    # -- files -------------------------------------------------------------------------------

    def write(self, out: Path) -> list[Path]:
        """Write report.md, report.html, report.json, tables/* and pictures/* into `out`."""
        out = Path(out)
        (out / "tables").mkdir(parents=True, exist_ok=True)
        (out / "pictures").mkdir(parents=True, exist_ok=True)
        written: list[Path] = []

        def put(path: Path, data: str | bytes) -> None:
            if isinstance(data, str):
                path.write_text(data, encoding="utf-8", newline="")
            else:
                path.write_bytes(data)
            written.append(path)

        put(out / "report.md", self.markdown())
        put(out / "report.html", self.html())
        put(out / "report.json", json.dumps(self.json(), indent=2, ensure_ascii=False) + "\n")
        for name, t in self.tables.items():
            put(out / "tables" / f"{name}.csv", t.csv())
            put(out / "tables" / f"{name}.json",
                json.dumps(t.json(), indent=2, ensure_ascii=False) + "\n")
        for name, p in self.pictures.items():
            put(out / "pictures" / f"{name}.svg", p.svg)
            png = p.png()
            if png is not None:
                put(out / "pictures" / f"{name}.png", png)
        return written


SCOPE_TITLES = {"paper": "the paper alone", "all": "the paper with the analysts' imports"}

#: the report's tables, in order: (section, named query, title, parameters)
TABLES: list[tuple[str, str, str, dict[str, str]]] = [
    ("coverage", "coverage-techniques", "Works per technique", {}),
    ("coverage", "coverage-layers", "Works per layer", {}),
    ("coverage", "coverage-levels", "Works per trustworthiness level", {}),
    ("coverage", "coverage-governance", "Works per governance measure", {}),
    ("coverage", "matrix-evidence", "Works behind each cell of the Matrix", {}),
    ("gaps", "concepts-without-works", "Concepts with no work behind them", {}),
    ("gaps", "evidence-years", "Years of the works behind each layer", {}),
    ("gaps", "works-for-several-concepts", "Works behind several concepts", {}),
    ("imports", "import-additions", "What each import adds per concept", {}),
    ("versions", "version-summary", "The versions side by side", {}),
    ("versions", "single-version-works", "Works cited in one version only", {}),
    ("versions", "reference-renumbering", "Reference numbers in the two versions", {}),
    ("versions", "citation-differences", "Citation groups whose works changed", {}),
    ("versions", "single-version-citation-groups", "Citation groups printed more often in one "
     "version", {}),
    ("versions", "single-version-evidence", "Passages quoted from one version only", {}),
]

SECTIONS = {
    "coverage": ("Coverage of the taxonomy",
                 "Which techniques, layers, trustworthiness levels and governance measures the "
                 "literature addresses: the distinct works the paper cites for each concept "
                 "(ai45:citesWork, from its in-text citation groups) and, with imports, the works "
                 "analysts map to it (ai45:addresses)."),
    "gaps": ("Where the evidence is thin",
             "Concepts with no work behind them, how recent the evidence behind each layer is, "
             "and the works that carry several concepts at once."),
    "imports": ("What the imports add",
                "Per analyst import and concept: the works mapped there that the paper does not "
                "cite for the concept, and those the paper does not cite at all."),
    "versions": ("How the two versions of the paper differ",
                 "Derived from the graph: the reference lists of the two versions (one cited work "
                 "however many versions cite it), their numbering, the in-text citation groups "
                 "and the evidence passages each version prints."),
}


def run_named(runner: Runner, query: named.NamedQuery, graphs: Sequence[str] | None,
              raw: Mapping[str, str] | None = None) -> Table:
    names, rows = runner(query.text, query.bind(dict(raw or {})), graphs)
    return Table(query.name, query.title, query.description, names,
                 [[plain(v) for v in row] for row in rows], query.name)


def compute_report(runner: Runner, *, scope: str = "all", content_hash: str | None = None,
                   graph_names: Sequence[str] | None = None) -> Report:
    """Run every table's named query in `scope` and draw the pictures.

    Args:
        runner: answers the queries (OxigraphRunner, or the service's Backend).
        scope: "paper" or "all" (kg.scopes).
        graph_names: the graphs of the dataset (default: the runner's `graph_names`).
    """
    if scope not in SCOPES:
        raise ValueError(f"unknown scope {scope!r}: one of {', '.join(SCOPES)}")
    names = list(graph_names if graph_names is not None else getattr(runner, "graph_names", []))
    graphs = [str(g) for g in scope_graphs(scope, names)]
    imports = [g.rsplit("/", 1)[-1] for g in graphs if "/graph/import/" in g]
    # a scope of every graph is the whole dataset: ask it as it is (its default graph is the
    # union of all graphs), which stores answer much faster than an explicit list of graphs
    query_graphs: list[str] | None = None if names and set(graphs) >= set(map(str, names)) \
        else graphs
    catalogue = named.load_all()
    tables: dict[str, Table] = {}
    sections: dict[str, Section] = {}
    for section_id, query_name, title, raw in TABLES:
        if section_id == "imports" and not imports:
            continue
        table = run_named(runner, catalogue[query_name], query_graphs, raw)
        table.title = title
        tables[query_name] = table
        sec_title, intro = SECTIONS[section_id]
        sections.setdefault(section_id, Section(section_id, sec_title, intro)).tables.append(
            query_name)
    pics = {
        "matrix": Picture("matrix", "The Matrix of Trustworthy AGI: works behind each cell",
                          pictures.MATRIX_CAPTION,
                          pictures.matrix_heatmap(tables["matrix-evidence"].records(),
                                                  scope=scope)),
        "techniques": Picture("techniques", "Techniques of each layer and the works behind them",
                              pictures.TREE_CAPTION,
                              pictures.techniques_tree(tables["coverage-techniques"].records(),
                                                       scope=scope)),
        "years": Picture("years", "Years of the works behind each layer",
                         pictures.YEARS_CAPTION,
                         pictures.year_histogram(tables["evidence-years"].records(),
                                                 scope=scope)),
    }
    sections["coverage"].pictures += ["matrix", "techniques"]
    sections["gaps"].pictures.append("years")
    _findings(sections, tables)
    return Report(
        scope=scope,
        generated=datetime.now(UTC).isoformat(timespec="seconds"),
        content_hash=content_hash if content_hash is not None
        else str(getattr(runner, "content_hash", "")),
        tables=tables, pictures=pics, sections=list(sections.values()), imports=imports,
    )


def _short_name(iri: str) -> str:
    for prefix, ns in sorted(PREFIXES.items(), key=lambda kv: -len(kv[1])):
        if iri.startswith(ns) and prefix != "ai45r":
            return f"{prefix}:{iri[len(ns):]}"
    return iri.removeprefix(str(AI45R))


def _findings(sections: dict[str, Section], tables: dict[str, Table]) -> None:
    """The headline facts of each section, in words, from the tables."""
    cov = sections["coverage"]
    techniques = tables["coverage-techniques"].records()
    none = [r["techniqueLabel"] for r in techniques if not r["works"]]
    if techniques:
        best = max(techniques, key=lambda r: r["works"])
        cov.findings.append(f"{len(techniques)} techniques; the most evidence is behind "
                            f"{best['techniqueLabel']} ({best['works']} works)"
                            + (f"; none behind {', '.join(none)}." if none else "."))
    for r in tables["coverage-layers"].records():
        cov.findings.append(f"{r['layerLabel']}: {r['techniques']} techniques, {r['works']} "
                            f"works ({r['paperWorks']} cited by the paper).")
    gaps = sections["gaps"]
    missing = tables["concepts-without-works"].records()
    kinds: dict[str, int] = {}
    for r in missing:
        kinds[r["kind"]] = kinds.get(r["kind"], 0) + 1
    gaps.findings.append(f"{len(missing)} concepts have no work behind them: " + ", ".join(
        f"{n} {kind.lower()}{'' if n == 1 else 's'}" for kind, n in sorted(kinds.items())) + ".")
    several = tables["works-for-several-concepts"].records()
    if several:
        gaps.findings.append(f"{len(several)} works stand behind two or more concepts; the most: "
                             f"“{several[0]['title']}” ({several[0]['concepts']} concepts).")
    if "import-additions" in tables:
        adds = tables["import-additions"].records()
        sections["imports"].findings.append(
            f"{len(adds)} (import, concept) pairs; {sum(r['added'] for r in adds)} mappings of "
            "works the paper does not cite for that concept.")
    ver = sections["versions"]
    for r in tables["version-summary"].records():
        ver.findings.append(f"{r['versionLabel']}: {r['references']} references, {r['works']} "
                            f"distinct works, {r['citationGroups']} citation groups.")
    only = tables["single-version-works"].records()
    by_version: dict[str, list[str]] = {}
    for r in only:
        by_version.setdefault(r["versionLabel"], []).append(
            f"[{r['referenceNumber']}] {r['title']}")
    if only:
        for version, items in by_version.items():
            ver.findings.append(f"Only in {version}: " + "; ".join(items) + ".")
    renumbering = tables["reference-renumbering"].records()
    moved = [r for r in renumbering if r["shift"] not in (None, 0)]
    ver.findings.append(f"{len(moved)} of the {len(renumbering)} works are numbered differently "
                        "in the two versions.")


def _markdown_cell(value: Any) -> str:
    if value is None:
        return ""
    text = str(value)
    if text.startswith("https://w3id.org/ai45/"):
        text = f"`{_short_name(text)}`"
    return text.replace("|", "\\|").replace("\n", " ")


def _display_columns(t: Table) -> list[tuple[str, str | None]]:
    """(column, label column merged into it) for display: an IRI column with a `xLabel` twin
    shows the label; the twin is not shown on its own."""
    cols = []
    for c in t.columns:
        if c.endswith("Label") and c[: -len("Label")] in t.columns:
            continue
        twin = f"{c}Label" if f"{c}Label" in t.columns else None
        cols.append((c, twin))
    return cols


def _header(name: str) -> str:
    return re.sub(r"(?<=[a-z])(?=[A-Z])", " ", name).lower()


def _markdown_table(t: Table, max_rows: int) -> list[str]:
    if not t.rows:
        return ["*No rows.*"]
    cols = _display_columns(t)
    lines = ["| " + " | ".join(_header(c) for c, _ in cols) + " |",
             "|" + "|".join("---" for _ in cols) + "|"]
    for rec in t.records()[:max_rows]:
        cells = []
        for c, twin in cols:
            value = rec[c]
            if twin and rec.get(twin) is not None:
                value = rec[twin]
            cells.append(_markdown_cell(value))
        lines.append("| " + " | ".join(cells) + " |")
    if len(t.rows) > max_rows:
        lines.append(f"\n*{len(t.rows) - max_rows} more rows in the downloads.*")
    return lines


def _html_table(t: Table, table_link: Callable[[str, str], str],
                href: Callable[[str], str | None] | None, max_rows: int) -> str:
    esc = html.escape
    cols = _display_columns(t)
    parts = [f'<div class="report-table" id="table-{t.name}">',
             f"<h3>{esc(t.title)}</h3>", f"<p>{esc(t.description)}</p>",
             f'<p class="downloads">Named query <code>{esc(t.query)}</code> · '
             f'<a href="{esc(table_link(t.name, "csv"))}" download>CSV</a> · '
             f'<a href="{esc(table_link(t.name, "json"))}">JSON</a> · {len(t.rows)} rows</p>']
    if not t.rows:
        parts.append('<p class="empty">No rows.</p></div>')
        return "\n".join(parts)
    parts.append('<div class="table-scroll" tabindex="0" role="region" '
                 f'aria-label="{esc(t.title)}"><table class="result-table">')
    parts.append("<thead><tr>" + "".join(f'<th scope="col">{esc(_header(c))}</th>'
                                         for c, _ in cols) + "</tr></thead><tbody>")
    for rec in t.records()[:max_rows]:
        cells = []
        for c, twin in cols:
            value = rec[c]
            shown = rec.get(twin) if twin and rec.get(twin) is not None else value
            text = "" if shown is None else str(shown)
            if isinstance(value, str) and value.startswith("http"):
                if shown == value:
                    text = _short_name(value)
                link = href(value) if href else value
                cells.append(f'<td><a href="{esc(link or value)}" title="{esc(value)}">'
                             f"{esc(text)}</a></td>" if link else f"<td>{esc(text)}</td>")
            else:
                num = ' class="num"' if isinstance(value, int | float) else ""
                cells.append(f"<td{num}>{esc(text)}</td>")
        parts.append("<tr>" + "".join(cells) + "</tr>")
    parts.append("</tbody></table></div>")
    if len(t.rows) > max_rows:
        parts.append(f'<p class="more">{len(t.rows) - max_rows} more rows in the downloads.</p>')
    parts.append("</div>")
    return "\n".join(parts)


STANDALONE_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;color:#1f2933;
margin:0;line-height:1.5;background:#fff}
main{max-width:1100px;margin:0 auto;padding:1.5rem}
h1{font-size:1.7rem}h2{margin-top:2.5rem;border-bottom:1px solid #cbd2d9;padding-bottom:.3rem}
h3{margin-top:1.8rem}
.report-meta,.downloads,.more{color:#52606d;font-size:.92rem}
.table-scroll{overflow-x:auto;max-height:34rem;overflow-y:auto;border:1px solid #e4e7eb}
table{border-collapse:collapse;font-size:.88rem;width:100%}
th,td{text-align:left;padding:.3rem .55rem;border-bottom:1px solid #e4e7eb;vertical-align:top}
th{background:#f5f7fa;position:sticky;top:0}
td.num{text-align:right;font-variant-numeric:tabular-nums}
figure{margin:1.5rem 0}figure svg{max-width:100%;height:auto}
figcaption{color:#52606d;font-size:.9rem}
a{color:#0b5cad}
"""
