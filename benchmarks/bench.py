"""The benchmark suite (`make bench`): each store at each size, in one run, as Markdown tables.

    .venv/bin/python benchmarks/bench.py [--sizes real,100k,1m] [--stores memory,oxigraph]
                                         [--endpoint URL ...] [--quick] [--write]

For each size (the real build, then the real build plus a synthetic literature from
`ai45kg synth` up to about 100k and 1M triples) and each store (memory, oxigraph, and remote when
an endpoint is given: loaded by `ai45kg push`), it measures

- the load time and the peak memory of the process that holds the store (a fresh subprocess:
  ru_maxrss; for the remote store, the engine's own process when its pid is known), and for
  Oxigraph the reopen time of a store already loaded (what a restart costs);
- p50 / p99 latency of every named query (its default parameters) in-process (`Backend.run`,
  no worker processes) and over HTTP (`ai45kg serve` as `make serve` runs it, each request
  with `Cache-Control: no-cache` so that it is evaluated);
- HTTP throughput with 16 concurrent clients (wrk when installed) on a few named queries, from
  the response cache and evaluated, against the same server's plain /hello route as the ceiling
  (benchmarks/http_bench.py's client and server), and the same query texts sent straight to
  Virtuoso (the remote store's engine) and to rdflib-endpoint;
- the same named queries against rdflib-endpoint (the Python peer, installed into its own venv
  under the work directory, never into the project's), serving the same build, as a ratio.

The machine (CPUs, memory, CPU model, Python and library versions) heads the tables; --write puts
them into benchmarks/RESULTS.md. Not a test: nothing here asserts a timing. Server and clients
share the machine, so the numbers compare stores and sizes; they do not plan capacity.
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import json
import os
import platform
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

SIZES = {"real": 0, "100k": 100_000, "1m": 1_000_000}
CLIENTS = 16
#: named queries whose throughput is measured (the issue's example first)
THROUGHPUT_QUERIES = ("techniques-for-level", "levels", "works-for-concept")
#: a query slower than this (p50, ms) in-process is not run over HTTP: the service's default
#: QUERY_TIMEOUT_MS would stop it
USABLE_MS = 10_000.0
#: throughput is measured only for targets faster than this (p50, ms) one at a time
THROUGHPUT_MAX_MS = 1_000.0
JSON = "application/sparql-results+json"
FRESH = {"Accept": JSON, "Cache-Control": "no-cache"}
#: one request that takes longer than this is not measured (the query is reported as such)
REQUEST_TIMEOUT_S = 300.0


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------------
# datasets: the real build, and the real build plus a synthetic literature


def make_dist(work: Path, size: str, real: Path) -> Path:
    """A build directory for `size`: the real build's quads, plus synthetic ones up to about
    SIZES[size] triples in all, with a manifest whose content hash is that of its N-Quads."""
    import pyoxigraph as ox

    from ai45kg.kg.literature.synth import write as synth
    from ai45kg.kg.stores import DATASET_NQUADS, DATASET_TRIG, MANIFEST

    target = SIZES[size]
    dist = work / f"dist-{size}"
    if (dist / MANIFEST).exists():
        return dist
    dist.mkdir(parents=True, exist_ok=True)
    base = (real / DATASET_NQUADS).read_bytes()
    real_count = base.count(b"\n")
    extra = b""
    if target > real_count:
        log(f"generating about {target - real_count} synthetic triples for {size}")
        synth_file = work / f"synth-{size}.nq"
        synth(synth_file, target - real_count, seed=1, name=f"bench-{size}")
        extra = synth_file.read_bytes()
        synth_file.unlink()
    data = base + extra
    (dist / DATASET_NQUADS).write_bytes(data)
    quads = list(ox.parse(data, ox.RdfFormat.N_QUADS))
    ox.serialize(quads, str(dist / DATASET_TRIG), ox.RdfFormat.TRIG)
    counts: dict[str, int] = {}
    for q in quads:
        counts[q.graph_name.value] = counts.get(q.graph_name.value, 0) + 1
    manifest = json.loads((real / MANIFEST).read_text())
    manifest.update({"content_hash": hashlib.sha256(data).hexdigest(), "triples": counts,
                     "sources_digest": "benchmark"})
    (dist / MANIFEST).write_text(json.dumps(manifest, indent=2))
    return dist


def queries() -> dict[str, Any]:
    from ai45kg.kg import queries as named

    return named.load_all()


# ---------------------------------------------------------------------------------------------
# in-process: load, memory, latency (run in a fresh subprocess per store and size)


def measure(kind: str, dist: Path, store_dir: Path, budget_s: float, rounds: int,
            endpoint: str) -> dict[str, Any]:
    """The subprocess's work: open the store, run every named query, report as JSON."""
    from ai45kg.service.backend import Backend

    options: dict[str, Any] = {}
    if kind == "oxigraph":
        options = {"store_path": str(store_dir)}
    elif kind == "remote":
        options = {"endpoint": endpoint, "timeout_s": 600.0,
                   "auth": os.environ.get("AI45_REMOTE_AUTH", "basic")}
    baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    started = time.perf_counter()
    backend = Backend(dist, store=kind, query_workers=0, max_rows=100_000,
                      store_options=options, query_timeout_ms=600_000)
    load = time.perf_counter() - started
    out: dict[str, Any] = {"load_s": load, "latency": {}, "baseline_mb": baseline}
    for name, q in queries().items():
        bindings = q.bind({})
        times: list[float] = []
        spent = 0.0
        rows = 0
        for i in range(rounds + 1):
            t0 = time.perf_counter()
            outcome = backend.run(q.text, bindings, max_rows=100_000)
            dt = time.perf_counter() - t0
            spent += dt
            rows = len(outcome.result.rows)
            if i > 0 or rounds == 0:  # the first run warms caches
                times.append(dt)
            if spent > budget_s and times:
                break
        out["latency"][name] = {"ms": [t * 1000 for t in times], "rows": rows}
    out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    backend.close()
    if kind == "oxigraph":
        t0 = time.perf_counter()
        Backend(dist, store=kind, query_workers=0, store_options=options).close()
        out["reopen_s"] = time.perf_counter() - t0
    return out


def run_measure(kind: str, dist: Path, store_dir: Path, args: argparse.Namespace
                ) -> dict[str, Any]:
    command = [sys.executable, __file__, "--measure", kind, str(dist), str(store_dir),
               str(args.budget), str(args.rounds), args.endpoint or ""]
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, check=False)
    if done.returncode != 0:
        raise SystemExit(f"measuring {kind} on {dist} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# ---------------------------------------------------------------------------------------------
# over HTTP


def start_server(dist: Path, kind: str, store_dir: Path, endpoint: str, port: int,
                 log_file: Path) -> subprocess.Popen[bytes]:
    from http_bench import wait_for

    env = {**os.environ, "AI45_DIST": str(dist), "AI45_STORE": kind,
           "AI45_STORE_PATH": str(store_dir),
           "AI45_QUERY_TIMEOUT_MS": "120000", "AI45_MAX_ROWS": "100000",
           "AI45_ENDPOINT": endpoint, "AI45_BENCH_PREBUILT": "1", "PYTHONUNBUFFERED": "1",
           # rdflib holds a million triples in some 3.5 GiB: more than the default cap
           "AI45_WORKER_MEMORY_MB": "0"}
    with log_file.open("ab") as out:
        process = subprocess.Popen(
            [sys.executable, str(ROOT / "benchmarks" / "http_bench.py"), "--serve", str(port)],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        wait_for(port, process, timeout=1800.0)
    except SystemExit:
        stop(process)
        raise
    return process


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


def http_latencies(port: int, paths: dict[str, str], budget_s: float, rounds: int,
                   headers: dict[str, str] | None = None,
                   method: str = "GET") -> dict[str, list[float]]:
    """Sequential requests per path, over one keep-alive connection: p50/p99 of each (by
    default with `Cache-Control: no-cache`, so that ai45kg evaluates every one)."""
    out: dict[str, list[float]] = {}
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=REQUEST_TIMEOUT_S)
    for name, path in paths.items():
        times: list[float] = []
        spent = 0.0
        for i in range(rounds + 1):
            t0 = time.perf_counter()
            try:
                conn.request(method, path, headers=FRESH if headers is None else headers)
                response = conn.getresponse()
                response.read()
            except TimeoutError:
                log(f"{name}: no answer in {REQUEST_TIMEOUT_S:.0f} s; not measured")
                times = []
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=REQUEST_TIMEOUT_S)
                break
            dt = time.perf_counter() - t0
            spent += dt
            if response.status != 200:
                raise SystemExit(f"{path} answered {response.status}")
            if i > 0:
                times.append(dt * 1000)
            if spent > budget_s and times:
                break
        out[name] = times
    conn.close()
    return out


def loads(base: str, targets: dict[str, tuple[str, dict[str, str]]], seconds: float
          ) -> dict[str, dict[str, Any]]:
    """Throughput of each target (label -> path, headers) with CLIENTS clients, one warm-up
    second first."""
    from http_bench import measure_load

    out = {}
    for label, (path, headers) in targets.items():
        measure_load(base + path, headers, CLIENTS, 1.0)
        out[label] = measure_load(base + path, headers, CLIENTS, seconds).__dict__
    return out


def throughput(port: int, latencies: dict[str, list[float]], seconds: float
               ) -> dict[str, dict[str, Any]]:
    """/hello, then each of THROUGHPUT_QUERIES fast enough to measure, from the response cache
    and evaluated (Cache-Control: no-cache)."""
    targets: dict[str, tuple[str, dict[str, str]]] = {"hello": ("/hello", {})}
    for name in THROUGHPUT_QUERIES:
        if latencies.get(name) and pct(latencies[name], 50) < THROUGHPUT_MAX_MS:
            targets[f"{name} cached"] = (f"/queries/{name}.json", {"Accept": JSON})
            targets[f"{name} uncached"] = (f"/queries/{name}.json", FRESH)
    return loads(f"http://127.0.0.1:{port}", targets, seconds)


def engine_throughput(url: str, texts: dict[str, str], latencies: dict[str, list[float]],
                      seconds: float) -> dict[str, dict[str, Any]]:
    """The same queries (parameters written in) sent straight to another engine's endpoint."""
    targets = {}
    for name in THROUGHPUT_QUERIES:
        if name in texts and latencies.get(name) and pct(latencies[name], 50) < THROUGHPUT_MAX_MS:
            targets[name] = ("?" + urllib.parse.urlencode({"query": texts[name]}),
                             {"Accept": JSON})
    return loads(url, targets, seconds)


# ---------------------------------------------------------------------------------------------
# rdflib-endpoint, the Python peer, in its own venv


def peer_venv(work: Path) -> Path:
    venv = work / "rdflib-endpoint-venv"
    exe = venv / "bin" / "rdflib-endpoint"
    if not exe.exists():
        log("installing rdflib-endpoint into its own venv (not the project's)")
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(venv / "bin" / "pip"), "install", "--quiet",
                        "rdflib-endpoint[cli]"], check=True)
    return venv


def wait_for_peer(port: int, process: subprocess.Popen[bytes], timeout: float) -> None:
    """rdflib-endpoint answers at / (not /sparql)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"rdflib-endpoint exited with {process.returncode}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/?query=ASK%7B%7D")
            if conn.getresponse().status == 200:
                conn.close()
                return
        except OSError:
            pass
        time.sleep(0.5)
    raise SystemExit("rdflib-endpoint did not come up")


def start_peer(venv: Path, dist: Path, port: int, log_file: Path) -> subprocess.Popen[bytes]:
    wait_for = wait_for_peer

    with log_file.open("ab") as out:
        process = subprocess.Popen(
            [str(venv / "bin" / "rdflib-endpoint"), "serve", str(dist / "ai45kg.trig"),
             "--host", "127.0.0.1", "--port", str(port)],
            cwd=str(dist), stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        wait_for(port, process, timeout=1800.0)
    except SystemExit:
        stop(process)
        raise
    return process


def peer_version(venv: Path) -> str:
    done = subprocess.run([str(venv / "bin" / "python"), "-c",
                           "import importlib.metadata as m; print(m.version('rdflib-endpoint'),"
                           " m.version('rdflib'))"], capture_output=True, text=True, check=False)
    return done.stdout.strip()


# ---------------------------------------------------------------------------------------------
# tables


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    if p == 50:
        return statistics.median(ordered)
    return ordered[min(len(ordered) - 1, int(round(len(ordered) * p / 100 + 0.5)) - 1)]


def fmt(ms: float) -> str:
    if ms != ms:  # NaN
        return "–"
    return f"{ms:.1f}" if ms < 100 else f"{ms:.0f}"


def save(work: Path, results: dict[str, Any]) -> None:
    """Write what has been measured so far (a later failure loses nothing measured)."""
    (work / "results.json").write_text(json.dumps(results, indent=1))


def commit() -> str:
    """The project's commit (with `+` when the work tree has changes), to tell runs apart."""
    done = subprocess.run(["git", "describe", "--always", "--dirty=+"], cwd=ROOT,
                          capture_output=True, text=True, check=False)
    return done.stdout.strip() or "unknown"


def machine() -> list[str]:
    import importlib.metadata as md

    cpu = ""
    with open("/proc/cpuinfo", encoding="utf-8") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem_kb = 0
    with open("/proc/meminfo", encoding="utf-8") as f:
        for line in f:
            if line.startswith("MemTotal"):
                mem_kb = int(line.split()[1])
    versions = ", ".join(f"{p} {md.version(p)}" for p in
                         ("rdflib", "pyoxigraph", "flask", "granian", "sparqlwrapper"))
    return [
        f"- machine: {os.cpu_count()} CPUs ({cpu}), {mem_kb / 2**20:.0f} GiB memory, "
        f"{platform.system()} {platform.release()}",
        f"- Python {platform.python_version()}; {versions}",
        f"- run: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="real,100k,1m")
    parser.add_argument("--stores", default="memory,oxigraph")
    parser.add_argument("--endpoint", default=os.environ.get("AI45_TEST_ENDPOINT", ""),
                        help="a SPARQL endpoint to benchmark as the remote store (pushed to)")
    parser.add_argument("--update-endpoint",
                        default=os.environ.get("AI45_TEST_UPDATE_ENDPOINT", ""))
    parser.add_argument("--graph-store", default=os.environ.get("AI45_TEST_GRAPH_STORE", ""))
    parser.add_argument("--engine-pid", type=int, default=0,
                        help="process id of the remote engine, for its peak memory")
    parser.add_argument("--work", default="/tmp/ai45kg-bench")
    parser.add_argument("--budget", type=float, default=8.0,
                        help="seconds of repetitions per query and store (at least one run)")
    parser.add_argument("--rounds", type=int, default=30, help="most repetitions per query")
    parser.add_argument("--seconds", type=float, default=10.0, help="per throughput target")
    parser.add_argument("--no-peer", action="store_true", help="skip rdflib-endpoint")
    parser.add_argument("--peer-sizes", default="real,100k,1m",
                        help="sizes at which to run rdflib-endpoint (at 1M it takes most of an "
                             "hour to load and answer)")
    parser.add_argument("--peer-max-ms", type=float, default=3000.0,
                        help="at a larger size, skip the peer's queries slower than this at the "
                             "size before (rdflib-endpoint takes minutes on some)")
    parser.add_argument("--results-from", default="",
                        help="a results.json of an earlier run whose sizes to show as well")
    parser.add_argument("--quick", action="store_true",
                        help="sizes real,100k; fewer repetitions; 3 s throughput runs")
    parser.add_argument("--write", action="store_true", help="write benchmarks/RESULTS.md")
    parser.add_argument("--measure", nargs=6, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        kind, dist, store_dir, budget, rounds, endpoint = args.measure
        result = measure(kind, Path(dist), Path(store_dir), float(budget), int(rounds), endpoint)
        print(json.dumps(result))
        return
    if args.quick:
        args.sizes = "real,100k" if args.sizes == "real,100k,1m" else args.sizes
        args.budget, args.rounds, args.seconds = 2.0, 10, 3.0
    sizes = [s for s in args.sizes.split(",") if s]
    stores = [s for s in args.stores.split(",") if s]
    if args.endpoint and "remote" not in stores:
        stores.append("remote")
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)

    from http_bench import free_port

    from ai45kg.kg import paths
    from ai45kg.kg.sparqltext import bind_terms
    from ai45kg.service.serve import ensure_built

    real = Path(os.environ.get("AI45_DIST", paths.dist_dir()))
    ensure_built(real, echo=log)
    real = real.resolve()
    named = queries()
    names = sorted(named)
    texts = {n: bind_terms(q.text, q.bind({})) for n, q in named.items()}
    peer = None if args.no_peer else peer_venv(work)
    results: dict[str, dict[str, Any]] = {}
    if args.results_from:
        earlier = json.loads(Path(args.results_from).read_text())
        results.update({k: v for k, v in earlier.items() if k not in sizes})
    for size in sizes:
        dist = make_dist(work, size, real)
        total = sum(json.loads((dist / "manifest.json").read_text())["triples"].values())
        results[size] = {"triples": total, "stores": {}, "peer": None, "engines": {},
                         "commit": commit(), "when": time.strftime("%Y-%m-%d %H:%M UTC",
                                                                    time.gmtime())}
        for kind in stores:
            store_dir = work / f"oxigraph-{size}"
            shutil.rmtree(store_dir, ignore_errors=True)
            entry: dict[str, Any] = {}
            if kind == "remote":
                from ai45kg.kg.push import push

                log(f"{size}: pushing {total} triples to {args.endpoint}")
                t0 = time.perf_counter()
                push(dist, args.endpoint, args.update_endpoint or None,
                     graph_store=args.graph_store or None,
                     auth=os.environ.get("AI45_REMOTE_AUTH", "basic"))
                entry["push_s"] = time.perf_counter() - t0
            log(f"{size}: {kind} in-process")
            entry["inproc"] = run_measure(kind, dist, store_dir, args)
            if kind == "remote" and args.engine_pid:
                status = Path(f"/proc/{args.engine_pid}/status").read_text()
                entry["inproc"]["peak_rss_mb"] = int(
                    next(x for x in status.splitlines() if x.startswith("VmHWM")).split()[1]
                ) / 1024
            log(f"{size}: {kind} over HTTP")
            port = free_port()
            server = start_server(dist, kind, store_dir, args.endpoint, port,
                                  work / "server.log")
            try:
                inproc = entry["inproc"]["latency"]
                entry["unusable"] = {n: pct(inproc[n]["ms"], 50) for n in names
                                     if pct(inproc[n]["ms"], 50) > USABLE_MS}
                paths_ = {n: f"/queries/{n}.json" for n in names if n not in entry["unusable"]}
                entry["http"] = http_latencies(port, paths_, args.budget, args.rounds)
                entry["throughput"] = throughput(port, entry["http"], args.seconds)
            finally:
                stop(server)
            if kind == "remote":
                log(f"{size}: the same queries straight to {args.endpoint}")
                results[size]["engines"]["virtuoso"] = engine_throughput(
                    args.endpoint, texts, entry["http"], args.seconds)
            results[size]["stores"][kind] = entry
            save(work, results)
        if peer is not None and size in args.peer_sizes.split(","):
            log(f"{size}: rdflib-endpoint")
            port = free_port()
            t0 = time.perf_counter()
            server = start_peer(peer, dist, port, work / "peer.log")
            load = time.perf_counter() - t0
            before = [r for s_, r in results.items()
                      if s_ != size and r.get("peer") and r["triples"] < total]
            slow = {}
            if before:
                previous = max(before, key=lambda r: r["triples"])["peer"]["http"]
                slow = {n: pct(t, 50) for n, t in previous.items()
                        if t and pct(t, 50) > args.peer_max_ms}
            try:
                paths_ = {}
                for n in names:
                    if n in slow:
                        continue
                    paths_[n] = "/?" + urllib.parse.urlencode({"query": texts[n]})
                timings = http_latencies(port, paths_, args.budget, args.rounds,
                                         headers={"Accept": JSON})
                results[size]["peer"] = {
                    "load_s": load,
                    "http": {**{n: [] for n in slow}, **timings},
                    "skipped": slow,
                }
                results[size]["engines"]["rdflib-endpoint"] = engine_throughput(
                    f"http://127.0.0.1:{port}/", texts, timings, args.seconds)
            finally:
                stop(server)
        save(work, results)
    report = render(results, names, peer_version(peer) if peer else "", args)
    print("\n".join(report))
    if args.write:
        (ROOT / "benchmarks" / "RESULTS.md").write_text("\n".join(report) + "\n")
        log("wrote benchmarks/RESULTS.md")


def render(results: dict[str, Any], names: list[str], peer: str, args: argparse.Namespace
           ) -> list[str]:
    # sizes in their natural order, also when some come from an earlier run (--results-from)
    results = {k: results[k] for k in sorted(results, key=lambda k: list(SIZES).index(k))}
    runs = "; ".join(f"{k}: {r.get('when', '?')}, commit {r.get('commit', '?')}"
                     for k, r in results.items())
    out = ["# Benchmark results", "",
           "Written by `make bench` (benchmarks/bench.py); the latest run, on this machine:", "",
           *machine(), f"- sizes measured: {runs}"]
    if peer:
        out.append(f"- peer: rdflib-endpoint {peer.split()[0]} (rdflib {peer.split()[-1]}), "
                   "in its own venv")
    out += ["", f"Latencies are p50 / p99 in milliseconds over up to {args.rounds} runs (at "
            f"most {args.budget:g} s per query) after one warm-up; in-process is `Backend.run` "
            "without worker processes, HTTP is `ai45kg serve` (granian, 1 HTTP process, "
            "8 threads, 2 query workers), each request with `Cache-Control: no-cache` so that "
            "it is evaluated; a query slower in-process than the default time limit "
            f"({USABLE_MS / 1000:.0f} s) is not run over HTTP. Throughput: {CLIENTS} "
            f"concurrent keep-alive clients for {args.seconds:g} s per target ("
            f"{'wrk, 2 threads' if shutil.which('wrk') else 'Python threads'}). "
            "rdflib-endpoint gets each query with its default parameters written in (it has no "
            "parameter binding); a ratio above 1 means ai45kg answers faster. Peak memory is "
            "the measuring process's (Python and the service's imports included; the next "
            "column subtracts what the process held before opening the store); for the remote "
            "store it is the engine's (Virtuoso's VmHWM).", ""]
    out += ["## Load and memory", "",
            "| size | triples | store | load (s) | reopen (s) | peak memory (MiB) | "
            "of it for the store (MiB) |",
            "|---|---:|---|---:|---:|---:|---:|"]
    for size, r in results.items():
        for kind, e in r["stores"].items():
            load = e.get("push_s", e["inproc"]["load_s"])
            reopen = e["inproc"].get("reopen_s")
            label = kind + (" (push)" if "push_s" in e else "")
            peak = e["inproc"]["peak_rss_mb"]
            own = "" if kind == "remote" else f"{peak - e['inproc'].get('baseline_mb', 0):.0f}"
            out.append(f"| {size} | {r['triples']:,} | {label} | {load:.1f} | "
                       f"{'' if reopen is None else f'{reopen:.2f}'} | {peak:.0f} | {own} |")
        if r.get("peer"):
            out.append(f"| {size} | {r['triples']:,} | rdflib-endpoint (start) | "
                       f"{r['peer']['load_s']:.1f} | | | |")
    out += throughput_tables(results)
    for size, r in results.items():
        kinds = list(r["stores"])
        out += ["", f"## Named queries, {size} ({r['triples']:,} triples): p50 / p99 ms", ""]
        head = "| query | " + " | ".join(f"{k} in-process | {k} HTTP" for k in kinds)
        compared = [k for k in ("oxigraph", "memory") if k in kinds]
        if r.get("peer"):
            head += " | rdflib-endpoint HTTP | " + " | ".join(
                f"peer / {k} HTTP (p50)" for k in compared)
        out.append(head + " |")
        out.append("|---|" + "---:|" * (2 * len(kinds) + (1 + len(compared) if r.get("peer")
                                                           else 0)))
        for n in names:
            cells = []
            for k in kinds:
                e = r["stores"][k]
                ms = e["inproc"]["latency"][n]["ms"]
                cells.append(f"{fmt(pct(ms, 50))} / {fmt(pct(ms, 99))}")
                if n in e.get("unusable", {}):
                    cells.append(f"not run (over the {USABLE_MS / 1000:.0f} s time limit)")
                    continue
                hs = e["http"][n]
                cells.append(f"{fmt(pct(hs, 50))} / {fmt(pct(hs, 99))}")
            if r.get("peer"):
                ps = r["peer"]["http"].get(n, [])
                if n in r["peer"].get("skipped", {}):
                    cells.append(f"not run ({r['peer']['skipped'][n] / 1000:.0f} s at a "
                                 "smaller size)")
                    cells += ["–"] * len(compared)
                    out.append(f"| {n} | " + " | ".join(cells) + " |")
                    continue
                cells.append(f"{fmt(pct(ps, 50))} / {fmt(pct(ps, 99))}")
                for k in compared:
                    ours = pct(r["stores"][k]["http"].get(n, []), 50)
                    cells.append(f"{pct(ps, 50) / ours:.1f}x" if ours == ours else "–")
            out.append(f"| {n} | " + " | ".join(cells) + " |")
    return out


def throughput_tables(results: dict[str, Any]) -> list[str]:
    """Requests/s with CLIENTS clients: /hello, each measured named query from the response
    cache and evaluated, and the same queries sent straight to the other engines."""
    out = ["", f"## Throughput ({CLIENTS} clients)", "",
           "Each server's /hello is its ceiling; `cached` answers come from the response cache, "
           "`uncached` requests send `Cache-Control: no-cache` so that every one is evaluated. "
           "The engines get the same query text (parameters written in) at their own endpoint.",
           "", "| size | server | target | req/s | p50 / p99 ms | / hello | errors |",
           "|---|---|---|---:|---:|---:|---:|"]
    for size, r in results.items():
        for kind, e in r["stores"].items():
            t = e.get("throughput") or {}
            hello = (t.get("hello") or {}).get("rate") or float("nan")
            for label, m in t.items():
                out.append(f"| {size} | ai45kg ({kind}) | {label} | {m['rate']:.0f} | "
                           f"{fmt(m['p50'])} / {fmt(m['p99'])} | {m['rate'] / hello:.2f} | "
                           f"{m['errors']} |")
        for engine, runs in (r.get("engines") or {}).items():
            for label, m in runs.items():
                out.append(f"| {size} | {engine} | {label} | {m['rate']:.0f} | "
                           f"{fmt(m['p50'])} / {fmt(m['p99'])} | | {m['errors']} |")
    out += ["", "Uncached ai45kg against the engines (ratio of requests/s, above 1: ai45kg "
            "serves more):", "", "| size | store | query | / Virtuoso | / rdflib-endpoint |",
            "|---|---|---|---:|---:|"]
    for size, r in results.items():
        engines = r.get("engines") or {}
        for kind, e in r["stores"].items():
            for name in THROUGHPUT_QUERIES:
                ours = (e.get("throughput") or {}).get(f"{name} uncached")
                if not ours:
                    continue
                cells = []
                for engine in ("virtuoso", "rdflib-endpoint"):
                    theirs = (engines.get(engine) or {}).get(name)
                    cells.append(f"{ours['rate'] / theirs['rate']:.1f}x"
                                 if theirs and theirs["rate"] else "–")
                out.append(f"| {size} | {kind} | {name} | " + " | ".join(cells) + " |")
    return out


if __name__ == "__main__":
    main()
