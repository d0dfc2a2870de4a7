"""The remote store's kept-alive connection (kg.stores.keepalive) against a real HTTP server on
127.0.0.1: one connection for a series of queries, a new one when the endpoint closed the idle
one, the dataset and query sent as the SPARQL Protocol says, long answers cut, and the
endpoint's refusals worded as the remote store words them."""

from __future__ import annotations

import json
import threading
import urllib.parse
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from ai45kg.kg.stores import QuerySyntax, StoreError
from ai45kg.kg.stores.keepalive import GET_LIMIT, KeptAlive
from ai45kg.kg.stores.remote import RemoteError, RemoteStore

#: makes KeptAlive clients of the test's endpoint
Clients = Callable[..., KeptAlive]
ASK_TRUE = b'{"head": {}, "boolean": true}'
DATASET = (("default-graph-uri", "https://example.org/g/1"),
           ("named-graph-uri", "https://example.org/g/2"))


class Endpoint(ThreadingHTTPServer):
    """A SPARQL endpoint double that records what it is sent and answers as `reply` says."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.connections = 0
        self.seen: list[tuple[str, dict[str, list[str]], dict[str, str]]] = []
        #: (status, content type, body, close the connection after answering)
        self.reply: tuple[int, str, bytes, bool] = (
            200, "application/sparql-results+json", ASK_TRUE, False)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/sparql"


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as SPARQL engines answer
    server: Endpoint

    def setup(self) -> None:
        super().setup()
        self.server.connections += 1

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base's name
        pass

    def _answer(self, params: dict[str, list[str]]) -> None:
        self.server.seen.append((self.command, params, dict(self.headers.items())))
        status, media, body, close = self.server.reply
        self.send_response(status)
        self.send_header("Content-Type", media)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        self.wfile.flush()
        if close:  # closed without saying so, as an endpoint's idle timeout does
            self.close_connection = True

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        self._answer(urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query))

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        length = int(self.headers.get("Content-Length", "0"))
        self._answer(urllib.parse.parse_qs(self.rfile.read(length).decode("ascii")))


@pytest.fixture
def endpoint() -> Iterator[Endpoint]:
    server = Endpoint()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def clients(endpoint: Endpoint) -> Iterator[Clients]:
    """KeptAlive clients of `endpoint` (closed at the end: their connections stay open)."""
    made: list[KeptAlive] = []

    def make(url: str = "", **kwargs: Any) -> KeptAlive:
        made.append(KeptAlive(url or endpoint.url, timeout_s=5.0, agent="ai45kg-test",
                              **kwargs))
        return made[-1]

    yield make
    for reads in made:
        reads.close()


def test_one_connection_carries_a_series_of_queries(endpoint: Endpoint, clients: Clients) -> None:
    reads = clients()
    for n in range(5):
        reply = reads.request(f"ASK {{ ?s ?p {n} }}", DATASET, "application/sparql-results+json",
                              1000)
        assert (reply.status, reply.media, reply.body) == (
            200, "application/sparql-results+json", ASK_TRUE)
    assert endpoint.connections == 1
    method, params, headers = endpoint.seen[-1]
    assert method == "GET"
    assert params == {"query": ["ASK { ?s ?p 4 }"],
                      "default-graph-uri": ["https://example.org/g/1"],
                      "named-graph-uri": ["https://example.org/g/2"]}
    assert headers["Accept"] == "application/sparql-results+json"
    assert headers["User-Agent"] == "ai45kg-test"
    assert "Authorization" not in headers


def test_a_connection_the_endpoint_closed_is_opened_again(
        endpoint: Endpoint, clients: Clients) -> None:
    endpoint.reply = (200, "application/sparql-results+json", ASK_TRUE, True)
    reads = clients()
    for _ in range(3):
        assert reads.request("ASK {}", DATASET, "*/*", 1000).body == ASK_TRUE
    assert endpoint.connections == 3
    assert len(endpoint.seen) == 3  # each query answered once


def test_a_long_query_goes_by_form_post_with_basic_credentials(
        endpoint: Endpoint, clients: Clients) -> None:
    text = "SELECT * WHERE { ?s ?p ?o } # " + "x" * GET_LIMIT
    reply = clients(basic=("reader", "s3cret")).request(text, DATASET, "*/*", 1000)
    assert reply.status == 200
    method, params, headers = endpoint.seen[-1]
    assert method == "POST"
    assert params["query"] == [text]
    assert params["named-graph-uri"] == ["https://example.org/g/2"]
    assert headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert headers["Authorization"] == "Basic cmVhZGVyOnMzY3JldA=="


def test_an_answer_past_the_limit_is_cut_and_its_connection_dropped(
        endpoint: Endpoint, clients: Clients) -> None:
    endpoint.reply = (200, "application/sparql-results+json", b"x" * 5000, False)
    reads = clients()
    assert len(reads.request("ASK {}", DATASET, "*/*", 100).body) == 101
    endpoint.reply = (200, "application/sparql-results+json", ASK_TRUE, False)
    assert reads.request("ASK {}", DATASET, "*/*", 100).body == ASK_TRUE
    assert endpoint.connections == 2  # the unread rest was never taken for the next answer


def test_an_endpoint_url_with_parameters_keeps_them(endpoint: Endpoint, clients: Clients) -> None:
    reads = clients(endpoint.url + "?timeout=5000")
    reads.request("ASK {}", DATASET, "*/*", 1000)
    assert endpoint.seen[-1][1]["timeout"] == ["5000"]
    with pytest.raises(ValueError, match="not an http"):
        KeptAlive("ftp://example.org/sparql", timeout_s=1.0, agent="t")


# -- through the remote store: the endpoint's refusals, worded for the service's users


@pytest.fixture
def store(endpoint: Endpoint, built_dist: Path,
          monkeypatch: pytest.MonkeyPatch) -> Iterator[RemoteStore]:
    monkeypatch.delenv("AI45_REMOTE_USER", raising=False)
    opened = RemoteStore(built_dist, endpoint.url, timeout_s=5.0, check=False)
    yield opened
    opened.close()


def test_the_store_sends_the_projects_graphs_over_one_connection(
        store: RemoteStore, endpoint: Endpoint) -> None:
    endpoint.reply = (200, "application/sparql-results+json", json.dumps(
        {"head": {"vars": ["s"]}, "results": {"bindings": [
            {"s": {"type": "uri", "value": "https://example.org/a"}}]}}).encode(), False)
    for _ in range(3):
        assert [str(r[0]) for r in store.query("SELECT ?s WHERE { ?s ?p ?o }").rows] == [
            "https://example.org/a"]
    assert endpoint.connections == 1
    params = endpoint.seen[-1][1]
    graphs = sorted(str(g) for g in store.graph_names())
    assert params["default-graph-uri"] == graphs
    assert params["named-graph-uri"] == graphs


def test_a_400_is_the_engines_refusal_in_its_own_words(
        store: RemoteStore, endpoint: Endpoint) -> None:
    endpoint.reply = (400, "text/plain", b"Virtuoso 37000 Error SP030: SPARQL compiler, line 1: "
                      b"too deep\n\nSPARQL query:\nSELECT ...", False)
    with pytest.raises(QuerySyntax) as caught:
        store.query("SELECT ?s WHERE { ?s ?p ?o }")
    assert str(caught.value) == ("the SPARQL engine behind this service refused the query: "
                                 "Virtuoso 37000 Error SP030: SPARQL compiler, line 1: too deep")


def test_a_failing_endpoint_is_a_remote_error(store: RemoteStore, endpoint: Endpoint) -> None:
    endpoint.reply = (503, "text/plain", b"overloaded", False)
    with pytest.raises(RemoteError, match=r"refused the request: HTTP 503: overloaded$"):
        store.query("SELECT ?s WHERE { ?s ?p ?o }")
    endpoint.reply = (200, "text/html", b"<html>a login page</html>", False)
    with pytest.raises(RemoteError, match="answered in text/html, not in "
                                          "application/sparql-results\\+json"):
        store.answer("SELECT ?s WHERE { ?s ?p ?o }", "application/sparql-results+json")


def test_an_answer_too_large_is_refused_whole(store: RemoteStore, endpoint: Endpoint,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("ai45kg.kg.stores.remote.MAX_RESPONSE_BYTES", 64)
    endpoint.reply = (200, "application/sparql-results+json", b"{" + b" " * 100 + b"}", False)
    with pytest.raises(RemoteError, match="is larger than 64 bytes"):
        store.answer("SELECT ?s WHERE { ?s ?p ?o }", "application/sparql-results+json")


def test_an_unreachable_endpoint_is_a_remote_error(built_dist: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AI45_REMOTE_USER", raising=False)
    server = Endpoint()
    url = server.url
    server.server_close()  # the port is free again: nothing listens there
    store = RemoteStore(built_dist, url, timeout_s=2.0, check=False)
    with pytest.raises(StoreError, match=f"cannot reach {url}"):
        store.query("ASK { ?s ?p ?o }")
