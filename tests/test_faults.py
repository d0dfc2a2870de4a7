"""Faults: processes killed mid-request, the dataset reloaded under load, the remote endpoint
going away. Each ends with a clear answer for the request that was hit and none lost after it:

- a query worker killed (SIGKILL, by pid) during a long query: that request gets a 503 that says
  what happened, the next one succeeds (a fresh worker took its place);
- an HTTP process killed: granian starts another, and requests keep being answered;
- POST /admin/reload while 8 clients query without pause: no request fails, and every answer is
  wholly the old build or wholly the new one, never old again once new was seen;
- POST /admin/reload with two HTTP processes: both are replaced and every answer is the new build;
- the remote store's endpoint stopped: 502 with a message naming it; started again: answers
  resume without a restart, also when a worker had to be replaced while it was gone.
"""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask

from .hostile.dists import derive_dist, tiny_dist
from .hostile.fake_endpoint import FakeEndpoint
from .hostile.server import Server, children, command_line, http, serving

pytestmark = pytest.mark.slow

RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
ASK = "/sparql?query=ASK%7B%7D"
JSON = {"Accept": "application/json, application/sparql-results+json"}
TOKEN = "fault-tests-admin-token-0123456789"
LABEL_OF_REFLECTABLE = ("SELECT ?l WHERE { <https://w3id.org/ai45/id/layer/reflectable> "
                        "<http://www.w3.org/2000/01/rdf-schema#label> ?l } ORDER BY ?l")


def cpu_ticks(pid: int) -> int:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0
    return int(fields[11]) + int(fields[12])


def descendants(pid: int) -> list[int]:
    out, todo = [], [pid]
    while todo:
        for child in children(todo.pop()):
            out.append(child)
            todo.append(child)
    return out


def busiest(pids: list[int], seconds: float = 0.6) -> int:
    before = {p: cpu_ticks(p) for p in pids}
    time.sleep(seconds)
    return max(pids, key=lambda p: cpu_ticks(p) - before[p])


def wait_for(condition: Callable[[], bool], timeout: float, step: float = 0.2) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(step)
    return condition()


# ------------------------------------------------------------------------------ killed processes


@pytest.fixture(scope="module")
def server(built_dist: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    root = tmp_path_factory.mktemp("faults")
    dist = derive_dist(built_dist.resolve(), root / "dist")  # up to date: serve won't rebuild
    settings = {"WORKERS": 2, "QUERY_WORKERS": 1, "QUERY_TIMEOUT_MS": 30_000, "THREADS": 4}
    with serving(dist, root / "serve.log", settings=settings) as running:
        yield running


def http_workers(server: Server) -> list[int]:
    return children(server.process.pid)


def query_workers(server: Server) -> list[int]:
    """The query worker processes: children of the forkservers under the HTTP workers."""
    out = []
    for pid in descendants(server.process.pid):
        if "forkserver" in command_line(pid):
            out += children(pid)
    return out


def test_a_killed_query_worker_gives_a_clear_503_and_the_next_query_succeeds(
        server: Server) -> None:
    outcome: dict[str, object] = {}

    def runaway() -> None:
        outcome["response"] = http(server.base + "/sparql", data=RUNAWAY.encode(), headers={
            "Content-Type": "application/sparql-query", **JSON}, timeout=60)

    thread = threading.Thread(target=runaway)
    thread.start()
    time.sleep(0.5)
    workers = query_workers(server)
    assert len(workers) >= 2, workers
    victim = busiest(workers)
    os.kill(victim, signal.SIGKILL)
    thread.join(timeout=30)
    assert not thread.is_alive()
    status, _, body = outcome["response"]  # type: ignore[misc]
    assert status == 503
    doc = json.loads(body)
    assert doc["kind"] == "ServiceUnavailable"
    assert "worker ended while evaluating this query" in doc["message"]
    for _ in range(4):  # both HTTP processes: every one answers
        assert http(server.base + ASK, headers=JSON)[0] == 200
    assert wait_for(lambda: victim not in query_workers(server) and
                    len(query_workers(server)) == len(workers), 30)


def test_a_killed_http_process_is_replaced(server: Server) -> None:
    before = http_workers(server)
    assert len(before) == 2
    victim = before[0]
    failures: list[object] = []
    stop = threading.Event()

    def client() -> None:
        while not stop.is_set():
            try:
                status = http(server.base + ASK, headers=JSON, timeout=30)[0]
                if status != 200:
                    failures.append(status)
            except OSError as exc:
                failures.append(exc)
            time.sleep(0.02)

    threads = [threading.Thread(target=client) for _ in range(3)]
    for t in threads:
        t.start()
    time.sleep(0.3)
    os.kill(victim, signal.SIGKILL)
    replaced = wait_for(lambda: len(http_workers(server)) == 2 and
                        victim not in http_workers(server), 30)
    time.sleep(1.0)
    stop.set()
    for t in threads:
        t.join(timeout=30)
    assert replaced, http_workers(server)
    # requests in flight on the killed process may fail (its connections are cut); none after
    assert len(failures) <= 3, failures
    # the new process answers, with query workers of its own (the old ones left with it)
    assert wait_for(lambda: all(http(server.base + ASK, headers=JSON)[0] == 200
                                for _ in range(4)), 60)
    assert wait_for(lambda: len(query_workers(server)) == 2, 30), query_workers(server)


# ------------------------------------------------------------------------------ reload under load


@pytest.fixture(scope="module")
def two_builds(built_dist: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("reload")
    old = tiny_dist(built_dist, root / "old")
    new = derive_dist(old, root / "new", extra_trig=(
        "<https://w3id.org/ai45/graph/framework> { layer:reflectable rdfs:label "
        '"Reflectable Layer (new build)"@en . }'))
    link = root / "dist"
    link.symlink_to(old)
    return {"old": old, "new": new, "link": link}


def test_a_reload_under_load_drops_no_request_and_never_mixes_builds(
        two_builds: dict[str, Path], tmp_path: Path) -> None:
    old_labels = ["Reflectable Layer"]
    new_labels = ["Reflectable Layer", "Reflectable Layer (new build)"]
    hashes = {json.loads((two_builds[k] / "manifest.json").read_text())["content_hash"]: k
              for k in ("old", "new")}
    settings = {"ADMIN_TOKEN": TOKEN, "QUERY_WORKERS": 2, "THREADS": 8,
                "QUERY_TIMEOUT_MS": 10_000}
    with serving(two_builds["link"], tmp_path / "serve.log", settings=settings) as server:
        errors: list[object] = []
        seen: dict[int, list[str]] = {}
        stop = threading.Event()

        def client(n: int) -> None:
            seen[n] = []
            i = 0
            while not stop.is_set():
                i += 1
                try:
                    if i % 3 == 0:  # the health check says which build answers
                        status, _, body = http(server.base + "/health", timeout=30)
                        build = hashes.get(json.loads(body)["content_hash"], "?")
                    else:  # a distinct query each time: no answer comes from a cache
                        query = f"{LABEL_OF_REFLECTABLE} LIMIT {1000 + i}"
                        status, _, body = http(server.base + "/sparql", data=query.encode(),
                                               headers={"Content-Type":
                                                        "application/sparql-query", **JSON},
                                               timeout=30)
                        labels = [b["l"]["value"] for b in
                                  json.loads(body)["results"]["bindings"]]
                        build = ("old" if labels == old_labels else
                                 "new" if labels == new_labels else f"mixed {labels}")
                    if status != 200:
                        errors.append((status, body[:200]))
                    seen[n].append(build)
                except (OSError, ValueError, KeyError) as exc:
                    errors.append(exc)

        threads = [threading.Thread(target=client, args=(n,)) for n in range(8)]
        for t in threads:
            t.start()
        time.sleep(1.5)
        two_builds["link"].unlink()
        two_builds["link"].symlink_to(two_builds["new"])
        status, _, body = http(server.base + "/admin/reload", data=b"",
                               headers={"Authorization": f"Bearer {TOKEN}", **JSON},
                               method="POST", timeout=120)
        assert status == 200, body
        assert json.loads(body)["changed"] is True
        time.sleep(1.5)
        stop.set()
        for t in threads:
            t.join(timeout=60)
    assert errors == []
    answers = [b for builds in seen.values() for b in builds]
    assert len(answers) >= 40
    assert set(answers) == {"old", "new"}, set(answers)
    for n, builds in seen.items():  # once a client saw the new build, never the old again
        first_new = builds.index("new") if "new" in builds else len(builds)
        assert "old" not in builds[first_new:], (n, builds)


def test_a_reload_reaches_every_http_process(two_builds: dict[str, Path],
                                            tmp_path: Path) -> None:
    link = two_builds["link"]
    link.unlink()
    link.symlink_to(two_builds["old"])
    hashes = {json.loads((two_builds[k] / "manifest.json").read_text())["content_hash"]: k
              for k in ("old", "new")}

    def build_answering() -> str:  # a new connection each time: either HTTP process
        status, _, body = http(server.base + "/health", timeout=30)
        return hashes.get(json.loads(body)["content_hash"], "?") if status == 200 else "down"

    settings = {"ADMIN_TOKEN": TOKEN, "WORKERS": 2, "QUERY_WORKERS": 1, "THREADS": 4}
    with serving(link, tmp_path / "serve.log", settings=settings) as server:
        before = http_workers(server)
        assert len(before) == 2
        link.unlink()
        link.symlink_to(two_builds["new"])
        status, _, body = http(server.base + "/admin/reload", data=b"",
                               headers={"Authorization": f"Bearer {TOKEN}", **JSON},
                               method="POST", timeout=120)
        assert status == 200, body
        doc = json.loads(body)
        assert (doc["changed"], doc["http_processes"]) == (True, 2)
        # granian replaces both HTTP processes, one after the other; the new ones open the
        # build the link names, and the server answers throughout
        assert wait_for(lambda: len(http_workers(server)) == 2
                        and not set(before) & set(http_workers(server)), 90), \
            server.log_text()[-3000:]
        assert wait_for(lambda: all(build_answering() == "new" for _ in range(20)), 60)
        assert server.process.poll() is None


# ------------------------------------------------------------------------------ remote endpoint


@pytest.fixture()
def endpoint(two_builds: dict[str, Path]) -> Iterator[FakeEndpoint]:
    fake = FakeEndpoint(two_builds["old"]).start()
    yield fake
    fake.stop()


def test_the_remote_endpoint_going_away_gives_502_and_the_service_recovers(
        make_app: Callable[..., Flask], endpoint: FakeEndpoint,
        two_builds: dict[str, Path]) -> None:
    app = make_app(DIST=str(two_builds["old"]), STORE="remote", ENDPOINT=endpoint.url,
                   QUERY_WORKERS=1, QUERY_TIMEOUT_MS=5000)
    client = app.test_client()
    counter = iter(range(1, 10_000))

    def ask() -> tuple[int, dict[str, object]]:
        query = f"{LABEL_OF_REFLECTABLE} LIMIT {next(counter)}"  # never from a cache
        response = client.post("/sparql", data=query, content_type="application/sparql-query",
                               headers=JSON)
        return response.status_code, json.loads(response.get_data())

    assert ask()[0] == 200
    endpoint.stop()
    started = time.monotonic()
    status, doc = ask()
    assert status == 502, doc
    assert doc["kind"] == "UpstreamUnavailable"
    assert endpoint.url in str(doc["message"]) and "try again" in str(doc["message"])
    assert time.monotonic() - started < 5
    assert client.get("/health").status_code == 200  # the service itself is fine
    endpoint.start()
    assert ask()[0] == 200
    # a worker replaced while the endpoint is gone cannot open the store: 503, then recovery
    endpoint.stop()
    backend = app.extensions["ai45kg"]
    for pid in backend._executor.pids():
        os.kill(pid, signal.SIGKILL)
    time.sleep(0.3)
    status, doc = ask()
    assert status in (502, 503), doc
    assert endpoint.url in str(doc["message"]) or "worker" in str(doc["message"])
    endpoint.start()
    assert wait_for(lambda: ask()[0] == 200, 20, step=0.5)
    assert wait_for(lambda: client.get("/health").status_code == 200, 10)
