"""Which WSGI/HTTP server should `ai45kg serve` run? Measured, on this machine.

    .venv/bin/python benchmarks/servers.py [--quick] [--write benchmarks/SERVERS.md]
                                           [--only KEY,KEY] [--skip-lifecycle] [--slow-counts N,N]

A full run takes about 13 minutes; --quick about 4 (3 s wrk runs, fewer slow clients and tries).

Candidates (each skipped, and marked so in the tables, when its packages are missing):

- gunicorn gthread, 1 process x 8 threads (what `ai45kg serve` runs today)
- gunicorn sync, 2 processes
- gunicorn gevent, 1 and 2 processes
- granian `--interface wsgi`, 1 and 2 processes (8 blocking threads each), and 1 process with
  the flags this benchmark led to (backpressure 4096, a 10 s header-read timeout)
- uvicorn with a2wsgi's WSGIMiddleware (8 threads), 1 and 2 processes

All serve benchmarks/hello_app.py, whose HTTP processes each own two query worker processes
(forkserver children, as in service.executor) that answer a ~2 KB JSON document over a pipe.
Every server is a real subprocess on 127.0.0.1 at a free port, waited for until it answers,
and stopped with one SIGTERM to its main process (SIGKILL to its process group only if that
fails). Each process a server starts carries a marker in its environment, so that the script
can count them and, at the end, report and kill anything left over.

Parts, each printed as a Markdown table when it finishes:

a) throughput: wrk -t2 -c16 -d10s --latency on /hello, /query (the query path) and
   /query?ms=20 (a query worker busy for 20 ms); all servers run side by side and are measured
   in turn, target by target, the order reversed at each target;
b) slow clients: 8 (gthread's thread count), 64, 512, then 1536 connections (beyond granian's
   default backpressure of 1024 and gunicorn's 1000 worker connections) that send half a
   request head and wait, while 20 sequential requests to /hello on fresh connections are
   timed (the first one waits up to 10 s);
c) a 10 MB POST to an app with a 1 MB limit (Flask MAX_CONTENT_LENGTH): a readable 413, or a
   broken pipe / reset? Again to a route that reads (drops) the body before its 413; plus
   probes of the server's own request-line and header limits;
d) lifecycle, each server started again on its own: start-up time, a 5 s CPU-bound request
   (worker timeouts), SIGKILL of an HTTP worker (respawn?), SIGHUP (graceful reload, new code?),
   SIGTERM with a 1 s request in flight (graceful shutdown?), and processes left behind;
   then (d2) SIGTERM to the whole process group, and two SIGTERMs back to back to each worker;
e) the exact command lines, and the Python that ran them.

Server and load generator share the 2 cores, so the numbers compare servers; they do not say
what the machine could serve. Not a test: nothing here asserts a timing.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import http.client
import importlib.metadata
import importlib.util
import json
import os
import platform
import re
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
PY = sys.executable
HOST = "127.0.0.1"
MARKER = "AI45_BENCH_RUN"
RUN_ID = uuid.uuid4().hex[:8]
#: what --write keeps from the existing file: everything below this line
NOTES_MARK = "<!-- notes: servers.py keeps everything below this line when it rewrites the file -->"

PACKAGES = ["gunicorn", "gevent", "greenlet", "granian", "uvicorn", "a2wsgi", "h11", "httptools",
            "uvloop", "flask", "werkzeug"]


# ---------------------------------------------------------------------------------------------
# the candidates


@dataclass(frozen=True)
class Candidate:
    key: str
    label: str
    family: str  # gunicorn | granian | uvicorn
    workers: int  # HTTP processes
    requires: tuple[str, ...]
    args: Callable[[int, bool], list[str]]  # (port, lifecycle) -> argv

    def missing(self) -> list[str]:
        return [m for m in self.requires if importlib.util.find_spec(m) is None]


def _gunicorn(worker_class: str, workers: int, threads: int = 1
             ) -> Callable[[int, bool], list[str]]:
    def argv(port: int, lifecycle: bool) -> list[str]:
        cmd = [PY, "-m", "gunicorn", "--bind", f"{HOST}:{port}", "--workers", str(workers),
               "--worker-class", worker_class]
        if worker_class == "gthread":
            cmd += ["--threads", str(threads)]
        if worker_class == "gevent":
            cmd += ["--worker-connections", "1000"]
        # lifecycle runs use a short worker timeout, so that the 5 s CPU-bound request shows it
        cmd += ["--timeout", "3" if lifecycle else "30", "--graceful-timeout", "10",
                "--keep-alive", "5", "--backlog", "2048", "--no-control-socket",
                "hello_app:app"]
        return cmd
    return argv


def _granian(workers: int, tuned: bool = False) -> Callable[[int, bool], list[str]]:
    def argv(port: int, lifecycle: bool) -> list[str]:
        cmd = [PY, "-m", "granian", "--interface", "wsgi", "--host", HOST, "--port", str(port),
               "--workers", str(workers), "--blocking-threads", "8"]
        if tuned:
            # connections (not Python threads) up to 4096 per worker; a request head (or the
            # next one on a kept-alive connection) must arrive within 10 s
            cmd += ["--backlog", "2048", "--backpressure", "4096",
                    "--http1-header-read-timeout", "10000"]
        else:
            cmd += ["--backlog", "1024"]
        cmd += ["--http", "1", "--no-ws", "--respawn-failed-workers",
                "--workers-kill-timeout", "10", "hello_app:app"]
        return cmd
    return argv


def _uvicorn(workers: int) -> Callable[[int, bool], list[str]]:
    def argv(port: int, lifecycle: bool) -> list[str]:
        return [PY, "-m", "uvicorn", "hello_app:asgi_app", "--host", HOST, "--port", str(port),
                "--workers", str(workers), "--backlog", "2048", "--timeout-keep-alive", "5",
                "--timeout-graceful-shutdown", "10", "--lifespan", "off", "--no-access-log"]
    return argv


CANDIDATES = [
    Candidate("gthread-1x8", "gunicorn gthread 1x8 (today)", "gunicorn", 1, ("gunicorn",),
              _gunicorn("gthread", 1, 8)),
    Candidate("sync-2", "gunicorn sync x2", "gunicorn", 2, ("gunicorn",), _gunicorn("sync", 2)),
    Candidate("gevent-1", "gunicorn gevent x1", "gunicorn", 1, ("gunicorn", "gevent"),
              _gunicorn("gevent", 1)),
    Candidate("gevent-2", "gunicorn gevent x2", "gunicorn", 2, ("gunicorn", "gevent"),
              _gunicorn("gevent", 2)),
    Candidate("granian-1", "granian wsgi x1 (8 thr)", "granian", 1, ("granian",), _granian(1)),
    Candidate("granian-2", "granian wsgi x2 (8 thr)", "granian", 2, ("granian",), _granian(2)),
    Candidate("granian-1t", "granian wsgi x1 (8 thr), tuned", "granian", 1, ("granian",),
              _granian(1, tuned=True)),
    Candidate("uvicorn-1", "uvicorn+a2wsgi x1 (8 thr)", "uvicorn", 1, ("uvicorn", "a2wsgi"),
              _uvicorn(1)),
    Candidate("uvicorn-2", "uvicorn+a2wsgi x2 (8 thr)", "uvicorn", 2, ("uvicorn", "a2wsgi"),
              _uvicorn(2)),
]


# ---------------------------------------------------------------------------------------------
# processes


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def _read(path: str) -> bytes:
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError:
        return b""


@dataclass
class Proc:
    pid: int
    ppid: int
    cmdline: str
    tag: str  # the marker's value ("" when it has none)
    rss_kib: int


def processes() -> list[Proc]:
    """Every process that carries this run's marker."""
    found = []
    prefix = f"{MARKER}={RUN_ID}:".encode()
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        environ = _read(f"/proc/{entry}/environ")
        start = environ.find(prefix)
        if start < 0:
            continue
        end = environ.find(b"\0", start)
        tag = environ[start + len(MARKER) + 1:end if end >= 0 else None].decode()
        stat = _read(f"/proc/{entry}/stat").decode(errors="replace")
        try:
            fields = stat.rsplit(")", 1)[1].split()
            if fields[0] == "Z":
                continue  # a zombie holds nothing; its parent reaps it
            ppid = int(fields[1])
        except (IndexError, ValueError):
            continue
        rss = 0
        for line in _read(f"/proc/{entry}/status").decode(errors="replace").splitlines():
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1])
        cmd = _read(f"/proc/{entry}/cmdline").replace(b"\0", b" ").decode(errors="replace")
        found.append(Proc(int(entry), ppid, cmd.strip(), tag, rss))
    return found


def is_helper(cmdline: str) -> bool:
    """multiprocessing's forkserver and resource tracker (and the forkserver's children)."""
    return "multiprocessing.forkserver" in cmdline or "multiprocessing.resource_tracker" in cmdline


class Server:
    """One running instance of a candidate."""

    _count = 0

    def __init__(self, cand: Candidate, workdir: Path, *, lifecycle: bool = False) -> None:
        Server._count += 1
        self.cand = cand
        self.tag = f"{RUN_ID}:{cand.key}:{Server._count}"
        self.port = free_port()
        self.argv = cand.args(self.port, lifecycle)
        self.version_file = workdir / f"{cand.key}.version"
        self.version_file.write_text("v1\n")
        self.log_path = workdir / f"{cand.key}.{Server._count}.log"
        env = dict(os.environ)
        env.update({MARKER: self.tag, "BENCH_VERSION_FILE": str(self.version_file),
                    "PYTHONPATH": str(BENCH_DIR), "PYTHONUNBUFFERED": "1",
                    "PYTHONDONTWRITEBYTECODE": "1"})
        env.pop("WEB_CONCURRENCY", None)
        self.started = time.monotonic()
        self._log = open(self.log_path, "wb")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(self.argv, cwd=BENCH_DIR, env=env, stdout=self._log,
                                     stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                     start_new_session=True)
        self.startup_s: float | None = None

    @property
    def pid(self) -> int:
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc.poll() is None

    def mine(self) -> list[Proc]:
        return [p for p in processes() if p.tag == self.tag]

    def http_workers(self) -> list[int]:
        """The HTTP processes: the main process's children that are not multiprocessing
        helpers, or the main process itself when it serves alone."""
        procs = self.mine()
        kids = [p.pid for p in procs if p.ppid == self.pid and not is_helper(p.cmdline)]
        if kids:
            return kids
        return [self.pid] if self.alive() else []

    def log_tail(self, lines: int = 6) -> str:
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return " | ".join(text.strip().splitlines()[-lines:])

    def wait_ready(self, timeout: float = 30.0, path: str = "/health") -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.alive():
                return False
            try:
                if get(self.port, path, timeout=2.0)[0] == 200:
                    if self.startup_s is None:
                        self.startup_s = time.monotonic() - self.started
                    return True
            except OSError:
                pass
            time.sleep(0.05)
        return False

    def signal(self, sig: int) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, sig)

    def stop(self, timeout: float = 20.0) -> dict[str, Any]:
        """One SIGTERM to the main process; SIGKILL to the group if it does not exit in time.
        Then the processes it left behind (after up to 5 s) are counted and killed."""
        result: dict[str, Any] = {"exit_s": None, "killed": False, "strays": 0}
        t0 = time.monotonic()
        if self.alive():
            self.signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
                result["exit_s"] = time.monotonic() - t0
            except subprocess.TimeoutExpired:
                result["killed"] = True
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.pid, signal.SIGKILL)
                with contextlib.suppress(subprocess.TimeoutExpired):
                    self.proc.wait(5)
        result["code"] = self.proc.returncode
        result["strays"] = reap_strays(lambda p: p.tag == self.tag, grace=5.0)
        self._log.close()
        return result


def reap_strays(match: Callable[[Proc], bool], grace: float) -> int:
    """Wait up to `grace` s for matching processes to exit; SIGKILL (by pid) what is left."""
    deadline = time.monotonic() + grace
    left = [p for p in processes() if match(p)]
    while left and time.monotonic() < deadline:
        time.sleep(0.2)
        left = [p for p in processes() if match(p)]
    for p in left:
        with contextlib.suppress(ProcessLookupError):
            os.kill(p.pid, signal.SIGKILL)
    return len(left)


# ---------------------------------------------------------------------------------------------
# clients


def get(port: int, path: str, timeout: float = 5.0, method: str = "GET",
        body: bytes | None = None, headers: dict[str, str] | None = None
        ) -> tuple[int, bytes, float]:
    t0 = time.monotonic()
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        data = resp.read()
        return resp.status, data, time.monotonic() - t0
    finally:
        conn.close()


class Background:
    """A request in a thread; `result` is (status or exception name, seconds)."""

    def __init__(self, port: int, path: str, timeout: float) -> None:
        self.result: tuple[str, float] | None = None
        self._t = threading.Thread(target=self._run, args=(port, path, timeout), daemon=True)
        self._t.start()

    def _run(self, port: int, path: str, timeout: float) -> None:
        t0 = time.monotonic()
        try:
            status, _, took = get(port, path, timeout=timeout)
            self.result = (str(status), took)
        except (OSError, http.client.HTTPException) as exc:
            self.result = (type(exc).__name__, time.monotonic() - t0)

    def join(self, timeout: float) -> tuple[str, float]:
        self._t.join(timeout)
        return self.result or ("no answer", timeout)


_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3, "h": 3600e3}


def _ms(text: str) -> float:
    m = re.fullmatch(r"([\d.]+)(us|ms|s|m|h)", text)
    return float(m.group(1)) * _UNITS[m.group(2)] if m else float("nan")


def wrk(port: int, path: str, seconds: float, connections: int = 16) -> dict[str, Any]:
    cmd = ["wrk", "-t2", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--latency",
           "--timeout", "5s", f"http://{HOST}:{port}{path}"]
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 20).stdout
    except subprocess.TimeoutExpired:
        return {"error": "wrk timed out"}
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    lat = dict(re.findall(r"^\s+(50|99)%\s+(\S+)", out, re.M))
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    total = re.search(r"(\d+) requests in", out)
    errors = (sum(int(x) for x in sock.groups()) if sock else 0) + \
        (int(non2xx.group(1)) if non2xx else 0)
    if not rps:
        return {"error": out.strip().splitlines()[-1] if out.strip() else "no output"}
    return {"rps": float(rps.group(1)), "p50": _ms(lat.get("50", "")),
            "p99": _ms(lat.get("99", "")),
            "errors": errors, "requests": int(total.group(1)) if total else 0,
            "sock": sock.groups() if sock else None}


# ---------------------------------------------------------------------------------------------
# formatting


def fmt_ms(ms: float | None) -> str:
    if ms is None or ms != ms:
        return "-"
    if ms >= 1000:
        return f"{ms / 1000:.2f} s"
    return f"{ms:.1f}" if ms >= 10 else f"{ms:.2f}"


def fmt_s(s: float | None) -> str:
    return "-" if s is None else f"{s:.1f} s"


def table(header: list[str], rows: list[list[str]], align: str | None = None) -> str:
    align = align or "l" * len(header)
    sep = ["---:" if a == "r" else "---" for a in align]
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(sep) + "|"]
    lines += ["| " + " | ".join(str(c).replace("|", "\\|") for c in row) + " |" for row in rows]
    return "\n".join(lines)


def emit(title: str, text: str, out: list[str]) -> None:
    block = f"## {title}\n\n{text}\n"
    print("\n" + block, flush=True)
    out.append(block)


# ---------------------------------------------------------------------------------------------
# a) throughput


TARGETS = [("hello", "/hello"), ("query", "/query"), ("query 20 ms", "/query?ms=20")]


CLK_TCK = os.sysconf("SC_CLK_TCK")


def _busy_jiffies() -> int:
    """CPU time spent busy since boot, all CPUs (/proc/stat)."""
    fields = _read("/proc/stat").split(b"\n", 1)[0].split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(x) for x in fields[:8])
    return user + nice + system + irq + softirq + steal


def _proc_jiffies(pids: list[int]) -> int:
    total = 0
    for pid in pids:
        stat = _read(f"/proc/{pid}/stat").decode(errors="replace")
        with contextlib.suppress(IndexError, ValueError):
            fields = stat.rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
    return total


def _rusage_s(who: int) -> float:
    ru = resource.getrusage(who)
    return ru.ru_utime + ru.ru_stime


def measured_wrk(srv: Server, path: str, seconds: float) -> dict[str, Any]:
    """wrk, plus the share of the two CPUs that processes other than the server, wrk and this
    script used meanwhile (other candidates idling, anything else on the machine)."""
    pids = [p.pid for p in srv.mine()]
    busy0, own0 = _busy_jiffies(), _proc_jiffies(pids)
    kids0, self0 = _rusage_s(resource.RUSAGE_CHILDREN), _rusage_s(resource.RUSAGE_SELF)
    t0 = time.monotonic()
    result = wrk(srv.port, path, seconds)
    elapsed = time.monotonic() - t0
    busy = (_busy_jiffies() - busy0) / CLK_TCK
    server = (_proc_jiffies(pids) - own0) / CLK_TCK
    client = _rusage_s(resource.RUSAGE_CHILDREN) - kids0 + _rusage_s(resource.RUSAGE_SELF) - self0
    ncpu = len(os.sched_getaffinity(0))
    result["server_cpu_pct"] = 100 * server / (elapsed * ncpu)
    result["other_cpu_pct"] = max(0.0, 100 * (busy - server - client) / (elapsed * ncpu))
    return result


class Quiet:
    """Waits, before a measurement, for the machine to be idle (a shared machine: tests of
    others may run), within a budget for the whole run."""

    def __init__(self, budget_s: float, per_wait_s: float = 30.0, busy_pct: float = 10.0) -> None:
        self.budget_s = budget_s
        self.per_wait_s = per_wait_s
        self.busy_pct = busy_pct
        self.waited_s = 0.0

    def wait(self) -> None:
        t0 = time.monotonic()
        ncpu = len(os.sched_getaffinity(0))
        calm = 0
        while calm < 2 and self.waited_s + (time.monotonic() - t0) < self.budget_s \
                and time.monotonic() - t0 < self.per_wait_s:
            b0, s0 = _busy_jiffies(), time.monotonic()
            time.sleep(0.5)
            pct = 100 * (_busy_jiffies() - b0) / CLK_TCK / ((time.monotonic() - s0) * ncpu)
            calm = calm + 1 if pct < self.busy_pct else 0
        self.waited_s += time.monotonic() - t0


#: a run during which other processes used more than this share of the CPUs is run again
DISTURBED_PCT = 15.0


def part_throughput(servers: dict[str, Server], seconds: float, quiet: Quiet,
                    retry_budget_s: float) -> tuple[str, dict[str, Any]]:
    results: dict[tuple[str, str], dict[str, Any]] = {}
    keys = list(servers)

    def run(key: str, path: str) -> dict[str, Any]:
        srv = servers[key]
        if not srv.alive() or not srv.wait_ready(10):
            return {"error": "server not answering"}
        quiet.wait()
        if path == TARGETS[0][1]:
            wrk(srv.port, path, 1)  # warm-up: threads, both HTTP processes, the query pools
        log(f"wrk {key} {path}")
        return measured_wrk(srv, path, seconds)

    for i, (name, path) in enumerate(TARGETS):
        order = keys if i % 2 == 0 else list(reversed(keys))
        for key in order:
            results[(key, name)] = run(key, path)
    # runs disturbed by other work on the machine, once more (the less disturbed one is kept)
    t0 = time.monotonic()
    for name, path in TARGETS:
        for key in keys:
            old = results[(key, name)]
            if old.get("other_cpu_pct", 0.0) <= DISTURBED_PCT:
                continue
            if time.monotonic() - t0 + seconds + 3 > retry_budget_s:
                break
            new = run(key, path)
            new["retried"] = True
            if new.get("other_cpu_pct", 100.0) < old["other_cpu_pct"]:
                results[(key, name)] = new
            else:
                old["retried"] = True
    memory = {}
    for key in keys:
        procs = servers[key].mine()
        memory[key] = (len(procs), sum(p.rss_kib for p in procs) / 1024)
    blocks = []
    for name, path in TARGETS:
        rows = []
        for key in keys:
            r = results[(key, name)]
            label = servers[key].cand.label
            if "error" in r:
                rows.append([label, r["error"]] + [""] * 5)
                continue
            rows.append([label, f"{r['rps']:,.0f}", fmt_ms(r["p50"]), fmt_ms(r["p99"]),
                         str(r["errors"]), f"{r['server_cpu_pct']:.0f} %",
                         f"{r['other_cpu_pct']:.0f} %" + (" (2nd try)" if r.get("retried")
                                                           else "")])
        blocks.append(f"`{path}`\n\n" + table(
            ["server", "req/s", "p50 ms", "p99 ms", "errors", "server CPU", "other CPU"],
            rows, "lrrrrrr"))
    rows = [[servers[k].cand.label, str(memory[k][0]), f"{memory[k][1]:.0f}"] for k in keys]
    blocks.append("Processes and memory after the runs (all processes of each server: main, "
                  "HTTP workers, forkserver, resource tracker, query workers; RSS summed, so "
                  "shared pages count more than once)\n\n"
                  + table(["server", "processes", "RSS sum MiB"], rows, "lrr"))
    return "\n\n".join(blocks), {f"{k[0]} {k[1]}": v for k, v in results.items()}


# ---------------------------------------------------------------------------------------------
# b) slow clients

PARTIAL_HEAD = b"GET /health HTTP/1.1\r\nHost: x\r\n"


def slow_clients(srv: Server, n: int) -> dict[str, Any]:
    held: list[socket.socket] = []
    failed_open = 0
    t_open = time.monotonic()
    for _ in range(n):
        s = socket.socket()
        s.settimeout(2.0)
        try:
            s.connect((HOST, srv.port))
            s.sendall(PARTIAL_HEAD)
            held.append(s)
        except OSError:
            failed_open += 1
            s.close()
        if time.monotonic() - t_open > 20:
            break
    time.sleep(1.0)
    lat: list[float] = []
    outcomes: list[str] = []
    first: str | None = None
    deadline = time.monotonic() + 30
    for i in range(20):
        timeout = 10.0 if i == 0 else 5.0
        try:
            status, _, took = get(srv.port, "/hello", timeout=timeout)
            outcomes.append(str(status))
            if status == 200:
                lat.append(took * 1000)
            if first is None:
                first = f"{took:.2f} s"
        except (OSError, http.client.HTTPException) as exc:
            outcomes.append(type(exc).__name__)
            if i == 0:
                first = f"none in 10 s ({type(exc).__name__})"
                break
        if time.monotonic() > deadline:
            break
    # did the server drop any of the held connections meanwhile (header timeout, 408, reset)?
    dropped = 0
    for s in held:
        try:
            s.setblocking(False)
            if s.recv(1, socket.MSG_PEEK) is not None:
                dropped += 1  # answered (an error page) or closed (b"")
        except BlockingIOError:
            pass
        except OSError:
            dropped += 1
    for s in held:
        s.close()
    recovered = srv.wait_ready(40)
    return {"opened": len(held), "failed_open": failed_open, "ok": len(lat),
            "answered_10s": bool(lat) and first is not None and not first.startswith("none"),
            "first": first or "-", "p50": statistics.median(lat) if lat else None,
            "max": max(lat) if lat else None, "dropped": dropped, "recovered": recovered,
            "outcomes": sorted(set(outcomes))}


def part_slow(servers: dict[str, Server], counts: list[int]) -> tuple[str, dict[str, Any]]:
    results: dict[str, Any] = {}
    rows = []
    keys = list(servers)
    for j, n in enumerate(counts):
        order = keys if j % 2 == 0 else list(reversed(keys))
        for key in order:
            srv = servers[key]
            if not srv.alive():
                results[f"{key} {n}"] = {"error": "server not running"}
                continue
            log(f"slow clients {key} x{n}")
            results[f"{key} {n}"] = slow_clients(srv, n)
    for n in counts:
        for key in keys:
            r = results[f"{key} {n}"]
            label = servers[key].cand.label
            if "error" in r:
                rows.append([label, str(n), r["error"], "", "", "", "", ""])
                continue
            rows.append([label, f"{r['opened']}" + (f" ({r['failed_open']} refused)"
                                                    if r["failed_open"] else ""),
                         "yes" if r["answered_10s"] else "**no**", r["first"],
                         f"{r['ok']}/20", fmt_ms(r["p50"]), fmt_ms(r["max"]),
                         str(r["dropped"]) + ("" if r["recovered"] else " (did not recover)")])
    text = table(["server", "slow conns", "answered in 10 s", "first answer", "200s",
                  "p50 ms", "max ms", "slow conns dropped by server"], rows, "lrlrrrrr")
    return text, results


# ---------------------------------------------------------------------------------------------
# c) big bodies and the server's own limits


def big_post(port: int, size: int, path: str = "/upload") -> str:
    """POST `size` bytes with http.client (it sends the whole body before reading)."""
    conn = http.client.HTTPConnection(HOST, port, timeout=15)
    stage = "send"
    try:
        conn.request("POST", path, body=b"x" * size,
                     headers={"Content-Type": "application/octet-stream"})
        stage = "read"
        resp = conn.getresponse()
        resp.read()
        return str(resp.status)
    except (OSError, http.client.HTTPException) as exc:
        return f"{type(exc).__name__} ({stage})"
    finally:
        conn.close()


def raw_probe(port: int, head: bytes) -> str:
    """Send a request head as is; the status line's code, or what went wrong."""
    s = socket.socket()
    s.settimeout(5.0)
    try:
        s.connect((HOST, port))
        try:
            s.sendall(head)
        except OSError as exc:
            return f"{type(exc).__name__} (send)"
        data = b""
        while b"\r\n" not in data:
            chunk = s.recv(4096)
            if not chunk:
                return "closed, no answer" if not data else "closed mid-answer"
            data += chunk
        first = data.split(b"\r\n", 1)[0].decode(errors="replace")
        parts = first.split()
        return parts[1] if len(parts) > 1 else first
    except TimeoutError:
        return "no answer in 5 s"
    except OSError as exc:
        return type(exc).__name__
    finally:
        s.close()


PROBES = [
    ("URL 16 KB", lambda: b"GET /hello?q=" + b"a" * 16384 + b" HTTP/1.1\r\nHost: x\r\n"
     b"Connection: close\r\n\r\n"),
    ("1 header 64 KB", lambda: b"GET /hello HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 65536 +
     b"\r\nConnection: close\r\n\r\n"),
    ("200 headers", lambda: b"GET /hello HTTP/1.1\r\nHost: x\r\n" +
     b"".join(b"X-H%d: v\r\n" % i for i in range(200)) + b"Connection: close\r\n\r\n"),
    ("1 header 1 MB", lambda: b"GET /hello HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 1048576 +
     b"\r\nConnection: close\r\n\r\n"),
]


def part_bodies(servers: dict[str, Server], tries: int) -> tuple[str, dict[str, Any]]:
    results: dict[str, Any] = {}
    rows = []
    for key, srv in servers.items():
        if not srv.alive() or not srv.wait_ready(20):
            results[key] = {"error": "server not answering"}
            rows.append([srv.cand.label, "server not answering"] + [""] * (3 + len(PROBES)))
            continue
        log(f"bodies and limits {key}")
        big = [big_post(srv.port, 10 * 1024 * 1024) for _ in range(tries)]
        drained = [big_post(srv.port, 10 * 1024 * 1024, "/upload-drain") for _ in range(tries)]
        small = big_post(srv.port, 512 * 1024)
        probes = {name: raw_probe(srv.port, make()) for name, make in PROBES}
        healthy = srv.wait_ready(20)
        results[key] = {"10MB": big, "10MB drained": drained, "512KB": small, "probes": probes,
                        "healthy_after": healthy}

        def summary(outcomes: list[str]) -> str:
            return ", ".join(f"{v} x{outcomes.count(v)}" for v in dict.fromkeys(outcomes))

        rows.append([srv.cand.label, summary(big), summary(drained), small]
                    + [probes[name] for name, _ in PROBES] + ["yes" if healthy else "**no**"])
    text = table(["server", f"10 MB POST /upload ({tries} tries)",
                  "10 MB POST /upload-drain", "512 KB POST"]
                 + [name for name, _ in PROBES] + ["healthy after"], rows)
    return text, results


# ---------------------------------------------------------------------------------------------
# d) lifecycle


def poll_until(port: int, path: str, seconds: float, stop: Callable[[int, bytes], bool],
               interval: float = 0.1) -> tuple[float | None, int, int]:
    """GET `path` until `stop(status, body)`: (seconds until then or None, ok, failed)."""
    t0 = time.monotonic()
    ok = failed = 0
    while time.monotonic() - t0 < seconds:
        try:
            status, body, _ = get(port, path, timeout=2.0)
            ok += status == 200
            failed += status != 200
            if stop(status, body):
                return time.monotonic() - t0, ok, failed
        except (OSError, http.client.HTTPException):
            failed += 1
        time.sleep(interval)
    return None, ok, failed


def pid_info(port: int) -> dict[str, Any]:
    try:
        status, body, _ = get(port, "/pid", timeout=3.0)
        return json.loads(body) if status == 200 else {}
    except (OSError, http.client.HTTPException, ValueError):
        return {}


def wait_workers(srv: Server, count: int, seconds: float) -> float | None:
    t0 = time.monotonic()
    while time.monotonic() - t0 < seconds:
        if not srv.alive():
            return None
        if len(srv.http_workers()) >= count and srv.wait_ready(2):
            return time.monotonic() - t0
        time.sleep(0.1)
    return None


def lifecycle(cand: Candidate, workdir: Path, quick: bool) -> dict[str, Any]:
    r: dict[str, Any] = {"restarts": 0}
    srv = Server(cand, workdir, lifecycle=True)

    def fresh() -> Server:
        nonlocal srv
        stopped = srv.stop()
        r["strays_midway"] = r.get("strays_midway", 0) + stopped["strays"]
        r["restarts"] += 1
        srv = Server(cand, workdir, lifecycle=True)
        srv.wait_ready(30)
        return srv

    if not srv.wait_ready(30):
        r["error"] = f"did not start: {srv.log_tail()}"
        srv.stop()
        return r
    r["startup_s"] = srv.startup_s
    t0 = time.monotonic()
    first_query = poll_until(srv.port, "/query", 20, lambda s, b: s == 200, 0.05)[0]
    r["query_ready_s"] = None if first_query is None else srv.startup_s + (time.monotonic() - t0)
    time.sleep(0.5)
    procs = srv.mine()
    workers = srv.http_workers()
    r["processes"] = len(procs)
    r["http_processes"] = len(workers)
    r["python_ok"] = True
    info = pid_info(srv.port)
    r["single_process"] = info.get("pid") == srv.pid

    # a CPU-bound request of 5 s: does a worker timeout end it, and is /hello served meanwhile?
    spin_s = 4.0 if quick else 5.0
    log(f"lifecycle {cand.key}: {spin_s:.0f} s CPU-bound request")
    spin = Background(srv.port, f"/spin?s={spin_s}", timeout=spin_s + 10)
    time.sleep(0.5)
    hello: list[float] = []
    hello_fail = 0
    while spin.result is None and len(hello) + hello_fail < 8:
        try:
            status, _, took = get(srv.port, "/hello", timeout=3.0)
            if status == 200:
                hello.append(took * 1000)
            else:
                hello_fail += 1
        except (OSError, http.client.HTTPException):
            hello_fail += 1
        time.sleep(0.3)
    r["spin"] = spin.join(spin_s + 12)
    r["spin_hello"] = (statistics.median(hello) if hello else None, hello_fail, len(hello))
    if not srv.wait_ready(30) or len(srv.http_workers()) < cand.workers:
        wait_workers(srv, cand.workers, 20)

    # SIGKILL one HTTP worker process
    log(f"lifecycle {cand.key}: SIGKILL of an HTTP worker")
    info = pid_info(srv.port)
    victim = info.get("pid")
    if not victim:
        r["kill"] = "no worker pid"
    elif victim == srv.pid:
        os.kill(victim, signal.SIGKILL)
        srv.proc.wait(5)
        r["kill"] = "single process: SIGKILL ends the server"
        srv = fresh()
    else:
        os.kill(victim, signal.SIGKILL)
        t_kill = time.monotonic()
        gap, _, failed = poll_until(srv.port, "/health", 10, lambda s, b: s == 200, 0.05)
        back = wait_workers(srv, cand.workers, 20)
        t_back = time.monotonic()
        # the dead worker's forkserver and query workers notice and exit; the new worker's start
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and len(srv.mine()) != r["processes"]:
            time.sleep(0.2)
        after = len(srv.mine())
        if back is None:
            r["kill"] = ("server exited" if not srv.alive()
                         else f"not replaced in 20 s ({len(srv.http_workers())} left)")
        else:
            r["kill"] = f"replaced after {t_back - t_kill:.1f} s"
        r["kill_gap"] = (gap, failed)
        r["kill_after"] = after if back is not None else None
        if not srv.alive():
            srv = fresh()
        time.sleep(0.5)

    # SIGHUP with a 2 s request in flight: graceful reload, and does it import the app again?
    log(f"lifecycle {cand.key}: SIGHUP")
    srv.version_file.write_text("v2\n")
    old_workers = set(srv.http_workers())
    inflight = Background(srv.port, "/slow?s=2", timeout=15)
    time.sleep(0.3)
    t_hup = time.monotonic()
    srv.signal(signal.SIGHUP)
    new_code = done = None
    ok = failed = 0
    while time.monotonic() - t_hup < 20 and srv.alive():
        try:
            status, body, _ = get(srv.port, "/pid", timeout=2.0)
            ok += status == 200
            failed += status != 200
            if new_code is None and status == 200 and json.loads(body).get("version") == "v2":
                new_code = time.monotonic() - t_hup
        except (OSError, http.client.HTTPException, ValueError):
            failed += 1
        workers = set(srv.http_workers())
        if done is None and len(workers) >= cand.workers and not workers & old_workers:
            done = time.monotonic() - t_hup
        if new_code is not None and done is not None and time.monotonic() - t_hup > done + 0.5:
            break
        time.sleep(0.1)
    r["hup_inflight"] = inflight.join(15)
    time.sleep(0.3)
    if not srv.alive():
        r["hup"] = f"server exited (code {srv.proc.returncode})"
    elif new_code is None:
        r["hup"] = "no new code in 20 s" + ("" if done is None else
                                             f" (workers replaced after {done:.1f} s)")
    else:
        r["hup"] = f"new code after {new_code:.1f} s" + (
            f", old workers gone after {done:.1f} s" if done is not None
            else ", old workers still there after 20 s")
    r["hup_errors"] = failed
    if not srv.alive() or not srv.wait_ready(20):
        srv = fresh()
    else:
        wait_workers(srv, cand.workers, 20)

    # SIGTERM with a 1 s request in flight
    log(f"lifecycle {cand.key}: SIGTERM")
    srv.wait_ready(10)
    inflight = Background(srv.port, "/slow?s=1", timeout=15)
    time.sleep(0.3)
    t_term = time.monotonic()
    srv.signal(signal.SIGTERM)
    try:
        srv.proc.wait(25)
        r["term_exit_s"] = time.monotonic() - t_term
    except subprocess.TimeoutExpired:
        r["term_exit_s"] = None
    r["term_inflight"] = inflight.join(15)
    stopped = srv.stop()
    r["term_code"] = stopped["code"]
    r["term_killed"] = stopped["killed"]
    r["strays"] = stopped["strays"] + r.get("strays_midway", 0)
    return r


def signal_trial(cand: Candidate, workdir: Path, mode: str) -> str:
    """Start the server, load it for 1 s, then signal it as `mode` says; how it ended."""
    srv = Server(cand, workdir)
    if not srv.wait_ready(30):
        srv.stop()
        return "did not start"
    wrk(srv.port, "/hello", 1)
    workers = [w for w in srv.http_workers() if w != srv.pid]
    t0 = time.monotonic()
    if mode == "group":
        with contextlib.suppress(ProcessLookupError):
            os.killpg(srv.pid, signal.SIGTERM)
    else:  # twice: two SIGTERMs back to back to every HTTP worker, then one to the main process
        for pid in workers or [srv.pid]:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
                os.kill(pid, signal.SIGTERM)
        if workers:
            srv.signal(signal.SIGTERM)
    try:
        srv.proc.wait(15)
        outcome = f"{time.monotonic() - t0:.1f} s"
    except subprocess.TimeoutExpired:
        outcome = "**hung** (SIGKILL)"
    stopped = srv.stop(timeout=1)
    if "refused to gracefully stop" in srv.log_path.read_text(errors="replace"):
        outcome += " (granian SIGKILLed a stuck worker)"
    if stopped["strays"]:
        outcome += f" ({stopped['strays']} left)"
    return outcome


def part_signals(cands: list[Candidate], workdir: Path, trials: int
                 ) -> tuple[str, dict[str, Any]]:
    results: dict[str, Any] = {}
    rows = []
    for cand in cands:
        log(f"signals {cand.key}")
        group = [signal_trial(cand, workdir, "group") for _ in range(1)]
        twice = [signal_trial(cand, workdir, "twice") for _ in range(trials)]
        results[cand.key] = {"group": group, "twice": twice}
        rows.append([cand.label, " / ".join(group), " / ".join(twice)])
    text = table(["server", "SIGTERM to the whole process group (systemd's default "
                  "KillMode=control-group)", f"2 SIGTERMs back to back to each HTTP worker, then "
                  f"1 to the main process ({trials} trials)"], rows)
    return text, results


def part_lifecycle(cands: list[Candidate], workdir: Path, quick: bool
                   ) -> tuple[str, dict[str, Any]]:
    results: dict[str, Any] = {}
    rows = []
    rows2 = []
    for cand in cands:
        try:
            r = lifecycle(cand, workdir, quick)
        except Exception as exc:  # noqa: BLE001 - one server's failure must not end the run
            r = {"error": f"{type(exc).__name__}: {exc}"}
        results[cand.key] = r
        if "error" in r:
            rows.append([cand.label, r["error"]] + [""] * 7)
            rows2.append([cand.label, r["error"]] + [""] * 4)
            continue
        med, hfail, hok = r["spin_hello"]
        spin_status, spin_took = r["spin"]
        rows.append([
            cand.label, fmt_s(r["startup_s"]), fmt_s(r["query_ready_s"]),
            f"{r['processes']} ({r['http_processes']} HTTP)",
            f"{spin_status} after {spin_took:.1f} s",
            (f"{fmt_ms(med)}{'' if med is not None and med >= 1000 else ' ms'} ({hok} ok"
             + (f", {hfail} failed)" if hfail else ")"))
            if hok or hfail else "-",
            r["kill"] + (f"; /health back in {r['kill_gap'][0]:.2f} s"
                         if r.get("kill_gap") and r["kill_gap"][0] is not None else ""),
            (f"{r['kill_after']} ({r['processes']} at start)"
             if r.get("kill_after") is not None else "-"),
            str(r["restarts"]),
        ])
        status, took = r["hup_inflight"]
        t_status, t_took = r["term_inflight"]
        rows2.append([
            cand.label, r["hup"], f"{status} after {took:.1f} s", str(r["hup_errors"]),
            f"{t_status} after {t_took:.1f} s",
            (f"{r['term_exit_s']:.1f} s, code {r['term_code']}" if r["term_exit_s"] is not None
             else "**hung: SIGKILL**"),
            str(r["strays"]),
        ])
    text = table(["server", "start-up (/health)", "first /query", "processes",
                  "/spin (CPU-bound) answer", "/hello during /spin", "SIGKILL of an HTTP worker",
                  "processes after the kill", "restarts needed"], rows)
    text += "\n\n" + table(["server", "SIGHUP", "2 s request in flight at HUP",
                            "failed requests during HUP", "1 s request in flight at SIGTERM",
                            "exit after SIGTERM", "processes left behind"], rows2)
    return text, results


# ---------------------------------------------------------------------------------------------
# machine, versions, commands


def versions() -> dict[str, str]:
    out = {}
    for name in PACKAGES:
        try:
            out[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            out[name] = "not installed"
    if shutil.which("wrk"):
        first = subprocess.run(["wrk", "-v"], capture_output=True, text=True).stdout
        out["wrk"] = (first.strip().splitlines() or ["?"])[0].split(" [")[0].removeprefix("wrk ")
    else:
        out["wrk"] = "not installed"
    return out


def machine() -> list[str]:
    cpu = "?"
    for line in _read("/proc/cpuinfo").decode(errors="replace").splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem = "?"
    for line in _read("/proc/meminfo").decode(errors="replace").splitlines():
        if line.startswith("MemTotal:"):
            mem = f"{int(line.split()[1]) / 1024 / 1024:.0f} GiB"
    return [
        f"- machine: nproc {len(os.sched_getaffinity(0))} ({cpu}), {mem} memory, "
        f"Linux {platform.release()}",
        f"- Python {platform.python_version()}",
    ]


def commands(cands: list[Candidate]) -> str:
    rows = []
    for cand in cands:
        miss = cand.missing()
        argv = cand.args(8000, False)
        shown = " ".join(["python"] + argv[1:]).replace(f"{HOST} ", f"{HOST} ")
        rows.append([cand.label, f"`{shown}`",
                     "skipped: " + ", ".join(miss) + " not installed" if miss else "yes"])
    return table(["server", "command (run in benchmarks/, port 8000 here)",
                  f"runs on Python {platform.python_version()}"], rows)


OPTIONS_TABLE = """\
What each server offers itself (from its --help and source, for the versions above):

| | gunicorn (gthread / sync / gevent) | granian (wsgi) | uvicorn (+ a2wsgi) |
|---|---|---|---|
| request-body size limit | none (the app must refuse: Flask MAX_CONTENT_LENGTH) | none | none |
| request line / header limits | `--limit-request-line` (default 4094, max 8190), `--limit-request-fields` (100), `--limit-request-field_size` (8190) | `--http1-buffer-size` (bytes buffered per HTTP/1 connection, default 417792, bounds the head); HTTP/2: `--http2-max-headers-size` | h11 only: `--h11-max-incomplete-event-size` (default 16 KiB); httptools: none |
| slow request heads | none: gthread/sync commit a thread/process to a connection once its first bytes arrive | `--http1-header-read-timeout` (ms, default 30000) | none (asyncio: a slow head costs a coroutine, not a thread) |
| concurrency caps | `--threads`, `--worker-connections` (1000), `--backlog` (2048) | `--blocking-threads` (Python threads per worker; default backpressure/2 for WSGI), `--backpressure` (requests in flight per worker, default backlog/workers), `--backlog` (1024) | `--limit-concurrency` (503 above), `--backlog` (2048), a2wsgi `workers=` (threads, default 10) |
| worker timeout | `--timeout` (s, default 30): heartbeat; sync and gevent workers stuck in a request are killed, gthread heartbeats from its main loop | none for requests; `--workers-kill-timeout` (s) for a worker that does not stop | none for requests; `--timeout-worker-healthcheck` (s, default 5) pings each worker's process (≥ 2 workers) |
| graceful shutdown | SIGTERM, `--graceful-timeout` (s, default 30) | SIGTERM/SIGINT; `--workers-kill-timeout` bounds it (default: wait forever) | SIGTERM/SIGINT, `--timeout-graceful-shutdown` (default: wait forever) |
| graceful reload | SIGHUP: new workers (app imported again unless `--preload`), old ones drained; SIGUSR2 re-exec; SIGTTIN/SIGTTOU | SIGHUP: workers respawned one by one (`--respawn-interval`, default 3.5 s, between start of the new and stop of the old); `--reload` (watchfiles, dev only) | ≥ 2 workers: SIGHUP restarts them one by one, each new one ready before the old stops; SIGTTIN/SIGTTOU; 1 worker: SIGHUP is not handled (kills the process) |
| dead worker | always replaced by the arbiter | replaced only with `--respawn-failed-workers` (default: the whole server exits); a second crash within 5.5 s of a respawn ends the server ("crash loop") | ≥ 2 workers: replaced by the supervisor; 1 worker: it is the server |
| recycling | `--max-requests`, `--max-requests-jitter` | `--workers-lifetime`, `--workers-max-rss` | `--limit-max-requests` |
"""  # noqa: E501


# ---------------------------------------------------------------------------------------------


def write_doc(path: Path, parts: list[str], header: list[str]) -> None:
    notes = ""
    if path.exists():
        old = path.read_text(encoding="utf-8")
        if NOTES_MARK in old:
            notes = old.split(NOTES_MARK, 1)[1].lstrip("\n")
    text = "\n".join(header) + "\n\n" + "\n".join(parts) + "\n" + NOTES_MARK + "\n\n" + notes
    path.write_text(text.rstrip() + "\n", encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="3 s wrk runs, 64 slow clients only, 1 big-body try")
    parser.add_argument("--write", metavar="FILE", help="write the report (Markdown) to FILE")
    parser.add_argument("--only", metavar="KEYS", help="comma-separated candidate keys: "
                        + ", ".join(c.key for c in CANDIDATES))
    parser.add_argument("--skip-lifecycle", action="store_true", help="skip part d")
    parser.add_argument("--slow-counts", metavar="N,N", help="slow-client connection counts "
                        "(default 8,64,512,1536; --quick: 64)")
    args = parser.parse_args()

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = 8192 if hard == resource.RLIM_INFINITY else min(8192, hard)
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    if not shutil.which("wrk"):
        sys.exit("wrk is missing: apt-get install -y wrk")

    cands = [c for c in CANDIDATES if not args.only or c.key in args.only.split(",")]
    available = [c for c in cands if not c.missing()]
    skipped = [c for c in cands if c.missing()]
    seconds = 3.0 if args.quick else 10.0
    counts = [int(n) for n in args.slow_counts.split(",")] if args.slow_counts \
        else [64] if args.quick else [8, 64, 512, 1536]
    tries = 1 if args.quick else 3
    started = dt.datetime.now(dt.UTC)
    vers = versions()
    header = [
        "# WSGI/HTTP servers for `ai45kg serve`, compared",
        "",
        "Written by `benchmarks/servers.py`" + (" --quick" if args.quick else "")
        + f"; run {started:%Y-%m-%d %H:%M} UTC, load average at start "
        + "{:.2f} {:.2f} {:.2f}".format(*os.getloadavg()) + ".",
        "",
        *machine(),
        "- packages: " + ", ".join(f"{k} {v}" for k, v in vers.items()),
        "",
        "Every server serves benchmarks/hello_app.py: Flask, with two query worker processes per "
        "HTTP process (forkserver children, as service.executor starts them) that answer ~2 KB "
        "of JSON over a pipe. The server and wrk share the two cores; all numbers compare "
        "servers and say nothing of capacity.",
    ]
    for c in skipped:
        header.append(f"- **skipped** {c.label}: {', '.join(c.missing())} not installed")
    parts: list[str] = []
    raw: dict[str, Any] = {"versions": vers, "run": started.isoformat()}

    workdir = Path(tempfile.mkdtemp(prefix="servers-bench-"))
    servers: dict[str, Server] = {}
    t_run = time.monotonic()
    try:
        # ---- a, b, c: all servers side by side
        for cand in available:
            servers[cand.key] = Server(cand, workdir)
        for key, srv in list(servers.items()):
            if not srv.wait_ready(40) or not srv.wait_ready(20, "/query"):
                log(f"{key} did not start: {srv.log_tail()}")
        skip_rows = [[c.label, f"skipped: {', '.join(c.missing())} not installed"]
                     for c in skipped]

        def note_skips(text: str) -> str:
            if not skip_rows:
                return text
            return text + "\n\n" + "\n".join(f"- {r[0]}: {r[1]}" for r in skip_rows)

        quiet = Quiet(0 if args.quick else 90)
        text, raw["throughput"] = part_throughput(servers, seconds, quiet,
                                                  0 if args.quick else 90)
        raw["quiet_wait_s"] = quiet.waited_s
        emit(f"a) Throughput: wrk -t2 -c16 -d{seconds:.0f}s --latency", note_skips(
            "All servers ran at once, idle but for the one measured; per target each server in "
            "turn (order reversed at every target), after a 1 s warm-up (before the first), each "
            "run waiting first "
            f"(up to 30 s, {quiet.waited_s:.0f} s in all) for the machine to be idle. "
            "`query` goes through "
            "a query worker process (pipe round trip); `query 20 ms` keeps the worker busy "
            "20 ms, so its ceiling is (HTTP processes x 2 workers) / 20 ms = 100 req/s per "
            "HTTP process. errors = socket errors + non-2xx. CPU is the share of both cores "
            "during the run: server = all of the server's processes; other = neither the "
            "server, wrk nor this script (idle candidates, anything else running on the "
            f"machine): a run with more than {DISTURBED_PCT:.0f} % there was run once more "
            "(2nd try) and the less disturbed of the two is shown.\n\n"
            + text), parts)

        text, raw["slow"] = part_slow(servers, counts)
        emit("b) Slow clients (half a request head each, held open)", note_skips(
            f"`{PARTIAL_HEAD.decode()!r}` and nothing more, from N connections; 1 s later, 20 "
            "sequential GET /hello on fresh connections (the first waits up to 10 s, the others "
            "5 s). \"slow conns dropped\": how many held connections the server had closed or "
            "answered by the end (within ~2 s, or 10 s for a server that did not answer).\n\n"
            + text), parts)

        text, raw["bodies"] = part_bodies(servers, tries)
        emit("c) Big body and the server's own limits", note_skips(
            "10 MB POST /upload sent in full before reading (http.client), to Flask with "
            "MAX_CONTENT_LENGTH = 1 MB: `413` = a readable answer; `BrokenPipeError (send)` / "
            "`ConnectionResetError` = the server closed the connection with unread data, and "
            "the client never sees the 413. /upload-drain is the same route, but the app reads "
            "and drops an oversized body (up to 64 MB) before it answers 413. The probes send "
            "a request head as is and report the status code (200 = accepted).\n\n"
            + text + "\n\n" + OPTIONS_TABLE), parts)

        stops = {}
        for key, srv in servers.items():
            stops[key] = srv.stop()
        servers.clear()
        raw["stops"] = stops
        log("stopped: " + ", ".join(
            f"{k} {fmt_s(v['exit_s'])}{' KILLED' if v['killed'] else ''} strays {v['strays']}"
            for k, v in stops.items()))

        # ---- d: one server at a time
        if not args.skip_lifecycle:
            text, raw["lifecycle"] = part_lifecycle(available, workdir, args.quick)
            emit("d) Lifecycle (each server started alone)", note_skips(
                "Started again with the same flags, except gunicorn `--timeout 3` (to show the "
                "worker timeout). /spin keeps one request's CPU busy in Python for "
                f"{4 if args.quick else 5} s; /hello is asked meanwhile. SIGKILL goes to one "
                "HTTP worker process (the one that answered /pid); \"processes after\" = all of "
                "the server's processes once the worker count was restored (up to 5 s later, "
                "until it equals the count at start): more means the dead worker's query "
                "workers were left behind. SIGHUP goes to the main "
                "process after the app's version file was changed: \"new code\" = /pid reports "
                "the new version (the app was imported again). SIGTERM goes to the main process "
                "only (one signal); \"left behind\" = processes of the server still there 5 s "
                "after it exited (killed by the script).\n\n" + text), parts)

            text, raw["signals"] = part_signals(available, workdir, 1 if args.quick else 2)
            emit("d2) Repeated and group signals", note_skips(
                "Each trial starts the server afresh (flags as in part a), runs wrk on /hello for "
                "1 s, then signals it; the time is until the main process exited (15 s at most, "
                "then SIGKILL to the group). A supervisor that repeats its signal, or a process "
                "group that gets the signal and then its master's SIGTERM as well, sends workers "
                "two signals close together.\n\n" + text), parts)

        emit("e) Start-up commands", note_skips(commands(cands)), parts)
    finally:
        for srv in servers.values():
            srv.stop()
        leftover = reap_strays(lambda p: True, grace=3.0)
        if leftover:
            log(f"killed {leftover} leftover process(es) of this run")
    raw["leftover"] = leftover
    ps = subprocess.run(["ps", "-eo", "pid,args"], capture_output=True, text=True).stdout
    ours = [line for line in ps.splitlines() if str(workdir) in line or "hello_app" in line]
    footer = (f"Run took {time.monotonic() - t_run:.0f} s; processes of this run left at the end: "
              f"{leftover} before the final sweep, {len(processes())} after "
              f"(`ps` lines naming hello_app: {len(ours)}).")
    print("\n" + footer)
    parts.append(footer + "\n")
    (workdir / "raw.json").write_text(json.dumps(raw, indent=1, default=str))
    log(f"raw results and server logs: {workdir}")
    if args.write:
        write_doc(Path(args.write), parts, header)
        log(f"wrote {args.write}")


if __name__ == "__main__":
    main()
