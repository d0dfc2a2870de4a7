"""`ai45kg serve` as a real process (granian) over a real socket, queried by real SPARQL clients:
SPARQLWrapper and rdflib's SPARQLStore. A runaway query is stopped at the time limit while other
requests are answered. The server runs on each store in turn (tests/conftest.py: store_kind).
The HTTP limits and slow clients are the hostile tests' (tests/test_hostile.py)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from xml.dom.minidom import Document

import pytest
from rdflib import Graph, URIRef
from rdflib.namespace import RDF
from rdflib.plugins.stores.sparqlstore import SPARQLStore
from SPARQLWrapper import JSON, POST, POSTDIRECTLY, RDFXML, TURTLE, XML, SPARQLWrapper

from ai45kg.kg.namespaces import AI45

from .conftest import free_port

pytestmark = pytest.mark.slow

TIMEOUT_MS = 2000
AI45KG = Path(sys.executable).with_name("ai45kg")
PREFIX = "PREFIX ai45: <https://w3id.org/ai45/ontology#>\n"
LAYERS = PREFIX + "SELECT ?l WHERE { ?l a ai45:Layer } ORDER BY ?l"
LAYER_IRIS = [
    "https://w3id.org/ai45/id/layer/approximate-alignment",
    "https://w3id.org/ai45/id/layer/intervenable",
    "https://w3id.org/ai45/id/layer/reflectable",
]
#: a cartesian product over the whole graph; COUNT makes the engine enumerate all of it
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"


@dataclass
class Server:
    base: str
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def endpoint(self) -> str:
        return self.base + "/sparql"


def http(url: str, data: bytes | None = None, headers: dict[str, str] | None = None,
         timeout: float = 30.0) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, data=data, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


def descendants(pid: int) -> set[int]:
    """Every process below `pid` (Linux /proc)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    found: set[int] = set()
    todo = [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def store_env(settings: dict[str, object]) -> dict[str, str]:
    """The store's settings as AI45_* variables for an `ai45kg serve` process."""
    return {f"AI45_{name}": str(value) for name, value in settings.items()}


@pytest.fixture(scope="module")
def server(built_dist: Path, tmp_path_factory: pytest.TempPathFactory,
           store_settings: dict[str, object]) -> Iterator[Server]:
    port = free_port()
    log = tmp_path_factory.mktemp("serve") / "serve.log"
    env = {**os.environ, "AI45_DIST": str(built_dist), "AI45_QUERY_TIMEOUT_MS": str(TIMEOUT_MS),
           "PYTHONUNBUFFERED": "1", **store_env(store_settings)}
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(AI45KG), "serve", "--host", "127.0.0.1", "--port", str(port),
             "--query-workers", "2", "--threads", "8"],
            env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )
    running = Server(f"http://127.0.0.1:{port}", process, log)
    deadline = time.monotonic() + 120
    while True:
        if process.poll() is not None:
            pytest.fail(f"ai45kg serve exited with {process.returncode}:\n{log.read_text()}")
        try:
            status, _, _ = http(running.endpoint + "?query=ASK%7B%7D", timeout=5)
            if status == 200:
                break
        except OSError:
            pass
        if time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"ai45kg serve did not answer in 120 s:\n{log.read_text()}")
        time.sleep(0.25)
    yield running
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


def test_sparqlwrapper_get_json(server: Server) -> None:
    client = SPARQLWrapper(server.endpoint)
    client.setQuery(LAYERS)
    client.setReturnFormat(JSON)
    result = client.queryAndConvert()
    assert isinstance(result, dict)
    assert [b["l"]["value"] for b in result["results"]["bindings"]] == LAYER_IRIS


def test_sparqlwrapper_post_xml(server: Server) -> None:
    client = SPARQLWrapper(server.endpoint)
    client.setQuery(LAYERS)
    client.setMethod(POST)
    client.setReturnFormat(XML)
    document = client.queryAndConvert()
    assert isinstance(document, Document)
    uris = [node.firstChild.data for node in document.getElementsByTagName("uri")]
    assert uris == LAYER_IRIS


def test_sparqlwrapper_post_directly_json(server: Server) -> None:
    client = SPARQLWrapper(server.endpoint)
    client.setQuery(LAYERS)
    client.setMethod(POST)
    client.setRequestMethod(POSTDIRECTLY)
    client.setReturnFormat(JSON)
    result = client.queryAndConvert()
    assert [b["l"]["value"] for b in result["results"]["bindings"]] == LAYER_IRIS  # type: ignore[index]


@pytest.mark.parametrize("fmt", [TURTLE, RDFXML])
def test_sparqlwrapper_construct(server: Server, fmt: str) -> None:
    client = SPARQLWrapper(server.endpoint)
    client.setQuery(PREFIX + "CONSTRUCT WHERE { ?l a ai45:Layer }")
    client.setReturnFormat(fmt)
    raw = client.query().response.read()
    graph = Graph().parse(data=raw, format="turtle" if fmt == TURTLE else "xml")
    assert sorted(str(s) for s in graph.subjects(RDF.type, AI45.Layer)) == LAYER_IRIS


def test_rdflib_sparqlstore(server: Server) -> None:
    store = SPARQLStore(server.endpoint)
    graph = Graph(store=store)
    rows = list(graph.query(LAYERS))
    assert [str(row[0]) for row in rows] == LAYER_IRIS  # type: ignore[index]
    assert set(graph.subjects(RDF.type, AI45.Layer)) == {URIRef(i) for i in LAYER_IRIS}
    assert bool(graph.query("ASK { ?s ?p ?o }").askAnswer) is True
    store.close()


def test_runaway_query_is_stopped_while_others_are_answered(server: Server) -> None:
    outcome: dict[str, object] = {}

    def runaway() -> None:
        started = time.monotonic()
        outcome["response"] = http(
            server.endpoint, data=RUNAWAY.encode(),
            headers={"Content-Type": "application/sparql-query"}, timeout=60,
        )
        outcome["seconds"] = time.monotonic() - started

    thread = threading.Thread(target=runaway)
    thread.start()
    time.sleep(0.5)  # the runaway query is now running in a worker
    quick: list[float] = []
    for url in (server.endpoint + "?query=ASK%7B%7D", server.base + "/health",
                server.endpoint + "?query=" + urllib.request.quote(LAYERS)):
        started = time.monotonic()
        status, _, _ = http(url, headers={"Accept": "application/json"})
        quick.append(time.monotonic() - started)
        assert status == 200, url
    assert thread.is_alive(), "the runaway query ended before the other requests were made"
    thread.join(timeout=60)
    status, headers, body = outcome["response"]  # type: ignore[misc]
    assert status == 503
    doc = json.loads(body)
    assert doc["kind"] == "QueryTimeout"
    assert f"{TIMEOUT_MS} ms" in doc["message"]
    assert max(quick) < 1.0, quick
    assert TIMEOUT_MS / 1000 <= outcome["seconds"] < TIMEOUT_MS / 1000 + 5  # type: ignore[operator]
    # the killed worker has been replaced: the endpoint still answers
    assert http(server.endpoint + "?query=ASK%7B%7D")[0] == 200


def test_shutdown_leaves_no_processes(
    built_dist: Path, tmp_path: Path, store_settings: dict[str, object]
) -> None:
    port = free_port()
    env = {**os.environ, "AI45_DIST": str(built_dist), **store_env(store_settings)}
    with (tmp_path / "log").open("wb") as out:
        process = subprocess.Popen(
            [str(AI45KG), "serve", "--port", str(port), "--query-workers", "2"],
            env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 120
        while http_ok(f"http://127.0.0.1:{port}/sparql?query=ASK%7B%7D") is False:
            assert process.poll() is None, (tmp_path / "log").read_text()
            assert time.monotonic() < deadline
            time.sleep(0.25)
        tree = descendants(process.pid)
        assert len(tree) >= 3  # an HTTP worker, a forkserver and the query workers
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
        deadline = time.monotonic() + 10
        while any(alive(pid) for pid in tree) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert [pid for pid in tree if alive(pid)] == []
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


def http_ok(url: str) -> bool:
    try:
        return http(url, timeout=5)[0] == 200
    except OSError:
        return False
