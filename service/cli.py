"""The `ai45kg` command: the outermost layer, composing the `kg` library and the Flask app."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ai45kg.kg import paths
from ai45kg.kg.literature import DEFAULT_ACCEPT, FORMAT_NAMES

from .serve import setting_options


@click.group()
@click.version_option(package_name="ai45kg")
def main() -> None:
    """ai45kg: the knowledge graph of the AI-45° Law roadmap to trustworthy AGI."""


def _dist(dist: str | None) -> Path:
    return Path(dist) if dist else paths.dist_dir()


@main.command()
@click.option("--dist", type=click.Path(file_okay=False), help="Output directory (default dist/).")
def build(dist: str | None) -> None:
    """Load ontology and data, derive the inferred graph, validate it, write dist/."""
    from ai45kg.kg.build import build as run_build
    from ai45kg.kg.load import SourceError
    from ai45kg.kg.validate import ValidationFailed

    try:
        report = run_build(_dist(dist))
    except (SourceError, ValidationFailed) as exc:
        raise click.ClickException(f"build failed, dist/ left as it was.\n{exc}") from exc
    total = sum(report.triples.values())
    click.echo(f"built {report.dist} ({total} quads, content hash {report.content_hash[:12]})")
    for graph, n in sorted(report.triples.items()):
        click.echo(f"  {n:>7}  {graph}")
    click.echo("  " + ", ".join(f"{k} {v:.2f}s" for k, v in report.seconds.items()))


@main.command()
def validate() -> None:
    """Check the data against ontology/shapes.ttl; exit non-zero on any violation."""
    from ai45kg.kg.load import SourceError, load_sources
    from ai45kg.kg.reason import infer
    from ai45kg.kg.validate import validate_dataset

    try:
        ds = load_sources()
    except SourceError as exc:
        raise click.ClickException(str(exc)) from exc
    inferred = infer(ds)
    target = ds.graph(inferred.identifier)
    for triple in inferred:
        target.add(triple)
    result = validate_dataset(ds)
    for v in result.violations:
        click.echo(f"{v.severity}\tfocus: {v.focus}\tpath: {v.path}\tmessage: {v.message}")
    if not result.conforms:
        click.echo(f"{len(result.violations)} result(s); the data does not conform.", err=True)
        sys.exit(1)
    click.echo("conforms: no SHACL violations.")


@main.command()
@setting_options
def serve(**options: object) -> None:
    """Serve the dataset (SPARQL endpoint, linked data, UI) under granian.

    Builds dist/ first when it is missing or out of date. Every setting has a flag here and an
    AI45_<NAME> environment variable; flags win.
    """
    from .serve import serve as run_server

    run_server(options)


@main.command("import-paper")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--out", type=click.Path(dir_okay=False), help="Output file (default "
              "ontology/data/bibliography.ttl).")
def import_paper(files: tuple[str, ...], out: str | None) -> None:
    """Parse the paper's plain-text versions into the bibliography graph (deterministic Turtle).

    Each FILE is identified as a version by its file name (ai45:sourceFile in
    ontology/data/paper.ttl). Malformed reference lines are reported, never dropped silently.
    """
    from ai45kg.kg.load import SourceError
    from ai45kg.kg.paper import PaperImportError, import_and_write

    if out is None and not paths.in_checkout():
        # the default target is a source of the build that ships inside the installed package:
        # rewriting it would change what every user of this installation builds
        raise click.ClickException(
            f"outside a source checkout the bibliography ({paths.BIBLIOGRAPHY_FILE}) is part of "
            "the installed package; give --out FILE to write the import elsewhere")
    try:
        result = import_and_write([Path(f) for f in files], Path(out) if out else None)
    except (PaperImportError, SourceError) as exc:
        raise click.ClickException(str(exc)) from exc
    for warning in result.warnings:
        click.echo(f"warning: {warning}", err=True)
    target = out or str(paths.BIBLIOGRAPHY_FILE)
    click.echo(f"wrote {target} ({len(result.graph)} triples, {len(result.warnings)} warning(s))")


QUERY_FORMATS = {
    "table": None,
    "json": "application/sparql-results+json",
    "csv": "text/csv",
    "tsv": "text/tab-separated-values",
    "xml": "application/sparql-results+xml",
    "turtle": "text/turtle",
    "ntriples": "application/n-triples",
    "jsonld": "application/ld+json",
}


@main.command()
@click.argument("query")
@click.option("--param", "-p", "params", multiple=True, metavar="NAME=VALUE",
              help="A parameter of a named query (repeatable).")
@click.option("--format", "-f", "fmt", type=click.Choice(sorted(QUERY_FORMATS)), default="table",
              show_default=True)
@click.option("--dist", type=click.Path(file_okay=False), help="Built dataset (default dist/).")
@click.option("--store", type=click.Choice(["memory", "oxigraph", "remote"]), default=None,
              help="Store to ask (default: the STORE setting, AI45_STORE).")
@click.option("--endpoint", default=None, metavar="URL",
              help="SPARQL endpoint of the remote store (default: AI45_ENDPOINT).")
@click.option("--store-path", default=None, type=click.Path(file_okay=False),
              help="Directory of Oxigraph stores (default: .oxigraph/ beside dist).")
@click.option("--scope", type=click.Choice(["paper", "all"]), default=None,
              help="Ask the paper's graphs alone, or the paper with the analysts' imports "
              "(default: every graph, no restriction).")
def query(query: str, params: tuple[str, ...], fmt: str, dist: str | None, store: str | None,
          endpoint: str | None, store_path: str | None, scope: str | None = None) -> None:
    """Run a named query (NAME), a .rq FILE or SPARQL TEXT against the built dataset.

    \b
    ai45kg query techniques-for-level --param level=ai45r:level/perception
    ai45kg query my-query.rq --format csv
    ai45kg query 'SELECT * WHERE { ?s a ai45:Layer }'
    ai45kg query levels --store remote --endpoint http://127.0.0.1:8890/sparql
    """
    from ai45kg.kg import queries as named

    from .backend import Backend, QueryError
    from .results import render

    raw: dict[str, str] = {}
    for item in params:
        key, sep, value = item.partition("=")
        if not sep:
            raise click.BadParameter(f"{item!r} is not NAME=VALUE", param_hint="--param")
        raw[key.strip()] = value
    catalogue = named.load_all()
    try:
        if query in catalogue:
            nq = catalogue[query]
            text, bindings = nq.text, nq.bind(raw)
        else:
            if raw:
                raise click.UsageError("--param applies to named queries only")
            path = Path(query)
            text = path.read_text(encoding="utf-8") if query.endswith(".rq") and path.exists() \
                else query
            bindings = {}
    except named.ParamError as exc:
        raise click.BadParameter(str(exc), param_hint="--param") from exc
    from ai45kg.kg.stores import StoreError

    from .backend import store_options
    from .serve import resolve_config

    directory = _ensure_built(_dist(dist))
    config = resolve_config({"store": store, "endpoint": endpoint, "store_path": store_path,
                             "dist": str(directory)})
    config["STORE_IN_MEMORY_QUADS"] = 0  # one query: the copy into memory would cost more
    try:
        backend = Backend(directory, store=config["STORE"], query_workers=0, max_rows=1_000_000,
                          store_options=store_options(config))
    except StoreError as exc:
        raise click.ClickException(str(exc)) from exc
    try:
        graphs = None
        if scope is not None:
            from ai45kg.kg.scopes import scope_graphs

            graphs = [str(g) for g in scope_graphs(scope, [str(g) for g in backend.graph_names()])]
        outcome = backend.run(text, bindings, default_graph_uris=graphs, named_graph_uris=graphs)
    except QueryError as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        backend.close()
    media = QUERY_FORMATS[fmt]
    result = outcome.result
    if media is None:
        if result.type in ("CONSTRUCT", "DESCRIBE"):
            media = "text/turtle"
        else:
            click.echo(_table(result), nl=False)
            return
    if result.type in ("CONSTRUCT", "DESCRIBE") and not media.startswith(("text/turtle",
                                                                           "application/n-",
                                                                           "application/ld")):
        raise click.UsageError(f"a {result.type} query answers in turtle, ntriples or jsonld")
    if result.type in ("SELECT", "ASK") and media in ("text/turtle", "application/n-triples",
                                                      "application/ld+json"):
        raise click.UsageError(f"a {result.type} query answers in table, json, csv, tsv or xml")
    sys.stdout.buffer.write(render(result, media, truncated=outcome.truncated))
    sys.stdout.flush()


@main.command()
@click.option("--endpoint", default=None, metavar="URL",
              help="SPARQL query endpoint of the store (default: AI45_ENDPOINT).")
@click.option("--update-endpoint", default=None, metavar="URL",
              help="SPARQL update endpoint (default: AI45_UPDATE_ENDPOINT, else --endpoint).")
@click.option("--graph-store", default=None, metavar="URL",
              help="Graph Store Protocol endpoint: PUT each graph there instead of SPARQL "
                   "Update (default: AI45_GRAPH_STORE).")
@click.option("--auth", type=click.Choice(["basic", "digest"]), default=None,
              help="HTTP authentication of AI45_REMOTE_USER / AI45_REMOTE_PASSWORD (default: "
                   "AI45_REMOTE_AUTH, else basic).")
@click.option("--dist", type=click.Path(file_okay=False), help="Built dataset (default dist/).")
@click.option("--export", "export_to", type=click.Path(dir_okay=False), default=None,
              help="Write the build and its build record as N-Quads to this file instead, for "
                   "an engine's bulk loader.")
def push(endpoint: str | None, update_endpoint: str | None, graph_store: str | None,
         auth: str | None, dist: str | None, export_to: str | None) -> None:
    """Load the built dataset, named graphs included, into a remote SPARQL store.

    Idempotent: the project's graphs are dropped first, then loaded (SPARQL Update INSERT DATA
    in chunks, or one Graph Store Protocol PUT per graph), then the build's content hash is
    recorded so that `serve --store remote` knows what the endpoint holds. Credentials come
    from AI45_REMOTE_USER and AI45_REMOTE_PASSWORD only.

    \b
    ai45kg push --endpoint http://127.0.0.1:8890/sparql \\
                --update-endpoint http://127.0.0.1:8890/sparql-auth --auth digest
    """
    from ai45kg.kg.push import export
    from ai45kg.kg.push import push as run_push
    from ai45kg.kg.stores import StoreError

    from .serve import resolve_config

    directory = _ensure_built(_dist(dist))
    if export_to:
        n = export(directory, Path(export_to))
        click.echo(f"wrote {export_to} ({n} quads with the build record)")
        return
    config = resolve_config({"endpoint": endpoint, "update_endpoint": update_endpoint,
                             "graph_store": graph_store, "remote_auth": auth})
    if not config.get("ENDPOINT"):
        raise click.UsageError("give the store's SPARQL endpoint: --endpoint URL (or "
                               "AI45_ENDPOINT)")
    try:
        report = run_push(directory, config["ENDPOINT"], config.get("UPDATE_ENDPOINT") or None,
                          graph_store=config.get("GRAPH_STORE") or None,
                          auth=config.get("REMOTE_AUTH") or "basic", echo=click.echo)
    except StoreError as exc:
        raise click.ClickException(f"push failed: {exc}") from exc
    total = sum(report.triples.values())
    click.echo(f"pushed {total} triples in {len(report.triples)} graphs to {report.endpoint} "
               f"({report.requests} requests, {report.seconds:.1f} s, build "
               f"{report.content_hash[:12]})")


@main.command()
@click.option("--triples", "-n", type=int, default=100_000, show_default=True,
              help="About how many triples to write (whole works: a few more).")
@click.option("--seed", "-s", type=int, default=1, show_default=True)
@click.option("--out", "-o", type=click.Path(dir_okay=False), required=True,
              help="Output file: .nt or .ttl (an import file), or .nq (in the import's graph).")
@click.option("--name", default=None, help="Import name (default synth-SEED).")
def synth(triples: int, seed: int, out: str, name: str | None) -> None:
    """Write a synthetic literature: works with authors, years, titles, citations among them
    (cito:cites) and mappings onto the roadmap's techniques and levels; deterministic by seed.

    \b
    ai45kg synth --triples 1000000 --seed 1 --out /tmp/synth-1m.nq
    ai45kg synth --triples 10000 --out imports/synth-1.ttl   # built like any analyst import
    """
    from ai45kg.kg.literature.synth import write

    report = write(Path(out), triples, seed, name=name)
    click.echo(f"wrote {report.out}: {report.triples} triples, {report.works} works "
               f"(import {report.name}, sha256 {report.sha256[:12]})")


def _ensure_built(directory: Path) -> Path:
    """Build dist/ first when it is missing or older than its sources."""
    from ai45kg.kg.build import build as run_build
    from ai45kg.kg.build import is_up_to_date

    if not is_up_to_date(directory):
        click.echo(f"building {directory} (missing or out of date) ...", err=True)
        run_build(directory)
    return directory


def _table(result: object) -> str:
    """A plain-text table: prefixed names for IRIs, one line per row."""
    from ai45kg.kg.namespaces import PREFIXES

    def show(term: object) -> str:
        if term is None:
            return ""
        text = str(term)
        for prefix, ns in sorted(PREFIXES.items(), key=lambda kv: -len(kv[1])):
            if text.startswith(ns) and term.__class__.__name__ == "URIRef":
                return f"{prefix}:{text[len(ns):]}"
        return text.replace("\n", " ")

    if getattr(result, "type", "") == "ASK":
        return f"{'true' if result.boolean else 'false'}\n"  # type: ignore[attr-defined]
    header = list(result.vars)  # type: ignore[attr-defined]
    rows = [[show(v) for v in row] for row in result.rows]  # type: ignore[attr-defined]
    widths = [min(60, max([len(h)] + [len(r[i]) for r in rows])) for i, h in enumerate(header)]

    def line(cells: list[str]) -> str:
        return "  ".join(c[: widths[i]].ljust(widths[i]) for i, c in enumerate(cells)).rstrip()

    out = [line(header), line(["-" * w for w in widths])]
    out += [line(r) for r in rows]
    out.append(f"({len(rows)} row{'s' if len(rows) != 1 else ''})")
    return "\n".join(out) + "\n"


@main.command()
@click.argument("path")
@click.option("--accept", "-a", default=None, help="Accept header to send.")
def get(path: str, accept: str | None) -> None:
    """Answer one GET request in-process (no server) and print the body: a cheap way to script
    exports and smoke tests, e.g. `ai45kg get /id/level/autonomy.ttl`."""
    from . import create_app

    _ensure_built(paths.dist_dir())
    app = create_app({"DIST": str(paths.dist_dir()), "QUERY_WORKERS": 0})
    with app.test_client() as client:
        response = client.get(path, headers={"Accept": accept} if accept else {})
    sys.stdout.buffer.write(response.get_data())
    sys.stdout.flush()
    if response.status_code >= 400:
        click.echo(f"HTTP {response.status_code}", err=True)
        sys.exit(1)



# --------------------------------------------------------------------------- analyst imports


@main.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--name", "-n", required=True,
              help="Name of the import (lower-case words joined by hyphens); its graph is "
              "https://w3id.org/ai45/graph/import/NAME. An import of the same name is replaced.")
@click.option("--format", "fmt", type=click.Choice(list(FORMAT_NAMES)), default=None,
              help="Format of FILE (default: from its extension, and for .json its content).")
@click.option("--mapping", type=click.Path(exists=True, dir_okay=False), default=None,
              help="A CSV mapping BibTeX keys to concepts (column key), instead of the entries' "
              "keywords.")
@click.option("--no-build", is_flag=True, help="Store the import but do not rebuild dist/.")
@click.option("--dist", type=click.Path(file_okay=False), help="Build directory (default dist/).")
def import_(file: str, name: str, fmt: str | None, mapping: str | None, no_build: bool,
            dist: str | None) -> None:
    """Import an analyst's file of works (CSV, BibTeX, Turtle, JSON-LD, or what reference
    managers export: Zotero's CSL-JSON, RIS, OpenAlex work records), mapped onto the taxonomy
    or not yet.

    The file is checked (every problem is reported with its line and field), works the paper
    cites are linked by DOI, arXiv id or title, the result is validated with the SHACL shapes,
    stored in imports/ (AI45_IMPORTS) and dist/ is rebuilt. Nothing changes if anything fails.
    """
    from ai45kg.kg.literature.imports import ImportFailed, import_file

    try:
        summary = import_file(Path(file), name, fmt=fmt, mapping=Path(mapping) if mapping else None,
                              rebuild=not no_build, dist=_dist(dist) if dist else None)
    except ImportFailed as exc:
        raise click.ClickException(str(exc)) from exc
    for warning in summary.warnings:
        click.echo(f"warning: {warning}", err=True)
    click.echo(f"imported {summary.source} as {summary.name!r} into <{summary.graph}>: "
               f"{summary.works} works ({summary.new} new, {len(summary.linked)} linked to the "
               f"paper's cited works), {summary.mappings} mappings"
               + (f", {summary.unmapped} works without a mapping" if summary.unmapped else ""))
    for where, work, how in summary.linked:
        click.echo(f"  linked {where} -> <{work}> (same {how})")
    click.echo(f"  stored {summary.path}" + ("; dist/ rebuilt" if summary.built else
                                              "; run `ai45kg build` to serve it"))
    click.echo("  " + ", ".join(f"{k} {v:.2f}s" for k, v in summary.seconds.items()))


@main.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--top", "-k", type=click.IntRange(1, 50), default=5, show_default=True,
              help="Suggestions per work.")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table",
              show_default=True, help="What to print.")
@click.option("--out", type=click.Path(dir_okay=False), default=None,
              help="Write a review CSV here: the import's columns with the suggestions at or "
              "above --accept-above filled in, plus their scores, the alternatives and why; "
              "edit it, then `ai45kg import` it as it is.")
@click.option("--accept-above", type=click.FloatRange(0, 1), default=DEFAULT_ACCEPT,
              show_default=True,
              help="The score from which a suggestion is filled in the review CSV.")
@click.option("--input-format", type=click.Choice(list(FORMAT_NAMES)), default=None,
              help="Format of FILE (default: from its extension, and for .json its content).")
@click.option("--dist", type=click.Path(file_okay=False), help="Built dataset (default dist/).")
def suggest(file: str, top: int, fmt: str, out: str | None, accept_above: float,
            input_format: str | None, dist: str | None) -> None:
    """Suggest, for each work of FILE (any import format), the concepts of the taxonomy it
    addresses: ranked, with a score and why (the words that matched and where they come from).

    Suggestions are interpretations: nothing is written into the graph. Only what you confirm
    by importing the reviewed file is, and the next build's suggestions learn from it.

    \b
    ai45kg suggest library.ris
    ai45kg suggest zotero.json --format json --top 3
    ai45kg suggest works.csv --out review.csv --accept-above 0.4
    ai45kg import review.csv --name my-review
    """
    import json

    from ai45kg.kg.concepts import ConceptIndex
    from ai45kg.kg.literature.profiles import load_profiles
    from ai45kg.kg.literature.review import (
        ReviewFailed,
        read_records,
        review_csv,
        suggest_records,
    )
    from ai45kg.kg.literature.suggest import Ranker

    try:
        records = read_records(Path(file), input_format)
    except ReviewFailed as exc:
        raise click.ClickException(str(exc)) from exc
    ranker = Ranker(load_profiles(_ensure_built(_dist(dist))))
    run = suggest_records(ranker, records, top)
    if out:
        Path(out).write_text(review_csv(run, accept_above, ConceptIndex.load()),
                             encoding="utf-8")
        filled = sum(1 for w in run.works if any(s.score >= accept_above for s in w.suggestions))
        click.echo(f"wrote {out}: {len(run.works)} works, {filled} with a suggestion at or "
                   f"above {accept_above:g} filled in", err=True)
        return
    if fmt == "json":
        click.echo(json.dumps([w.json() for w in run.works], ensure_ascii=False, indent=1))
    elif fmt == "csv":
        import csv

        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(["work", "title", "rank", "concept", "label", "score", "why"])
        for n, w in enumerate(run.works, start=1):
            for rank, s in enumerate(w.suggestions, start=1):
                writer.writerow([n, w.record.title, rank, s.concept, s.label, f"{s.score:.3f}",
                                 " | ".join(str(r) for r in s.why)])
    else:
        for n, w in enumerate(run.works, start=1):
            click.echo(f"{n}. {w.record.title}")
            if not w.suggestions:
                click.echo("   (no concept shares a word with it)")
            for s in w.suggestions:
                click.echo(f"   {s.score:.3f}  {s.label}  <{s.concept}>")
                for r in s.why:
                    click.echo(f"          {r}")


@main.command("imports")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table",
              show_default=True)
def imports_(fmt: str) -> None:
    """List the analyst imports (stored in imports/, or AI45_IMPORTS)."""
    import json

    from ai45kg.kg.literature.imports import list_imports

    found = list_imports()
    if fmt == "json":
        click.echo(json.dumps([{"name": i.name, "path": str(i.path), **i.meta} for i in found],
                              indent=2))
        return
    if not found:
        click.echo(f"no imports in {paths.imports_dir()}")
        return
    header = ("name", "works", "new", "linked", "mappings", "format", "source", "imported")
    rows = [(i.name, *(i.meta.get(k, "") for k in header[1:])) for i in found]
    widths = [max(len(h), *(len(r[c]) for r in rows)) for c, h in enumerate(header)]
    for row in [header, tuple("-" * w for w in widths), *rows]:
        click.echo("  ".join(v.ljust(widths[c]) for c, v in enumerate(row)).rstrip())


@main.command("drop")
@click.argument("name")
@click.option("--no-build", is_flag=True, help="Remove the import but do not rebuild dist/.")
@click.option("--dist", type=click.Path(file_okay=False), help="Build directory (default dist/).")
def drop(name: str, no_build: bool, dist: str | None) -> None:
    """Remove the analyst import NAME (its graph) and rebuild dist/ without it."""
    from ai45kg.kg.literature.imports import ImportFailed, drop_import

    try:
        path = drop_import(name, rebuild=not no_build, dist=_dist(dist) if dist else None)
    except ImportFailed as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"dropped import {name!r} ({path})" + ("" if no_build else "; dist/ rebuilt"))


# --------------------------------------------------------------------------- report, exports


def _runner(dist: str | None) -> object:
    from ai45kg.kg.reports import open_runner

    return open_runner(_ensure_built(_dist(dist)))


@main.command()
@click.option("--scope", type=click.Choice(["paper", "all"]), default="all", show_default=True,
              help="The paper alone, or the paper with the analysts' imports.")
@click.option("--out", type=click.Path(file_okay=False), default=None,
              help="Write report.md, report.html, report.json, tables/*.csv|json and "
              "pictures/*.svg|png into this directory.")
@click.option("--format", "fmt", type=click.Choice(["markdown", "html", "json"]),
              default="markdown", show_default=True, help="What to print without --out.")
@click.option("--dist", type=click.Path(file_okay=False), help="Built dataset (default dist/).")
def report(scope: str, out: str | None, fmt: str, dist: str | None) -> None:
    """The literature map: coverage of the taxonomy, gaps, what imports add, version diff."""
    import json

    from ai45kg.kg.reports import compute_report
    from ai45kg.kg.reports.pictures import png_available

    result = compute_report(_runner(dist), scope=scope)  # type: ignore[arg-type]
    if out:
        written = result.write(Path(out))
        click.echo(f"wrote {len(written)} files to {out}"
                   + ("" if png_available() else " (no PNG: cairosvg or libcairo is missing)"))
        return
    if fmt == "json":
        click.echo(json.dumps(result.json(), indent=2, ensure_ascii=False))
    elif fmt == "html":
        click.echo(result.html(), nl=False)
    else:
        click.echo(result.markdown(), nl=False)


@main.group()
def export() -> None:
    """Export the works as BibTeX or the taxonomy as SKOS."""


@export.command("bibtex")
@click.option("--scope", type=click.Choice(["paper", "all"]), default="paper", show_default=True,
              help="The paper's cited works, or with the analysts' imported works too.")
@click.option("--out", type=click.Path(dir_okay=False), default=None,
              help="File (default: stdout).")
@click.option("--dist", type=click.Path(file_okay=False), help="Built dataset (default dist/).")
def export_bibtex(scope: str, out: str | None, dist: str | None) -> None:
    """The works as BibTeX; keywords name the concepts each is cited for."""
    from ai45kg.kg.exports import works_bibtex

    text = works_bibtex(_runner(dist), scope=scope)  # type: ignore[arg-type]
    _emit(text, out)


@export.command("skos")
@click.option("--out", type=click.Path(dir_okay=False), default=None,
              help="File (default: stdout).")
@click.option("--dist", type=click.Path(file_okay=False), help="Built dataset (default dist/).")
def export_skos(out: str | None, dist: str | None) -> None:
    """The taxonomy as a SKOS concept scheme (Turtle, SKOS and RDFS terms only), for Skosmos."""
    from ai45kg.kg.exports import skos_turtle

    _emit(skos_turtle(_runner(dist)), out)  # type: ignore[arg-type]


def _emit(text: str, out: str | None) -> None:
    if out:
        Path(out).write_text(text, encoding="utf-8")
        click.echo(f"wrote {out}")
    else:
        sys.stdout.write(text)
        sys.stdout.flush()

if __name__ == "__main__":
    main()
