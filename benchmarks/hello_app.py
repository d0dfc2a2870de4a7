"""The WSGI app that benchmarks/servers.py serves under each candidate HTTP server.

A bare Flask app with the process layout of `ai45kg serve`: each HTTP process (whatever server
forked or spawned it) owns QUERY_WORKERS query processes, started with the 'forkserver' method as
service.executor starts them, and a request that needs a query hands it to an idle one over a
pipe and returns the bytes it answers (benchmarks/query_workers.py). The query workers here only
answer a fixed ~2 KB JSON document (after `ms` milliseconds, to stand in for evaluation time).

Routes:

- GET  /hello            a short text (the web stack alone)
- GET  /health           "ok"
- GET  /query?ms=N       ask a query worker (it sleeps N ms, then answers ~2 KB of JSON)
- GET  /slow?s=X         sleep X seconds in the request (graceful shutdown / reload tests)
- GET  /spin?s=X         keep the CPU busy for X seconds in Python (worker timeout tests)
- GET  /pid              this HTTP process: pid, parent, version, its query workers
- POST /upload           read the body; Flask's MAX_CONTENT_LENGTH (1 MB) answers 413 above it
- POST /upload-drain     the same, but reads (and drops) an oversized body before the 413

`app` is the WSGI callable; `asgi_app` wraps it in a2wsgi's WSGIMiddleware (for uvicorn) when
a2wsgi is installed. BENCH_VERSION_FILE names a file whose text, read once at import, /pid
reports: a reload that really imports the app again shows the new text.
"""

from __future__ import annotations

import atexit
import os
import queue
import threading
import time

from flask import Flask, Response, abort, jsonify, request
from query_workers import QueryPool

QUERY_WORKERS = int(os.environ.get("BENCH_QUERY_WORKERS", "2"))
MAX_BODY = 1024 * 1024
#: how much of an oversized body /upload-drain reads before it answers 413
DRAIN_LIMIT = 64 * 1024 * 1024


def _read_version() -> str:
    path = os.environ.get("BENCH_VERSION_FILE")
    if not path:
        return "-"
    try:
        with open(path, encoding="utf-8") as f:
            return f.read().strip()
    except OSError:
        return "?"


VERSION = _read_version()

# ---------------------------------------------------------------------------------------------
# this process's query workers (benchmarks/query_workers.py)

_pool: QueryPool | None = None
_pool_lock = threading.Lock()


def pool() -> QueryPool:
    """This process's pool: made on first use in each process (a fork gets its own)."""
    global _pool
    with _pool_lock:
        if _pool is None or _pool.owner != os.getpid():
            _pool = QueryPool(QUERY_WORKERS)
            atexit.register(_pool.close)
        return _pool


# ---------------------------------------------------------------------------------------------
# the app

app = Flask(__name__)
app.config["MAX_CONTENT_LENGTH"] = MAX_BODY


@app.get("/hello")
def hello() -> Response:
    return Response("Hello, World!\n", mimetype="text/plain")


@app.get("/health")
def health() -> Response:
    return Response("ok\n", mimetype="text/plain")


@app.get("/query")
def query() -> Response:
    ms = request.args.get("ms", default=0, type=int)
    try:
        body = pool().ask(b"Q %d" % max(0, min(ms, 5000)))
    except (queue.Empty, TimeoutError, EOFError, OSError) as exc:
        return Response(f"query worker unavailable: {type(exc).__name__}\n", status=503,
                        mimetype="text/plain")
    return Response(body, mimetype="application/sparql-results+json")


@app.get("/slow")
def slow() -> Response:
    seconds = request.args.get("s", default=1.0, type=float)
    time.sleep(max(0.0, min(seconds, 30.0)))
    return Response(f"slept {seconds} s\n", mimetype="text/plain")


@app.get("/spin")
def spin() -> Response:
    seconds = max(0.0, min(request.args.get("s", default=1.0, type=float), 30.0))
    end = time.monotonic() + seconds
    n = 0
    while time.monotonic() < end:
        n += 1
    return Response(f"spun {seconds} s ({n} loops)\n", mimetype="text/plain")


@app.get("/pid")
def pid() -> Response:
    return jsonify(pid=os.getpid(), ppid=os.getppid(), version=VERSION,
                   query_workers=pool().pids(), threads=threading.active_count())


@app.post("/upload")
def upload() -> Response:
    data = request.get_data()  # raises 413 above MAX_CONTENT_LENGTH, before reading the body
    return Response(f"read {len(data)} bytes\n", mimetype="text/plain")


@app.post("/upload-drain")
def upload_drain() -> Response:
    """As /upload, but a body over the limit is read and dropped (up to DRAIN_LIMIT) before the
    413, so that a client that sends all of it before reading still gets the answer."""
    length = request.content_length
    if length is not None and length > MAX_BODY:
        stream = request.environ["wsgi.input"]
        left = min(length, DRAIN_LIMIT)
        while left > 0:
            chunk = stream.read(min(65536, left))
            if not chunk:
                break
            left -= len(chunk)
        abort(413)
    data = request.get_data()
    return Response(f"read {len(data)} bytes\n", mimetype="text/plain")


# the query workers start when the app is imported, in each HTTP process (none of the servers
# imports the app before it forks or spawns its workers: checked by servers.py's process count)
if os.environ.get("BENCH_EAGER_POOL", "1") == "1":
    pool()

try:
    from a2wsgi import WSGIMiddleware
except ImportError:  # pragma: no cover - uvicorn is then skipped
    asgi_app = None
else:
    asgi_app = WSGIMiddleware(app, workers=int(os.environ.get("BENCH_A2WSGI_THREADS", "8")))
