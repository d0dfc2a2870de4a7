"""The hostile corpus (tests/hostile/corpus.py) against a real `ai45kg serve` (granian, query
worker processes, QUERY_TIMEOUT_MS=2000): every request ends with its documented outcome within
the time limit plus one second, never a 500; no request makes the server connect anywhere (a
listener on 127.0.0.1 stands in for every host the corpus names); and /health, polled from a
background thread the whole time, answers within 200 ms throughout.

The server runs the production default store (STORE's default, Oxigraph); AI45_HOSTILE_STORES
(comma-separated, e.g. `oxigraph,memory`, as `make fuzz` sets it) runs the corpus on each."""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from .hostile.corpus import CORPUS, Case
from .hostile.dists import derive_dist
from .hostile.net import ConnectionRecorder, HealthPoller, build_request, raw_request
from .hostile.server import Server, serving

pytestmark = pytest.mark.slow

TIMEOUT_MS = 2000
#: what a request may take beyond the time limit (parsing, serialising, a worker's replacement)
GRACE_S = 1.0
HEALTH_LIMIT_S = 0.2
STORES = [s.strip() for s in os.environ.get("AI45_HOSTILE_STORES", "").split(",") if s.strip()]


@pytest.fixture(scope="module")
def recorder() -> Iterator[ConnectionRecorder]:
    with ConnectionRecorder() as listener:
        yield listener


@pytest.fixture(scope="module", params=STORES or ["default"])
def server(request: pytest.FixtureRequest, built_dist: Path,
           tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    root = tmp_path_factory.mktemp("hostile")
    # a copy that `ai45kg serve` takes as up to date (it would rebuild over the session's build
    # if the sources changed since it was made)
    dist = derive_dist(built_dist.resolve(), root / "dist")
    settings: dict[str, str | int] = {"QUERY_TIMEOUT_MS": TIMEOUT_MS, "QUERY_WORKERS": 2,
                                      "THREADS": 8}
    if request.param != "default":
        settings["STORE"] = request.param
    with serving(dist, root / "serve.log", settings=settings) as running:
        yield running


@pytest.fixture(scope="module")
def health(server: Server) -> Iterator[HealthPoller]:
    poller = HealthPoller(server.port).start()
    yield poller
    poller.stop()


def _send(case: Case, server: Server, listener: str) -> tuple[int, dict[str, str], bytes, float]:
    data = case.raw if case.raw is not None else build_request(
        case.method, case.target(listener), headers=case.headers, body=case.payload(listener))
    response = raw_request(server.port, data, timeout=TIMEOUT_MS / 1000 + 30)
    return response.status, response.headers, response.body, response.seconds


@pytest.mark.parametrize("case", CORPUS, ids=[c.name for c in CORPUS])
def test_hostile_request(case: Case, server: Server, recorder: ConnectionRecorder,
                         health: HealthPoller) -> None:
    status, headers, body, seconds = _send(case, server, recorder.url)
    expect = case.expect
    assert status < 500 or status == 503, f"{status}: {body[:300]!r}"
    assert status in expect.statuses, f"{status}, expected {expect.statuses}: {body[:300]!r}"
    assert seconds <= TIMEOUT_MS / 1000 + GRACE_S, f"took {seconds:.2f} s"
    media = headers.get("content-type", "").split(";")[0].strip()
    if status >= 400 and media == "application/json" and (expect.kinds or expect.error):
        doc = json.loads(body)
        if expect.kinds:
            assert doc.get("kind") in expect.kinds, doc
        if expect.error:
            assert doc.get("error") == expect.error, doc
        assert doc["message"], doc
    elif status >= 400 and expect.kinds:
        assert case.path != "/sparql", f"the error of /sparql is JSON here, got {media}"
    if status == 200 and expect.rows_at_most is not None and media.endswith("json"):
        rows = json.loads(body).get("results", {}).get("bindings", [])
        assert len(rows) <= expect.rows_at_most
    if expect.contains:
        assert expect.contains.encode() in body


def test_the_corpus_covers_every_category() -> None:
    categories = {c.category for c in CORPUS}
    assert len(CORPUS) >= 30
    assert categories >= {"cost", "limits", "parse", "regex", "size", "encoding", "protocol",
                          "federation", "update", "dataset", "named-query", "http", "paths"}
    assert len({c.name for c in CORPUS}) == len(CORPUS), "case names must be unique"


@pytest.mark.parametrize("slow", [64, 512])
def test_slow_clients_do_not_starve_the_server(server: Server, slow: int) -> None:
    """`slow` connections that each send half a request head and wait (slowloris) leave the
    server answering everyone else: /health and a query, each within HEALTH_LIMIT_S (the
    benchmark measures how fast: benchmarks/RESULTS.md)."""
    held = []
    try:
        for _ in range(slow):
            sock = socket.create_connection(("127.0.0.1", server.port), timeout=30)
            sock.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n")
            held.append(sock)
        for target in ["/health"] * 5 + ["/sparql?query=ASK%7B%7D"] * 5:
            response = raw_request(server.port, build_request("GET", target),
                                   timeout=HEALTH_LIMIT_S * 50)
            assert response.status == 200, response.body[:200]
            assert response.seconds <= HEALTH_LIMIT_S, f"{target}: {response.seconds:.3f} s"
    finally:
        for sock in held:
            sock.close()


def test_the_server_still_answers_after_the_corpus(server: Server,
                                                   health: HealthPoller) -> None:
    response = raw_request(server.port, build_request(
        "GET", "/sparql?query=ASK%7B%7D", headers={"Accept": "application/sparql-results+json"}))
    assert response.status == 200
    assert json.loads(response.body)["boolean"] is True


def test_no_outbound_connection_was_made(server: Server, recorder: ConnectionRecorder,
                                         health: HealthPoller) -> None:
    assert recorder.connections == []
    # nothing even tried: the workers' audit hook would have logged a refused connection
    assert "no network access" not in server.log_text()


def test_health_answered_within_200_ms_throughout(health: HealthPoller) -> None:
    health.stop()
    assert len(health.results) >= 20, "the poller did not run alongside the corpus"
    slow = health.slow(HEALTH_LIMIT_S)
    worst = max(seconds for _, seconds in health.results)
    assert slow == [], f"{len(slow)} of {len(health.results)} health checks failed or were " \
        f"slow (worst {worst * 1000:.0f} ms): {slow[:5]}"
