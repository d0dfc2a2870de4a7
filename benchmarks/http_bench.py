"""HTTP benchmark of `ai45kg serve`: a named query against a plain "hello" route of the same server.

    .venv/bin/python benchmarks/http_bench.py [--clients 16] [--seconds 10] [--port 0]

Starts the server exactly as `ai45kg serve` does (granian, the same settings), with one extra
route, /hello, that returns a short text without touching the dataset: the ratio between the two
shows what a query costs on top of the web stack. 16 client threads with keep-alive connections
(http.client) run against each target in turn; the script prints requests/s and p50 / p99 latency
as a Markdown table, then what the hop to a query worker costs per request (`ipc_table`).

Server and clients share the machine, so the numbers are for comparing, not for capacity planning.
Not a test: nothing here asserts a timing.
"""

from __future__ import annotations

import argparse
import http.client
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

NAMED_QUERY = ROOT / "queries" / "techniques-for-level.rq"
LEVEL = "<https://w3id.org/ai45/id/level/autonomy>"
FALLBACK_QUERY = (
    "PREFIX ai45: <https://w3id.org/ai45/ontology#>\n"
    "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"
    "SELECT ?technique ?label ?layer WHERE { ?technique ai45:inLayer ?layer ; rdfs:label ?label }"
    " ORDER BY ?label"
)


def benchmark_query() -> tuple[str, str]:
    """The named query's text with its `level` parameter bound (as /queries would bind it)."""
    if not NAMED_QUERY.exists():
        return "representative SELECT", FALLBACK_QUERY
    text = NAMED_QUERY.read_text(encoding="utf-8")
    if "?level" in text and "WHERE {" in text:
        text = text.replace("WHERE {", f"WHERE {{\n  VALUES ?level {{ {LEVEL} }}", 1)
    return f"named query {NAMED_QUERY.stem} (level autonomy)", text


# ---------------------------------------------------------------------------------------------
# the server side: `ai45kg serve` plus /hello


def hello_app(config: dict[str, Any]) -> Any:
    """The service's app with a /hello route added (only in this benchmark)."""
    from flask import Response

    from ai45kg.service import create_app

    app = create_app(config)
    app.add_url_rule("/hello", "hello", lambda: Response("hello\n", mimetype="text/plain"))
    return app


def hello_factory() -> Any:
    """The app of one HTTP process (granian calls this in each), from the resolved settings."""
    import json

    from ai45kg.service.serve import CONFIG_ENV

    return hello_app(json.loads(os.environ[CONFIG_ENV]))


def run_server(port: int) -> None:
    """The subprocess: what `ai45kg serve --port PORT --no-access-log` runs, with `hello_app`
    as the app."""
    import json

    from granian import Granian

    from ai45kg.service.serve import CONFIG_ENV, ensure_built, granian_options, resolve_config

    config = resolve_config({"port": port, "access_log": False})
    if os.environ.get("AI45_BENCH_PREBUILT") != "1":  # bench.py serves builds it made itself
        ensure_built(Path(config["DIST"]))
    options = granian_options(config)
    os.environ[CONFIG_ENV] = json.dumps(config, default=str)
    Granian("http_bench:hello_factory", **options).serve()


# ---------------------------------------------------------------------------------------------
# the client side


@dataclass
class Run:
    name: str
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    seconds: float = 0.0
    #: the first few failures, to say what went wrong
    failures: list[str] = field(default_factory=list)

    def row(self) -> str:
        ms = sorted(x * 1000 for x in self.latencies)
        p50 = statistics.median(ms) if ms else float("nan")
        p99 = ms[min(len(ms) - 1, int(len(ms) * 0.99))] if ms else float("nan")
        rate = len(ms) / self.seconds if self.seconds else 0.0
        return f"| {self.name} | {len(ms)} | {rate:.1f} | {p50:.1f} | {p99:.1f} | {self.errors} |"

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0


def hammer(port: int, name: str, method: str, path: str, body: bytes | None,
           headers: dict[str, str], clients: int, seconds: float) -> Run:
    """`clients` threads, each with its own keep-alive connection, for `seconds`."""
    run = Run(name)
    lock = threading.Lock()
    start = threading.Barrier(clients + 1)
    stop_at = [0.0]

    def client() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        mine: list[float] = []
        errors = 0
        start.wait()
        while time.monotonic() < stop_at[0]:
            t0 = time.perf_counter()
            try:
                conn.request(method, path, body=body, headers=headers)
                response = conn.getresponse()
                data = response.read()
                if response.status != 200:
                    errors += 1
                    if len(run.failures) < 3:
                        run.failures.append(f"{response.status} {data[:200]!r}")
                    continue
            except (OSError, http.client.HTTPException) as exc:
                errors += 1
                if len(run.failures) < 3:
                    run.failures.append(repr(exc))
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                continue
            mine.append(time.perf_counter() - t0)
        conn.close()
        with lock:
            run.latencies.extend(mine)
            run.errors += errors

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for t in threads:
        t.start()
    began = time.monotonic()
    stop_at[0] = began + seconds
    start.wait()
    for t in threads:
        t.join()
    run.seconds = time.monotonic() - began
    return run


@dataclass
class Load:
    """One throughput measurement: requests/s, latency percentiles (ms), failed requests."""

    rate: float
    p50: float
    p99: float
    errors: int
    tool: str


def measure_load(url: str, headers: dict[str, str], clients: int, seconds: float) -> Load:
    """`clients` concurrent keep-alive connections on `url` for `seconds`: with wrk (2 threads)
    where it is installed (Debian's `wrk`: a client in C leaves the CPUs to the server), else
    with `hammer`'s Python threads (which take a share of the CPUs themselves)."""
    import re
    import shutil
    import urllib.parse

    wrk = shutil.which("wrk")
    if wrk is None:
        parts = urllib.parse.urlsplit(url)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        run = hammer(int(parts.port or 80), url, "GET", path, None, headers, clients, seconds)
        ms = sorted(x * 1000 for x in run.latencies)
        p99 = ms[min(len(ms) - 1, int(len(ms) * 0.99))] if ms else float("nan")
        return Load(run.rate, statistics.median(ms) if ms else float("nan"), p99, run.errors,
                    "python")
    command = [wrk, "-t2", f"-c{clients}", f"-d{max(1, round(seconds))}s", "--latency",
               "--timeout", "60s"]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    out = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout

    def number(pattern: str) -> float:
        found = re.search(pattern, out)
        return float(found.group(1)) if found else 0.0

    def millis(label: str) -> float:
        found = re.search(rf"^\s*{label}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        if not found:
            return float("nan")
        return float(found.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[found.group(2)]

    errors = int(number(r"Non-2xx or 3xx responses:\s+(\d+)"))
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), "
                              r"timeout (\d+)", out)
    if socket_errors:
        errors += sum(int(x) for x in socket_errors.groups())
    return Load(number(r"Requests/sec:\s+([\d.]+)"), millis("50"), millis("99"), errors, "wrk")


def wait_for(port: int, process: subprocess.Popen[bytes], timeout: float = 180.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the server exited with {process.returncode}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/sparql?query=ASK%7B%7D")
            if conn.getresponse().status == 200:
                conn.close()
                return
        except OSError:
            pass
        time.sleep(0.3)
    raise SystemExit("the server did not come up")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def ipc_table(rounds: int = 2000) -> list[str]:
    """What the hop to a query worker costs per request (issue #14's "IPC cost"): a no-op call
    through the pool, and a new query text answered in SPARQL JSON by Oxigraph through the pool
    against the same on the store in this process. Sequential, p50 and p99 in microseconds."""
    from ai45kg.kg import paths
    from ai45kg.kg.stores import open_store, oxigraph_path, prepare_oxigraph
    from ai45kg.service import executor

    dist = Path(os.environ.get("AI45_DIST", paths.dist_dir())).resolve()
    prepare_oxigraph(dist, oxigraph_path(dist))
    name, text = benchmark_query()
    media = "application/sparql-results+json"

    def new_text(i: int) -> str:  # every text new: a comment the engine ignores
        return f"{text}\n# {i}"

    def timed(call: Any) -> tuple[float, float]:
        spent = []
        for i in range(rounds):
            t0 = time.perf_counter()
            call(i)
            spent.append((time.perf_counter() - t0) * 1e6)
        spent.sort()
        return statistics.median(spent), spent[int(len(spent) * 0.99)]

    store = open_store("oxigraph", dist)
    pool = executor.WorkerPool(dist, "oxigraph", 1)
    try:
        pool.wait_ready()
        rows = [
            ("no-op call through a worker (the hop alone)",
             timed(lambda i: pool.call(executor.Call(len, ("x",)), 10.0))),
            (f"{name}, new text, in this process (store.answer)",
             timed(lambda i: store.answer(new_text(i), media))),
            (f"{name}, new text, through a worker",
             timed(lambda i: pool.execute(executor.Task(sparql=new_text(i), media=media),
                                          10.0))),
        ]
    finally:
        pool.close()
        store.close()
    out = ["| what (sequential) | p50 (us) | p99 (us) |", "|---|---:|---:|"]
    out += [f"| {label} | {p50:.0f} | {p99:.0f} |" for label, (p50, p99) in rows]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        run_server(args.serve)
        return

    port = args.port or free_port()
    process = subprocess.Popen([sys.executable, __file__, "--serve", str(port)],
                               cwd=ROOT, start_new_session=True)
    try:
        wait_for(port, process)
        name, query = benchmark_query()
        targets = [
            ("GET /hello", "GET", "/hello", None, {}),
            (f"POST /sparql: {name}", "POST", "/sparql", query.encode("utf-8"),
             {"Content-Type": "application/sparql-query",
              "Accept": "application/sparql-results+json"}),
        ]
        for _, method, path, body, headers in targets:  # warm up every worker
            hammer(port, "warm-up", method, path, body, headers, args.clients, 1.0)
        runs = [hammer(port, label, method, path, body, headers, args.clients, args.seconds)
                for label, method, path, body, headers in targets]
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
    print(f"\n{args.clients} concurrent clients, {args.seconds:.0f} s per target, "
          f"{os.cpu_count()} CPUs shared by server and clients\n")
    print("| target | requests | requests/s | p50 (ms) | p99 (ms) | errors |")
    print("|---|---:|---:|---:|---:|---:|")
    for run in runs:
        print(run.row())
    for run in runs:
        for failure in run.failures:
            print(f"\n{run.name} failed: {failure}")
    hello, query_run = runs
    if hello.rate:
        print(f"\nnamed query / hello throughput: {query_run.rate / hello.rate:.3f} "
              f"({hello.rate / max(query_run.rate, 1e-9):.1f}x fewer requests/s)\n")
    print("\n".join(ipc_table()))


if __name__ == "__main__":
    main()
