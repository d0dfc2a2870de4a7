"""Query evaluation in worker processes, so that a time limit really stops the work.

rdflib evaluates in pure Python and cannot be interrupted from another thread, so each query
runs in a worker process that loaded the dataset once; when a query outlives its time limit the
worker gets SIGKILL and a fresh one takes its place, while the other workers go on answering.

Workers come from the 'forkserver' start method: they are forked from a small single-threaded
server process, never from the (multi-threaded) web server, and so cannot inherit a lock held by
another thread. Each worker:

- hardens rdflib (`kg.stores.harden_rdflib`) and installs an audit hook that refuses every
  outbound socket connection and DNS lookup, so that no query can reach the network even if
  a refusal in `Backend.run` were missed;
- exits when the web-server process that owns it disappears.

Results cross the process boundary as pickles of plain tuples of rdflib terms (a CONSTRUCT
graph travels as a list of triples and is rebuilt in the parent): on this dataset that is faster
than serialising to a SPARQL results format in the worker and parsing it back, and it leaves the
choice of output format to the route (see benchmarks/http_bench.py for the numbers).

`QUERY_WORKERS=0` evaluates in the request thread instead: for tests and debugging only, as the
time limit then cannot stop a running query.
"""

from __future__ import annotations

import multiprocessing
import os
import queue
import resource
import sys
import threading
import time
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, Protocol

from rdflib import Graph, URIRef
from rdflib.term import Identifier, Node

from kg.load import bind_prefixes
from kg.stores import QueryResult, Store, harden_rdflib, open_store

#: how long a new worker may take to load the dataset before it counts as broken
LOAD_TIMEOUT_S = 120.0
#: how often a worker checks that its owner is still alive
OWNER_CHECK_S = 1.0


class WorkerTimeout(Exception):
    """The query ran past its time limit; its worker was killed."""


class PoolBusy(Exception):
    """No worker became free within the time limit."""


class PoolBroken(Exception):
    """Workers cannot start (the dataset does not load); the message says why."""


class EvaluationError(Exception):
    """The store raised while evaluating a query that had passed the checks."""


class WorkerDied(Exception):
    """The worker process ended in the middle of a query (it has been replaced)."""


class WorkerOutOfMemory(Exception):
    """The query needed more memory than a worker may use (the worker has been replaced)."""


@dataclass
class Task:
    """One query to evaluate, as sent to a worker (picklable)."""

    sparql: str
    bindings: dict[str, Identifier] = field(default_factory=dict)
    default_graph_uris: list[str] | None = None
    named_graph_uris: list[str] | None = None
    base: str | None = None
    max_rows: int | None = None


@dataclass
class Reply:
    """A worker's answer: the result and whether the row cap cut it."""

    result: QueryResult
    truncated: bool


@dataclass
class _Wire:
    """A QueryResult in a form that pickles quickly (no rdflib Graph/Store objects)."""

    type: str
    vars: list[str]
    rows: list[tuple[Node | None, ...]]
    boolean: bool | None
    triples: list[tuple[Node, Node, Node]] | None
    truncated: bool


def evaluate(store: Store, task: Task) -> Reply:
    """Evaluate one task on a store and apply the row cap (whatever the store did)."""
    result = store.query(
        task.sparql,
        bindings=task.bindings,
        default_graph_uris=task.default_graph_uris,
        named_graph_uris=task.named_graph_uris,
        base=task.base,
        max_rows=task.max_rows,
    )
    truncated = result.truncated
    cap = task.max_rows
    if cap is not None:
        if len(result.rows) > cap:
            result.rows = result.rows[:cap]
            truncated = True
        if result.graph is not None and len(result.graph) > cap:
            kept = Graph()
            bind_prefixes(kept)
            for i, triple in enumerate(result.graph):
                if i >= cap:
                    break
                kept.add(triple)
            result.graph = kept
            truncated = True
    result.truncated = truncated
    return Reply(result=result, truncated=truncated)


def _to_wire(reply: Reply) -> _Wire:
    r = reply.result
    triples = list(r.graph) if r.graph is not None else None  # type: ignore[arg-type]
    return _Wire(r.type, r.vars, r.rows, r.boolean, triples, reply.truncated)


def _from_wire(wire: _Wire) -> Reply:
    graph = None
    if wire.triples is not None:
        graph = Graph()
        bind_prefixes(graph)
        for triple in wire.triples:
            graph.add(triple)
    result = QueryResult(
        wire.type,  # type: ignore[arg-type]
        vars=wire.vars,
        rows=wire.rows,
        boolean=wire.boolean,
        graph=graph,
        truncated=wire.truncated,
    )
    return Reply(result=result, truncated=wire.truncated)


class Executor(Protocol):
    def execute(self, task: Task, time_limit_s: float) -> Reply: ...

    def graph_names(self) -> list[URIRef]: ...

    def close(self) -> None: ...


class InProcessExecutor:
    """Evaluates in the calling thread (QUERY_WORKERS=0): no hard time limit."""

    def __init__(self, dist: Path, store_kind: str, lock: threading.RLock | None = None) -> None:
        self._store = open_store(store_kind, dist)
        # one lock with the Backend's parsing: rdflib's parser and store are not thread-safe
        self._lock = lock or threading.RLock()

    def execute(self, task: Task, time_limit_s: float) -> Reply:
        with self._lock:
            try:
                return evaluate(self._store, task)
            except Exception as exc:
                raise EvaluationError(f"{type(exc).__name__}: {exc}") from exc

    def graph_names(self) -> list[URIRef]:
        return self._store.graph_names()

    def close(self) -> None:
        self._store.close()


# ---------------------------------------------------------------------------------------------
# worker processes


def _deny_network(event: str, args: tuple[Any, ...]) -> None:
    """Audit hook of a worker: no query may open a connection or resolve a name."""
    if event in ("socket.connect", "socket.getaddrinfo", "socket.gethostbyname",
                 "urllib.Request", "http.client.connect"):
        raise PermissionError(f"query workers have no network access ({event})")


def _watch_owner(owner_pid: int) -> None:
    """Exit when the web-server process that started this worker is gone."""
    while True:
        time.sleep(OWNER_CHECK_S)
        try:
            os.kill(owner_pid, 0)
        except ProcessLookupError:
            os._exit(0)
        except PermissionError:
            pass


def _quiet_memory_errors(unraisable: Any) -> None:
    """Generators closed while a MemoryError unwinds raise it again; that is expected."""
    if not isinstance(unraisable.exc_value, MemoryError):
        sys.__unraisablehook__(unraisable)


def _worker_main(
    conn: Connection, dist: str, store_kind: str, owner_pid: int, memory_mb: int
) -> None:
    """The loop of one worker process: load once, then answer tasks until the pipe closes."""
    threading.Thread(target=_watch_owner, args=(owner_pid,), daemon=True).start()
    harden_rdflib()
    sys.unraisablehook = _quiet_memory_errors
    if memory_mb > 0:
        limit = memory_mb * 2**20
        _, hard = resource.getrlimit(resource.RLIMIT_AS)
        if hard != resource.RLIM_INFINITY:
            limit = min(limit, hard)
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    try:
        store = open_store(store_kind, Path(dist))
    except BaseException as exc:
        conn.send(("broken", f"cannot load the dataset from {dist}: {type(exc).__name__}: {exc}"))
        return
    sys.addaudithook(_deny_network)
    conn.send(("ready", [str(g) for g in store.graph_names()]))
    while True:
        try:
            task = conn.recv()
        except (EOFError, OSError):
            return
        try:
            reply: tuple[str, Any] = ("ok", _to_wire(evaluate(store, task)))
        except MemoryError:
            reply = ("memory", f"more than {memory_mb} MiB")
        except Exception as exc:
            reply = ("error", f"{type(exc).__name__}: {exc}")
        try:
            conn.send(reply)
        except (EOFError, OSError, MemoryError):
            return
        if reply[0] == "memory":
            # a process that ran out of memory is not worth keeping; leave without unwinding
            # the half-built generators (that would only raise MemoryError again)
            os._exit(0)


class _Worker:
    """One worker process and the parent's end of its pipe."""

    def __init__(self, ctx: Any, dist: Path, store_kind: str, memory_mb: int) -> None:
        parent_end, child_end = ctx.Pipe(duplex=True)
        self.conn: Connection = parent_end
        self.process = ctx.Process(
            target=_worker_main,
            args=(child_end, str(dist), store_kind, os.getpid(), memory_mb),
            name="ai45kg-query-worker",
            daemon=True,
        )
        self.process.start()
        child_end.close()
        self.ready = False
        self.graphs: list[str] = []

    def wait_ready(self, timeout: float) -> None:
        """Block until the worker has loaded the dataset.

        Raises:
            PoolBroken: it reported a failure, died, or took longer than `timeout`.
        """
        if self.ready:
            return
        try:
            if not self.conn.poll(timeout):
                raise PoolBroken(f"a query worker did not load the dataset in {timeout:.0f} s")
            status, payload = self.conn.recv()
        except (EOFError, OSError) as exc:
            raise PoolBroken("a query worker exited while loading the dataset") from exc
        if status != "ready":
            raise PoolBroken(str(payload))
        self.graphs = list(payload)
        self.ready = True

    def kill(self) -> None:
        if self.process.is_alive():
            self.process.kill()
        self.process.join(timeout=5)
        self.conn.close()


class WorkerPool:
    """A fixed number of worker processes; a killed or dead worker is replaced at once."""

    def __init__(
        self,
        dist: Path,
        store_kind: str,
        size: int,
        *,
        memory_mb: int = 0,
        start_method: str = "forkserver",
    ) -> None:
        if size < 1:
            raise ValueError("a worker pool needs at least one worker")
        self._ctx = multiprocessing.get_context(start_method)
        if start_method == "forkserver":
            # workers then start with these imported: only the data is left to load
            self._ctx.set_forkserver_preload(["rdflib", "kg.stores", "service.executor"])
        self.dist = dist
        self.store_kind = store_kind
        self.size = size
        self.memory_mb = memory_mb
        self._idle: queue.Queue[_Worker] = queue.Queue()
        self._all: set[_Worker] = set()
        self._lock = threading.Lock()
        self._closed = False
        self._broken: str | None = None
        for _ in range(size):
            self._spawn()

    def _spawn(self) -> None:
        with self._lock:
            if self._closed:
                return
            worker = _Worker(self._ctx, self.dist, self.store_kind, self.memory_mb)
            self._all.add(worker)
        self._idle.put(worker)

    def _retire(self, worker: _Worker, *, replace: bool) -> None:
        with self._lock:
            self._all.discard(worker)
        worker.kill()
        if replace:
            self._spawn()

    def _acquire(self, timeout: float) -> _Worker:
        if self._broken is not None:
            raise PoolBroken(self._broken)
        if self._closed:
            raise PoolBroken("the query workers have been shut down")
        deadline = time.monotonic() + timeout
        while True:
            try:
                worker = self._idle.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty as exc:
                raise PoolBusy() from exc
            if worker.ready and not worker.process.is_alive():
                # died while idle (killed from outside, say): replace it, take another
                self._retire(worker, replace=True)
                continue
            try:
                worker.wait_ready(LOAD_TIMEOUT_S)
            except PoolBroken as exc:
                self._broken = str(exc)
                self._retire(worker, replace=False)
                raise
            return worker

    def execute(self, task: Task, time_limit_s: float) -> Reply:
        """Evaluate `task` in a free worker within `time_limit_s` (waiting for a free worker
        counts; loading a fresh worker's dataset does not).

        Raises:
            WorkerTimeout, PoolBusy, PoolBroken, WorkerDied, WorkerOutOfMemory,
            EvaluationError.
        """
        started = time.monotonic()
        worker = self._acquire(time_limit_s)
        remaining = max(0.001, time_limit_s - (time.monotonic() - started))
        try:
            worker.conn.send(task)
            if not worker.conn.poll(remaining):
                self._retire(worker, replace=True)
                raise WorkerTimeout()
            status, payload = worker.conn.recv()
        except (EOFError, OSError) as exc:
            self._retire(worker, replace=True)
            raise WorkerDied() from exc
        if status == "memory":
            self._retire(worker, replace=True)
            raise WorkerOutOfMemory(str(payload))
        self._idle.put(worker)
        if status == "error":
            raise EvaluationError(str(payload))
        return _from_wire(payload)

    def graph_names(self) -> list[URIRef]:
        worker = self._acquire(LOAD_TIMEOUT_S)
        try:
            return sorted(URIRef(g) for g in worker.graphs)
        finally:
            self._idle.put(worker)

    def pids(self) -> list[int]:
        """Process ids of the current workers (for tests and monitoring)."""
        with self._lock:
            return [w.process.pid for w in self._all if w.process.pid is not None]

    def close(self) -> None:
        with self._lock:
            self._closed = True
            workers = list(self._all)
            self._all.clear()
        for worker in workers:
            worker.kill()


def make_executor(
    dist: Path,
    store_kind: str,
    workers: int,
    *,
    lock: threading.RLock | None = None,
    memory_mb: int = 0,
) -> Executor:
    """Worker processes when `workers` > 0, else in-process evaluation (sharing `lock`)."""
    if workers <= 0:
        return InProcessExecutor(dist, store_kind, lock)
    return WorkerPool(dist, store_kind, workers, memory_mb=memory_mb)
