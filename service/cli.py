"""The `ai45kg` command: the outermost layer, composing the `kg` library and the Flask app."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from kg import paths

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
    from kg.build import build as run_build
    from kg.load import SourceError
    from kg.validate import ValidationFailed

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
    from kg.load import SourceError, load_sources
    from kg.reason import infer
    from kg.validate import validate_dataset

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
    """Serve the dataset (SPARQL endpoint, linked data, UI) under gunicorn.

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
    from kg.importer import PaperImportError, import_and_write
    from kg.load import SourceError

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
def query(query: str, params: tuple[str, ...], fmt: str, dist: str | None) -> None:
    """Run a named query (NAME), a .rq FILE or SPARQL TEXT against the built dataset.

    \b
    ai45kg query techniques-for-level --param level=ai45r:level/perception
    ai45kg query my-query.rq --format csv
    ai45kg query 'SELECT * WHERE { ?s a ai45:Layer }'
    """
    from kg import queries as named
    from kg.namespaces import PREFIXES

    from .backend import Backend, QueryError
    from .sparql import render

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
            declared = {line.split()[1].rstrip(":") for line in text.splitlines()
                        if line.strip().upper().startswith("PREFIX")}
            text = "".join(f"PREFIX {p}: <{ns}>\n" for p, ns in PREFIXES.items()
                           if p not in declared) + text
            bindings = {}
    except named.ParamError as exc:
        raise click.BadParameter(str(exc), param_hint="--param") from exc
    directory = _ensure_built(_dist(dist))
    backend = Backend(directory, query_workers=0, max_rows=1_000_000)
    try:
        outcome = backend.run(text, bindings)
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
    sys.stdout.buffer.write(render(outcome, media))
    sys.stdout.flush()


def _ensure_built(directory: Path) -> Path:
    """Build dist/ first when it is missing or older than its sources."""
    from kg.build import build as run_build
    from kg.build import is_up_to_date

    if not is_up_to_date(directory):
        click.echo(f"building {directory} (missing or out of date) ...", err=True)
        run_build(directory)
    return directory


def _table(result: object) -> str:
    """A plain-text table: prefixed names for IRIs, one line per row."""
    from kg.namespaces import PREFIXES

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


if __name__ == "__main__":
    main()
