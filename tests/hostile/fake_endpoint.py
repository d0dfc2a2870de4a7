"""A tiny SPARQL 1.1 endpoint on 127.0.0.1 for the remote-store fault tests: rdflib over a build's
TriG plus the graph in which `ai45kg push` records the build's content hash. It can be stopped and
started again on the same port, as an endpoint that goes away and comes back."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from rdflib import Dataset, Literal, URIRef
from rdflib.namespace import DCTERMS

from ai45kg.kg.stores import BUILD_GRAPH, read_manifest


def _dataset(dist: Path) -> Dataset:
    ds = Dataset(default_union=True)
    ds.parse(dist / "ai45kg.trig", format="trig")
    build = ds.graph(URIRef(BUILD_GRAPH))
    build.add((URIRef(BUILD_GRAPH), DCTERMS.identifier,
               Literal(read_manifest(dist)["content_hash"])))
    return ds


class FakeEndpoint:
    """Answers SELECT / ASK as SPARQL JSON and CONSTRUCT / DESCRIBE as N-Triples (the dataset
    parameters are ignored: the default graph is the union)."""

    def __init__(self, dist: Path, port: int = 0) -> None:
        self.dataset = _dataset(dist)
        self.port = port
        self.requests = 0
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()  # rdflib's query engine is not thread-safe

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/sparql"

    def start(self) -> FakeEndpoint:
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                self._answer(parse_qs(urlsplit(self.path).query))

            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode("utf-8")
                if self.headers.get("Content-Type", "").startswith("application/sparql-query"):
                    self._answer({"query": [body]})
                else:
                    self._answer(parse_qs(body))

            def _answer(self, params: dict[str, list[str]]) -> None:
                endpoint.requests += 1
                query = (params.get("query") or [""])[0]
                try:
                    with endpoint._lock:
                        result = endpoint.dataset.query(query)
                        if result.type in ("SELECT", "ASK"):
                            body = result.serialize(format="json")
                            media = "application/sparql-results+json"
                        else:
                            body = result.serialize(format="nt")
                            media = "application/n-triples"
                except Exception as exc:  # answer as an endpoint does
                    self.send_response(400)
                    self.send_header("Content-Type", "text/plain")
                    self.end_headers()
                    self.wfile.write(f"bad query: {exc}".encode())
                    return
                data = body if isinstance(body, bytes) else json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", media)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
