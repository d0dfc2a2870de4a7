"""The `ai45kg` command: the outermost layer, composing the `kg` library and the Flask app."""

from __future__ import annotations

import json
import sys
import time
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
