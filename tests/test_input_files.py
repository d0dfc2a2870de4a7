"""Files from outside (kg/rdfsafe.py, the analyst imports, the paper importer): no external entity
is resolved, no URL fetched, no entity bomb expanded; a malformed or truncated file gets an error
naming its line; and a crash or kill midway leaves the previous files and dist/ whole.

Every payload that names a host names a listener on 127.0.0.1 that records connections, so an
attempt to fetch would be seen, not just refused."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from rdflib import Dataset, Graph

from ai45kg.kg import paths
from ai45kg.kg.rdfsafe import RDFInputError, RDFInputRefused, no_network, parse_untrusted

from .hostile.net import ConnectionRecorder

RDF_NS = 'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:ex="http://example.org/"'

#: about 700 bytes that expand to 10**8 copies of a 30-character string (3 GB): rdflib 7.6
#: keeps parsing such a file for minutes, pyoxigraph expands it into memory
BILLION_LAUGHS = (
    '<?xml version="1.0"?>\n<!DOCTYPE rdf:RDF [\n <!ENTITY a "lollollollollollollollollollol">\n'
    + "".join(f' <!ENTITY {c} "{("&" + p + ";") * 10}">\n'
              for p, c in zip("abcdefgh", "bcdefghi", strict=True))
    + f"]>\n<rdf:RDF {RDF_NS}>\n <rdf:Description rdf:about=\"http://example.org/x\">"
    "<ex:p>&i;</ex:p></rdf:Description>\n</rdf:RDF>\n"
)


@pytest.fixture()
def recorder() -> Iterator[ConnectionRecorder]:
    with ConnectionRecorder() as listener:
        yield listener


# ------------------------------------------------------------------------------ RDF/XML


def test_the_billion_laughs_file_is_small() -> None:
    assert len(BILLION_LAUGHS.encode()) < 800


def test_billion_laughs_is_refused_within_a_second() -> None:
    # in a subprocess: were the guard to fail, the parse would run for minutes, not hang pytest
    script = ("import sys, time\nfrom kg.rdfsafe import parse_untrusted, RDFInputRefused\n"
              "t = time.monotonic()\ntry:\n    parse_untrusted(sys.stdin.read(), 'xml')\n"
              "except RDFInputRefused as e:\n    print('refused', time.monotonic() - t, e)\n")
    done = subprocess.run([sys.executable, "-c", script], input=BILLION_LAUGHS, text=True,
                          capture_output=True, timeout=20, cwd=paths.ROOT)
    assert done.stdout.startswith("refused"), done.stdout + done.stderr
    assert float(done.stdout.split()[1]) < 1.0
    assert "line 2" in done.stdout and "DOCTYPE" in done.stdout


@pytest.mark.parametrize("where", ["http", "file", "parameter-entity", "utf16", "lower-case"])
def test_external_entities_are_refused_and_never_fetched(
        recorder: ConnectionRecorder, where: str) -> None:
    target = {"http": f"{recorder.url}xxe", "file": "file:///etc/passwd"}.get(where,
                                                                             recorder.url)
    if where == "parameter-entity":
        doctype = f'<!DOCTYPE r [ <!ENTITY % remote SYSTEM "{target}"> %remote; ]>'
    elif where == "lower-case":
        doctype = f'<!doctype r [ <!entity xxe system "{target}"> ]>'
    else:
        doctype = f'<!DOCTYPE r [ <!ENTITY xxe SYSTEM "{target}"> ]>'
    text = (f'<?xml version="1.0"?>\n{doctype}\n<rdf:RDF {RDF_NS}>\n'
            '<rdf:Description rdf:about="http://example.org/x"><ex:p>&xxe;</ex:p>'
            "</rdf:Description>\n</rdf:RDF>\n")
    data: str | bytes = text.encode("utf-16") if where == "utf16" else text
    with pytest.raises(RDFInputRefused, match="DOCTYPE|ENTITY|DTD") as caught:
        parse_untrusted(data, "application/rdf+xml", source="evil.rdf")
    assert caught.value.line == 2 or where == "utf16"
    assert "evil.rdf" in str(caught.value)
    time.sleep(0.3)
    assert recorder.connections == []


def test_plain_rdf_xml_parses() -> None:
    text = (f'<?xml version="1.0"?>\n<rdf:RDF {RDF_NS}>\n<rdf:Description '
            'rdf:about="http://example.org/x"><ex:p>v</ex:p></rdf:Description>\n</rdf:RDF>\n')
    assert len(parse_untrusted(text, "xml")) == 1


# ------------------------------------------------------------------------------ JSON-LD


@pytest.mark.parametrize("document", [
    '{"@context": "LISTENER", "@id": "http://example.org/x", "p": "v"}',
    '{"@context": ["LISTENER", {"ex": "http://example.org/"}], "@id": "ex:x"}',
    '{"@context": {"@import": "LISTENER"}, "@id": "http://example.org/x"}',
    '{"@context": {"p": {"@id": "http://example.org/p", "@context": "LISTENER"}},\n'
    ' "@id": "http://example.org/x", "p": {"@id": "http://example.org/y"}}',
    '[{"@id": "http://example.org/x"}, {"@context": "LISTENER", "@id": "http://example.org/y"}]',
    '{"@context": "ctx.jsonld", "@id": "http://example.org/x"}',
    '{"@context": "file:///etc/passwd", "@id": "http://example.org/x"}',
], ids=["remote", "remote-in-list", "import", "scoped", "second-node", "relative", "file"])
def test_json_ld_remote_contexts_are_refused_and_never_fetched(
        recorder: ConnectionRecorder, document: str) -> None:
    with pytest.raises(RDFInputRefused, match="context|@import"):
        parse_untrusted(document.replace("LISTENER", recorder.url + "ctx"), "json-ld")
    time.sleep(0.3)
    assert recorder.connections == []


def test_json_ld_with_an_inline_context_parses() -> None:
    doc = '{"@context": {"ex": "http://example.org/"}, "@id": "ex:x", "ex:p": "v"}'
    assert len(parse_untrusted(doc, "json-ld")) == 1


def test_the_parser_cannot_reach_the_network_even_if_a_check_were_missed(
        recorder: ConnectionRecorder) -> None:
    with no_network(), pytest.raises(PermissionError):
        socket.create_connection(("127.0.0.1", recorder.port), timeout=2)
    # only inside the guard, only in its thread
    seen: list[BaseException | None] = []

    def other_thread() -> None:
        try:
            socket.create_connection(("127.0.0.1", recorder.port), timeout=2).close()
            seen.append(None)
        except BaseException as exc:  # noqa: BLE001 - reported below
            seen.append(exc)

    with no_network():
        thread = threading.Thread(target=other_thread)
        thread.start()
        thread.join()
    assert seen == [None]
    socket.create_connection(("127.0.0.1", recorder.port), timeout=2).close()
    time.sleep(0.3)
    assert len(recorder.connections) == 2


# ------------------------------------------------------------------------------ Turtle & co


def test_turtle_prefix_and_base_never_fetch(recorder: ConnectionRecorder) -> None:
    text = (f"@base <{recorder.url}> .\n@prefix ev: <{recorder.url}ns#> .\n"
            f"<x> ev:p <{recorder.url}owl.ttl> .\n")
    graph = parse_untrusted(text, "turtle")
    assert len(graph) == 1
    time.sleep(0.3)
    assert recorder.connections == []


@pytest.mark.parametrize(("fmt", "text", "line"), [
    ("turtle", '@prefix ex: <http://e/> .\nex:a ex:b ex:c .\nex:a ex:b "open .\n', 3),
    ("turtle", "@prefix ex: <http://e/> .\n\nex:a ex:b ex:c ;\n  ex:d [ ex:e", 4),
    ("trig", "<http://g> {\n <http://a> <http://b> <http://c> .\n <http://a> <http://b> }\n", 3),
    ("nt", "<http://a> <http://b> <http://c> .\n\n<http://a> <http://b> .\n", 3),
    ("nquads", "<http://a> <http://b> <http://c> <http://g> .\n<http://a> x .\n", 2),
    ("xml", f'<?xml version="1.0"?>\n<rdf:RDF {RDF_NS}>\n<ex:a>\n</rdf:RDF>\n', 4),
    ("json-ld", '{"@id": "http://x",\n "http://p": [1,\n}', 3),
    ("turtle", "@prefix ex: <http://e/> .\nex:a ex:b \xff .\n", 2),
], ids=["unterminated-string", "truncated", "trig", "ntriples", "nquads", "xml", "json",
        "not-utf8"])
def test_malformed_input_names_the_line(fmt: str, text: str, line: int) -> None:
    data: str | bytes = text.encode("latin-1") if "\xff" in text else text
    with pytest.raises(RDFInputError) as caught:
        parse_untrusted(data, fmt, source="broken.file")
    assert not isinstance(caught.value, RDFInputRefused)
    assert caught.value.line == line, str(caught.value)
    assert f"broken.file line {line}" in str(caught.value)


def test_deep_nesting_and_size_are_refused_cleanly() -> None:
    with pytest.raises(RDFInputError, match="nests too deeply"):
        parse_untrusted("<http://a> <http://b> " + "[ <http://b> " * 100_000, "turtle")
    with pytest.raises(RDFInputRefused, match="bytes"):
        parse_untrusted("#" * 2000, "turtle", max_bytes=1000)
    with pytest.raises(RDFInputRefused, match="never read from a URL"):
        parse_untrusted(Path("/etc/passwd"), "turtle")  # type: ignore[arg-type]


# ------------------------------------------------------------------------------ who parses what

#: every `.parse(` in kg/ and service/ on data the project did not write goes through rdfsafe;
#: these are the others, with why they are safe
TRUSTED_PARSES = {
    ("kg/load.py", "into.parse(path, format=\"turtle\")"): "the project's own source files",
    ("kg/stores/base.py", "ds.parse(dist / DATASET_TRIG, format=\"trig\")"): "the build's own TriG",
    ("kg/queries.py", "p.parse(value)"): "a named-query parameter, not RDF",
    ("service/queries.py", "p.parse(raw[p.name])"): "a named-query parameter, not RDF",
    ("kg/literature/files.py", "bibtex.parse(text)"): "BibTeX, not RDF (no entities, no URLs)",
    ("kg/rdfsafe.py", "target.parse(data=text, format=fmt, **kwargs)"): "the guarded parse",
    ("kg/rdfsafe.py", "Graph()).parse(data=line + \"\\n\","): "the guarded line check",
    ("kg/push.py", "ox.parse(path=str(dist / DATASET_NQUADS)"): "the build's own N-Quads",
    ("kg/stores/oxigraph_load.py", "ox.parse(path=str(nquads), format=ox.RdfFormat.N_QUADS)"):
        "the build's own N-Quads, loaded into the Oxigraph store",
    ("kg/literature/synth.py", "ox.parse(path=str(path), format=ox.RdfFormat.TURTLE)"):
        "generated data",
    ("kg/stores/oxigraph.py", "self._ox.parse(path=str(path), format=self._ox.RdfFormat.N_QUADS)"):
        "the Oxigraph store's own literal file, written when the store was loaded",
    # a CONSTRUCT / DESCRIBE answer of the remote SPARQL endpoint the operator configured
    # (STORE=remote): pyoxigraph never fetches, but it does expand internal XML entities, so an
    # RDF/XML answer of a hostile endpoint could exhaust the worker's memory (WORKER_MEMORY_MB
    # caps it: 503, worker replaced); asking for and accepting N-Triples only would close it
    ("kg/stores/remote.py", "ox.parse(reply.body, formats.get(media, ox.RdfFormat.N_TRIPLES))"):
        "the configured remote endpoint's answers (see above)",
}


def test_every_rdf_parse_of_outside_data_goes_through_rdfsafe() -> None:
    found = set()
    for folder in ("kg", "service"):
        for path in sorted((paths.ROOT / folder).rglob("*.py")):
            for line in path.read_text(encoding="utf-8").splitlines():
                if re.search(r"\.parse\(", line) and not line.lstrip().startswith("#"):
                    found.add((str(path.relative_to(paths.ROOT)), line.strip()))
    unknown = sorted(
        (file, line) for file, line in found
        if not any(file == f and snippet in line for f, snippet in TRUSTED_PARSES)
    )
    assert unknown == [], "an RDF parse outside kg.rdfsafe: use parse_untrusted for data " \
        f"from outside, or list it in TRUSTED_PARSES with why it is safe: {unknown}"


# ------------------------------------------------------------------------------ analyst imports


def _import(path: Path, tmp_path: Path) -> str:
    from ai45kg.kg.literature.imports import ImportFailed, prepare

    try:
        prepare(path, "hostile")
    except ImportFailed as exc:
        return str(exc)
    return ""


def test_an_import_with_a_remote_context_is_refused_without_fetching(
        recorder: ConnectionRecorder, tmp_path: Path) -> None:
    doc = {"@context": [f"{recorder.url}context.jsonld"],
           "@id": "https://example.org/w", "dcterms:title": "A work"}
    file = tmp_path / "remote.jsonld"
    file.write_text(json.dumps(doc, indent=1))
    message = _import(file, tmp_path)
    assert "context" in message and "not imported" in message
    time.sleep(0.3)
    assert recorder.connections == []


def test_an_import_in_turtle_never_fetches(recorder: ConnectionRecorder,
                                           tmp_path: Path) -> None:
    file = tmp_path / "base.ttl"
    file.write_text(f"@base <{recorder.url}> .\n@prefix x: <{recorder.url}#> .\n"
                    '<w> dcterms:title "A work" ; x:seeAlso <other> .\n', encoding="utf-8")
    _import(file, tmp_path)
    time.sleep(0.3)
    assert recorder.connections == []


def test_a_truncated_import_names_the_line(tmp_path: Path) -> None:
    file = tmp_path / "cut.ttl"
    file.write_text('<https://example.org/w> dcterms:title "A work" ;\n  ai45:addresses\n',
                    encoding="utf-8")
    message = _import(file, tmp_path)
    assert "line 2" in message or "line 3" in message, message
    assert "nothing was changed" in message


# ------------------------------------------------------------------------------ the paper importer


def test_the_paper_importer_resolves_nothing(recorder: ConnectionRecorder,
                                             tmp_path: Path) -> None:
    from ai45kg.kg.paper import import_papers

    text = textwrap.dedent(f"""\
        <?xml version="1.0"?><!DOCTYPE p [<!ENTITY xxe SYSTEM "{recorder.url}xxe">]>
        1 Introduction
        Machine Unlearning [1] &xxe; see {recorder.url}paper.pdf
        and <!ENTITY % e SYSTEM "{recorder.url}">
        References
        [1] A. Author. Unlearning things. {recorder.url}doi, 2024. doi:10.1234/{recorder.port}
        """)
    file = tmp_path / "hostile.txt"
    file.write_text(text, encoding="utf-8")
    version = "https://w3id.org/ai45/id/paper/towards-ai-45-law/v103"
    result = import_papers([file], framework_labels={}, versions={file.name: version})
    assert isinstance(result.graph, Graph)
    time.sleep(0.3)
    assert recorder.connections == []


def test_the_bibliography_is_replaced_atomically(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    import ai45kg.kg.atomic as atomic
    import ai45kg.kg.paper.bibliography as importer

    target = tmp_path / "bibliography.ttl"
    target.write_text("# the previous bibliography\n", encoding="utf-8")

    def killed(*args: object) -> None:
        raise KeyboardInterrupt  # as if the process died between writing and renaming

    monkeypatch.setattr(atomic.os, "replace", killed)  # the writer the bibliography uses
    with pytest.raises(KeyboardInterrupt):
        importer.write_bibliography(Graph(), target)
    assert target.read_text(encoding="utf-8") == "# the previous bibliography\n"
    assert [p.name for p in tmp_path.iterdir()] == ["bibliography.ttl"]
    monkeypatch.undo()
    importer.write_bibliography(Graph(), target)
    assert target.read_text(encoding="utf-8").startswith("#")
    assert target.stat().st_mode & 0o777 == 0o644 or os.name != "posix"


# ------------------------------------------------------------------------------ killed imports


@pytest.mark.slow
def test_an_import_killed_midway_leaves_dist_and_imports_usable(built_dist: Path,
                                                                tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    shutil.copytree(built_dist.resolve(), tmp_path / "first")
    dist.symlink_to(tmp_path / "first")
    imports = tmp_path / "imports"
    before = (dist / "manifest.json").read_text()
    env = {**os.environ, "AI45_DIST": str(dist), "AI45_IMPORTS": str(imports)}
    fixture = paths.ROOT / "tests" / "fixtures" / "imports" / "survey.ttl"
    for delay in (0.5, 2.0, 4.0):
        proc = subprocess.Popen([sys.executable, "-m", "ai45kg.service.cli", "import", str(fixture),
                                 "--name", "survey", "--dist", str(dist)], env=env,
                                cwd=paths.ROOT, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        manifest = json.loads((dist / "manifest.json").read_text())
        assert manifest["content_hash"]
        ds = Dataset()
        ds.parse(dist / "ai45kg.trig", format="trig")
        assert len(ds) > 0 or sum(1 for _ in ds.quads()) > 0
        stored = list(imports.glob("*.ttl")) if imports.exists() else []
        for file in stored:  # a stored import is whole: it parses
            Graph().parse(file, format="turtle")
        assert not [p for p in imports.glob("*") if p.suffix == ".ttl" and p.name.startswith(".")]
    # once an import completes, dist/ serves it
    done = subprocess.run([sys.executable, "-m", "ai45kg.service.cli", "import", str(fixture),
                           "--name", "survey", "--dist", str(dist)], env=env, cwd=paths.ROOT,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert (dist / "manifest.json").read_text() != before
