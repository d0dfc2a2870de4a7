"""Load test of `ai45kg serve` with its production server (granian): 32 concurrent clients mix
named queries, ad-hoc SPARQL and resource pages for about a minute; the test passes when no
request failed, and reports the latency percentiles it reached.

    .venv/bin/python benchmarks/load_test.py [--clients 32] [--seconds 60] [--per-client 2000]
                                             [--url http://127.0.0.1:PORT] [--write FILE]

Without --url it starts `ai45kg serve` on a free loopback port with the production settings
(defaults of service.settings, the project's dist/, built first if missing) and stops it after.
Traffic goes to loopback only, and is bounded: each client stops after --seconds or
--per-client requests, whichever comes first. Each client keeps one connection alive
(http.client), as a real client library does, and opens a new one after an error.

The mix (weights in MIX): named queries from /queries.json with their default parameters, or
another level / resource; ad-hoc SELECT / ASK / CONSTRUCT queries, half of them with a
distinct LIMIT so that they miss the response cache and reach a query worker; HTML and Turtle
pages of resources found in the data; /health. A request fails when it gets no answer or a
status other than 200 / 304.

--write FILE replaces the text between `<!-- load-test:begin -->` and `<!-- load-test:end -->`
in FILE with the result table (docs/reliability.md holds the last run). Exit status 1 when any
request failed.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import random
import re
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
AI45KG = Path(sys.executable).with_name("ai45kg")
BEGIN, END = "<!-- load-test:begin -->", "<!-- load-test:end -->"

PREFIXES = ("PREFIX ai45: <https://w3id.org/ai45/ontology#>\n"
            "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"
            "PREFIX skos: <http://www.w3.org/2004/02/skos/core#>\n"
            "PREFIX dcterms: <http://purl.org/dc/terms/>\n")
ADHOC = [
    "SELECT ?t ?label WHERE { ?t a ai45:Technique ; rdfs:label ?label } ORDER BY ?label",
    "SELECT ?level ?rank WHERE { ?level ai45:levelRank ?rank } ORDER BY ?rank",
    "SELECT ?t ?layer WHERE { ?t ai45:inLayer ?layer }",
    "SELECT (COUNT(*) AS ?n) WHERE { ?w a ai45:CitedWork }",
    "SELECT ?w ?title WHERE { ?w a ai45:CitedWork ; dcterms:title ?title } LIMIT 50",
    "ASK { ?t ai45:supportsLevel ?level }",
    "SELECT ?s ?p ?o WHERE { ?s ?p ?o } LIMIT 200",
    "CONSTRUCT { ?l a ai45:Layer ; rdfs:label ?n } WHERE { ?l a ai45:Layer ; rdfs:label ?n }",
    "SELECT ?c (COUNT(?t) AS ?n) WHERE { ?t ai45:inLayer ?c } GROUP BY ?c",
    "SELECT ?x ?def WHERE { ?x skos:definition ?def FILTER(CONTAINS(LCASE(?def), \"safe\")) }",
]
#: kind -> weight of the request mix
MIX = {"named query": 3, "ad-hoc query": 4, "resource page": 3, "health": 1}


@dataclass
class Sample:
    kind: str
    status: int | str
    seconds: float


@dataclass
class Targets:
    named: list[str] = field(default_factory=list)
    resources: list[str] = field(default_factory=list)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def get(base: str, path: str, timeout: float = 60.0) -> tuple[int, bytes]:
    parts = urllib.parse.urlsplit(base)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    try:
        conn.request("GET", path, headers={"Accept": "application/json"})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def discover(base: str) -> Targets:
    """Named queries (with parameter variants) and resource pages of the served data."""
    targets = Targets()
    status, body = get(base, "/queries.json")
    if status == 200:
        for q in json.loads(body):
            targets.named.append(f"/queries/{q['name']}.json")
    query = PREFIXES + ("SELECT DISTINCT ?s WHERE { { ?s a ai45:Technique } UNION "
                        "{ ?s a ai45:TrustworthinessLevel } UNION { ?s a ai45:Layer } UNION "
                        "{ ?s a ai45:GovernanceMeasure } } LIMIT 80")
    status, body = get(base, "/sparql?query=" + urllib.parse.quote(query))
    if status == 200:
        for row in json.loads(body)["results"]["bindings"]:
            iri = row["s"]["value"]
            match = re.search(r"/id/(.+)$", iri)
            if match:
                targets.resources.append("/id/" + match.group(1))
    levels = [r for r in targets.resources if r.startswith("/id/level/")]
    for level in levels:
        targets.named.append("/queries/techniques-for-level.json?level="
                             + urllib.parse.quote("ai45r:" + level[len("/id/"):]))
    for resource in targets.resources[:10]:
        targets.named.append("/queries/why.json?resource="
                             + urllib.parse.quote("ai45r:" + resource[len("/id/"):]))
    return targets


class Client(threading.Thread):
    def __init__(self, base: str, targets: Targets, deadline: float, limit: int,
                 seed: int) -> None:
        super().__init__(daemon=True)
        self.base = urllib.parse.urlsplit(base)
        self.targets = targets
        self.deadline = deadline
        self.limit = limit
        self.random = random.Random(seed)
        self.samples: list[Sample] = []
        self.conn: http.client.HTTPConnection | None = None

    def request(self) -> tuple[str, str, str]:
        kind = self.random.choices(list(MIX), weights=list(MIX.values()))[0]
        if kind == "named query" and self.targets.named:
            return kind, "GET", self.random.choice(self.targets.named)
        if kind == "resource page" and self.targets.resources:
            path = self.random.choice(self.targets.resources)
            return kind, "GET", path + self.random.choice(["", "", ".ttl"])
        if kind == "health":
            return kind, "GET", "/health"
        query = PREFIXES + self.random.choice(ADHOC)
        if self.random.random() < 0.5 and "LIMIT" not in query and "ASK" not in query:
            query += f" LIMIT {self.random.randint(1000, 10**6)}"  # misses the response cache
        return "ad-hoc query", "GET", "/sparql?query=" + urllib.parse.quote(query)

    def run(self) -> None:
        while time.monotonic() < self.deadline and len(self.samples) < self.limit:
            kind, method, path = self.request()
            accept = "text/html" if kind == "resource page" and "." not in path[-5:] else \
                "application/sparql-results+json, text/turtle;q=0.9, application/json;q=0.8"
            started = time.monotonic()
            try:
                if self.conn is None:
                    self.conn = http.client.HTTPConnection(self.base.hostname, self.base.port,
                                                           timeout=60)
                self.conn.request(method, path, headers={"Accept": accept})
                response = self.conn.getresponse()
                response.read()
                status: int | str = response.status
                if response.getheader("Connection", "").lower() == "close":
                    self.conn.close()
                    self.conn = None
            except (OSError, http.client.HTTPException) as exc:
                status = f"{type(exc).__name__}: {exc}"
                if self.conn is not None:
                    self.conn.close()
                self.conn = None
            self.samples.append(Sample(kind, status, time.monotonic() - started))
        if self.conn is not None:
            self.conn.close()


def percentile(values: list[float], p: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    k = min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]


def report(samples: list[Sample], seconds: float, clients: int, settings: str) -> str:
    by_kind: dict[str, list[Sample]] = defaultdict(list)
    for s in samples:
        by_kind[s.kind].append(s)
    lines = [
        f"{clients} concurrent clients for {seconds:.0f} s against `ai45kg serve` ({settings}) "
        f"on this {os.cpu_count()}-core machine ({platform.python_implementation()} "
        f"{platform.python_version()}); clients and server share it.",
        "",
        "| requests | count | failed | p50 ms | p95 ms | p99 ms | max ms |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for kind in [*MIX, "all"]:
        group = samples if kind == "all" else by_kind.get(kind, [])
        if not group:
            continue
        failed = sum(1 for s in group if s.status not in (200, 304))
        ms = [s.seconds * 1000 for s in group]
        name = f"**{kind}**" if kind == "all" else kind
        lines.append(f"| {name} | {len(group)} | {failed} | {statistics.median(ms):.0f} | "
                     f"{percentile(ms, 95):.0f} | {percentile(ms, 99):.0f} | {max(ms):.0f} |")
    lines += ["", f"Throughput: {len(samples) / seconds:.0f} requests/s."]
    failures = [s for s in samples if s.status not in (200, 304)]
    if failures:
        kinds = defaultdict(int)
        for s in failures:
            kinds[f"{s.kind}: {s.status}"] += 1
        lines += ["", "Failures: " + "; ".join(f"{k} ({n})" for k, n in sorted(kinds.items()))]
    return "\n".join(lines)


def write_into(path: Path, table: str) -> None:
    text = path.read_text(encoding="utf-8") if path.exists() else f"{BEGIN}\n{END}\n"
    if BEGIN not in text or END not in text:
        text += f"\n{BEGIN}\n{END}\n"
    head, _, rest = text.partition(BEGIN)
    _, _, tail = rest.partition(END)
    path.write_text(f"{head}{BEGIN}\n{table}\n{END}{tail}", encoding="utf-8")


def start_server(port: int, log: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    with log.open("wb") as out:
        process = subprocess.Popen([str(AI45KG), "serve", "--host", "127.0.0.1",
                                    "--port", str(port)], env=env, cwd=ROOT, stdout=out,
                                   stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"ai45kg serve exited:\n{log.read_text()[-3000:]}")
        try:
            if get(f"http://127.0.0.1:{port}", "/health", timeout=5)[0] == 200:
                return process
        except OSError:
            pass
        time.sleep(0.5)
    stop_server(process)
    raise SystemExit(f"ai45kg serve did not answer in 300 s:\n{log.read_text()[-3000:]}")


def stop_server(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--per-client", type=int, default=2000,
                        help="most requests one client sends")
    parser.add_argument("--url", help="a running server (loopback) instead of starting one")
    parser.add_argument("--write", type=Path, help="put the table into this Markdown file")
    args = parser.parse_args()

    process = None
    if args.url:
        host = urllib.parse.urlsplit(args.url).hostname or ""
        if not (host == "localhost" or host.startswith("127.") or host == "::1"):
            raise SystemExit("the load test only sends traffic to loopback addresses")
        base = args.url.rstrip("/")
        settings = "as it runs"
    else:
        port = free_port()
        log = Path(os.environ.get("TMPDIR", "/tmp")) / f"ai45kg-load-test-{port}.log"
        print(f"starting ai45kg serve on 127.0.0.1:{port} (log {log}) ...", file=sys.stderr)
        process = start_server(port, log)
        base = f"http://127.0.0.1:{port}"
        status, body = get(base, "/settings.json")
        values = {s["name"]: s["value"] for s in json.loads(body)} if status == 200 else {}
        settings = ", ".join(f"{k}={values.get(k)}" for k in
                             ("STORE", "WORKERS", "THREADS", "QUERY_WORKERS",
                              "QUERY_TIMEOUT_MS", "CACHE_BYTES") if k in values)
    try:
        targets = discover(base)
        print(f"{len(targets.named)} named-query URLs, {len(targets.resources)} resources; "
              f"{args.clients} clients for up to {args.seconds:.0f} s ...", file=sys.stderr)
        started = time.monotonic()
        deadline = started + args.seconds
        clients = [Client(base, targets, deadline, args.per_client, seed=i)
                   for i in range(args.clients)]
        for c in clients:
            c.start()
        for c in clients:
            c.join()
        elapsed = time.monotonic() - started
    finally:
        if process is not None:
            stop_server(process)
    samples = [s for c in clients for s in c.samples]
    table = report(samples, elapsed, args.clients, settings)
    print(table)
    if args.write:
        write_into(args.write, table)
    return 1 if any(s.status not in (200, 304) for s in samples) else 0


if __name__ == "__main__":
    sys.exit(main())
