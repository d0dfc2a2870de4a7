"""Query evaluation in worker processes, so that a time limit really stops the work.

rdflib evaluates in pure Python and cannot be interrupted from another thread, so each query
runs in a worker process that loaded the dataset once; when a query outlives its time limit the
worker gets SIGKILL and a fresh one takes its place, while the other workers go on answering.

Workers come from the 'forkserver' start method: they are forked from a small single-threaded
server process, never from the (multi-threaded) web server, and so cannot inherit a lock held by
another thread. Each worker:

- hardens rdflib (`kg.stores.memory.harden_rdflib`) and installs an audit hook that refuses every
  outbound socket connection and DNS lookup, so that no query can reach the network even if
  a refusal in `Backend.run` were missed; a worker of the remote store may reach its endpoint's
  host and port, and nothing else;
- for the stores that need no network (memory, oxigraph) also moves into a network namespace of
  its own where possible (Linux `unshare`): Oxigraph's engine is native code that evaluates
  SERVICE with its own HTTP client, which no Python audit hook sees; where that is not possible
  (no privilege, no user namespaces) the Oxigraph store refuses SERVICE by parsing again;
- exits when the web-server process that owns it disappears.

Store kinds (`kg.stores.open_store`): memory (each worker parses the build), oxigraph (the build
is bulk-loaded once into a store directory before the workers start, and each worker opens it
read-only), remote (each worker talks to the endpoint). The address-space limit
(WORKER_MEMORY_MB) applies before a memory store loads; an Oxigraph or remote store gets a cap
on its data segment (RLIMIT_DATA, the memory it writes) once it is open instead, as RocksDB
reserves some 400 MiB of address space for its threads at open that it never uses. Native code
that runs out of memory aborts, which the pool reports as WorkerOutOfMemory like Python's
MemoryError.

A result crosses the process boundary as the response body when the caller names a media type
(`Task.media`: the worker renders it with service.results, so that the web process, which holds
one GIL for all its request threads, only moves bytes), else as pickles of plain tuples of rdflib
terms (a CONSTRUCT graph travels as a list of triples and is rebuilt in the parent), for the
pages that work with the terms.

`QUERY_WORKERS=0` evaluates in the request thread instead: for tests and debugging only, as the
time limit then cannot stop a running query.
"""

from __future__ import annotations

import contextlib
import ctypes
import multiprocessing
import os
import queue
import resource
import select
import signal
import socket
import sys
import threading
import time
import urllib.parse
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, Generic, Protocol, TypeVar

from rdflib import Graph, URIRef
from rdflib.term import Identifier, Node

from ai45kg.kg.load import bind_prefixes
from ai45kg.kg.sparqltext import screen
from ai45kg.kg.stores import (
    QueryResult,
    QuerySyntax,
    RemoteError,
    Store,
    open_store,
    prepare_store,
)
from ai45kg.kg.stores.memory import harden_rdflib

#: how long a new worker may take to load the dataset before it counts as broken
LOAD_TIMEOUT_S = 120.0
#: how often a worker checks that its owner is still alive
OWNER_CHECK_S = 1.0
#: after workers failed to load, how long until the pool tries again (a remote endpoint that
#: was down, a build being replaced): the service recovers without a restart
RETRY_BROKEN_S = 5.0


class WorkerTimeout(Exception):
    """The query ran past its time limit; its worker was killed."""


class PoolBusy(Exception):
    """No worker became free within the time limit."""


class PoolBroken(Exception):
    """Workers cannot start (the dataset does not load); the message says why."""


class UpstreamFailed(Exception):
    """The store's remote endpoint could not be reached or failed the query (not the query's
    fault: the worker stays, and the same query may succeed later)."""


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
    #: when set, the worker answers with the response body in this media type
    #: (service.results.render) instead of the result's terms
    media: str | None = None


@dataclass
class Call:
    """A function to run in a worker instead of a query, under the same time limit (it and its
    arguments travel by pickle, so a module-level function). `WorkerPool.call` returns what it
    returns and raises what it raises (exceptions must pickle)."""

    function: Callable[..., Any]
    args: tuple[Any, ...] = ()
    kwargs: dict[str, Any] = field(default_factory=dict)


@dataclass
class Reply:
    """A worker's answer: the result and whether the row cap cut it; for a task with a media
    type, `body` and a `result` that keeps only the query form (no rows, no graph)."""

    result: QueryResult
    truncated: bool
    body: bytes | None = None


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


def answer(store: Store, task: Task) -> Reply | _Wire:
    """What a worker sends back for `task`: the body when the task names a media type (bytes
    cross the pipe for a fraction of what rdflib terms cost to pickle and unpickle), written by
    the store's engine itself where it can (`Store.answer`: Oxigraph's serialisers, a remote
    endpoint's own answer) and else here; without a media type the result's terms."""
    if task.media is not None:
        native = store.answer(
            task.sparql, task.media, bindings=task.bindings,
            default_graph_uris=task.default_graph_uris, named_graph_uris=task.named_graph_uris,
            base=task.base, max_rows=task.max_rows)
        if native is not None:
            form = screen(task.sparql).form or "SELECT"
            return Reply(QueryResult(form, truncated=native.truncated),  # type: ignore[arg-type]
                         native.truncated, native.body)
    reply = evaluate(store, task)
    if task.media is None:
        return _to_wire(reply)
    return _rendered(reply, task)


def _rendered(reply: Reply, task: Task) -> Reply:
    from .results import render

    body = render(reply.result, str(task.media), truncated=reply.truncated,
                  max_rows=task.max_rows)
    return Reply(QueryResult(reply.result.type, truncated=reply.truncated), reply.truncated, body)


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

    def call(self, call: Call, time_limit_s: float) -> Any: ...

    def graph_names(self) -> list[URIRef]: ...

    def status(self) -> dict[str, Any]: ...

    def wait_ready(self, timeout: float = ...) -> None: ...

    def close(self) -> None: ...


class InProcessExecutor:
    """Evaluates in the calling thread (QUERY_WORKERS=0): no hard time limit."""

    def __init__(self, dist: Path, store_kind: str, lock: threading.RLock | None = None,
                 options: dict[str, Any] | None = None) -> None:
        self.dist = dist
        self._store = open_store(store_kind, dist, **(options or {}))
        # one lock with the Backend's parsing: rdflib's parser and store are not thread-safe
        self._lock = lock or threading.RLock()

    def execute(self, task: Task, time_limit_s: float) -> Reply:
        with self._lock:
            try:
                reply = answer(self._store, task)
            except QuerySyntax:
                raise
            except Exception as exc:
                raise EvaluationError(f"{type(exc).__name__}: {exc}") from exc
            return reply if isinstance(reply, Reply) else _from_wire(reply)

    def call(self, call: Call, time_limit_s: float) -> Any:
        with self._lock:
            return call.function(*call.args, **call.kwargs)

    def graph_names(self) -> list[URIRef]:
        return self._store.graph_names()

    def status(self) -> dict[str, Any]:
        """See `WorkerPool.status` (in-process evaluation is always ready)."""
        return {"size": 0, "alive": 0, "idle": 0, "problem": None}

    def wait_ready(self, timeout: float = 0.0) -> None:
        """The store opened in the constructor: nothing to wait for."""

    def close(self) -> None:
        self._store.close()


# ---------------------------------------------------------------------------------------------
# worker processes


_NETWORK_EVENTS = ("socket.connect", "socket.getaddrinfo", "socket.gethostbyname",
                   "urllib.Request", "http.client.connect")


def _deny_network(event: str, args: tuple[Any, ...]) -> None:
    """Audit hook of a worker: no query may open a connection or resolve a name."""
    if event in _NETWORK_EVENTS:
        raise PermissionError(f"query workers have no network access ({event})")


def _endpoint_guard(urls: list[str]) -> Any:
    """An audit hook that allows connections to the hosts and ports of `urls` only (the
    remote store's endpoint) and refuses every other, as `_deny_network` does."""
    allowed: set[tuple[str, int]] = set()
    for url in urls:
        parts = urllib.parse.urlsplit(url)
        if parts.hostname:
            allowed.add((parts.hostname.lower(),
                         parts.port or (443 if parts.scheme == "https" else 80)))
    hosts = {h for h, _ in allowed}
    ports = {p for _, p in allowed}
    addresses: set[str] = set()
    resolving = threading.local()

    def resolve() -> None:
        resolving.on = True
        try:
            for host, port in allowed:
                with contextlib.suppress(OSError):
                    addresses.update(str(info[4][0]) for info in socket.getaddrinfo(host, port))
        finally:
            resolving.on = False

    def allowed_host(host: object, port: object) -> bool:
        try:
            number = int(port) if port is not None else None  # type: ignore[call-overload]
        except (TypeError, ValueError):
            return False
        return str(host).lower() in hosts and (number is None or number in ports)

    def hook(event: str, args: tuple[Any, ...]) -> None:
        if event not in _NETWORK_EVENTS or getattr(resolving, "on", False):
            return
        ok = False
        if event == "socket.getaddrinfo":
            ok = allowed_host(args[0], args[1])
        elif event == "socket.gethostbyname":
            ok = str(args[0]).lower() in hosts
        elif event == "http.client.connect":
            ok = allowed_host(args[1], args[2])
        elif event == "urllib.Request":
            parts = urllib.parse.urlsplit(str(args[0]))
            ok = allowed_host(parts.hostname, parts.port or (
                443 if parts.scheme == "https" else 80))
        elif event == "socket.connect":
            address = args[1]
            if isinstance(address, tuple) and len(address) >= 2 and address[1] in ports:
                if str(address[0]) not in addresses:
                    resolve()
                ok = str(address[0]) in addresses
        if not ok:
            raise PermissionError(f"query workers reach only their endpoint ({event})")

    resolve()
    return hook


_CLONE_NEWUSER = 0x10000000
_CLONE_NEWNET = 0x40000000


def isolate_network() -> bool:
    """Move this process into a network namespace of its own (only a loopback that is down):
    no connection can leave it, whatever code tries. True when that worked. Needs a single
    thread (a fresh worker is one) and root, or unprivileged user namespaces."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
    except OSError:
        return False
    for flags in (_CLONE_NEWNET, _CLONE_NEWUSER | _CLONE_NEWNET):
        if libc.unshare(flags) == 0:
            return True
    return False


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


#: the stack of a worker's query thread, in MiB (address space reserved, not memory used) and
#: the Python recursion limit that goes with it: rdflib's parser needs some 25 frames per level
#: of nesting, Oxigraph's some 10 KiB of stack per item of a long collection
QUERY_STACK_MB = 256
QUERY_RECURSION_LIMIT = 20_000


def query_stack_mb(memory_mb: int) -> int:
    """The query thread's stack under a WORKER_MEMORY_MB cap: at most an eighth of it, as the
    address space (RLIMIT_AS, the memory store's cap) counts the whole reservation."""
    return QUERY_STACK_MB if memory_mb <= 0 else max(16, min(QUERY_STACK_MB, memory_mb // 8))


def _limit_memory(memory_mb: int, kind: int = resource.RLIMIT_AS) -> None:
    """Cap the process's address space (RLIMIT_AS), or with `kind` RLIMIT_DATA its data
    segment: the memory it writes, heap and private mappings, not what a native engine merely
    reserves (RocksDB reserves some 400 MiB of address space for its threads when it opens)."""
    if memory_mb > 0:
        limit = memory_mb * 2**20
        _, hard = resource.getrlimit(kind)
        if hard != resource.RLIM_INFINITY:
            limit = min(limit, hard)
        resource.setrlimit(kind, (limit, hard))


def _worker_main(
    conn: Connection, dist: str, store_kind: str, owner_pid: int, memory_mb: int,
    options: dict[str, Any] | None = None,
) -> None:
    """The loop of one worker process: load once, then answer tasks until the pipe closes."""
    options = dict(options or {})
    # before any thread starts: unshare() of a user namespace needs a single-threaded process
    isolated = store_kind != "remote" and isolate_network()
    threading.Thread(target=_watch_owner, args=(owner_pid,), daemon=True).start()
    harden_rdflib()
    sys.unraisablehook = _quiet_memory_errors
    if store_kind == "memory":
        _limit_memory(memory_mb)
    try:
        store = open_store(store_kind, Path(dist), **options)
    except BaseException as exc:
        conn.send(("broken", f"cannot load the dataset from {dist}: {type(exc).__name__}: {exc}"))
        return
    store.network_isolated = isolated
    if store_kind != "memory":
        _limit_memory(memory_mb, resource.RLIMIT_DATA)
    if store_kind == "remote":
        sys.addaudithook(_endpoint_guard([str(options.get("endpoint") or "")]))
    else:
        sys.addaudithook(_deny_network)
    conn.send(("ready", [str(g) for g in store.graph_names()]))
    # queries run on a thread with a deep stack: the engines' parsers recurse (rdflib's in
    # Python, Oxigraph's in Rust, where running out of the main thread's 8 MiB is a segfault),
    # and a long list or a deep expression within MAX_QUERY_LENGTH and MAX_NESTING must reach
    # the time limit or an answer, not crash the worker
    sys.setrecursionlimit(QUERY_RECURSION_LIMIT)
    threading.stack_size(query_stack_mb(memory_mb) * 2**20)
    runner = threading.Thread(target=_answer_tasks, args=(conn, store, memory_mb),
                              name="ai45kg-query")
    runner.start()
    runner.join()


def _answer_tasks(conn: Connection, store: Store, memory_mb: int) -> None:
    """Answer tasks from the pipe until it closes."""
    while True:
        try:
            task = conn.recv()
        except (EOFError, OSError):
            return
        try:
            if isinstance(task, Call):
                try:
                    reply: tuple[str, Any] = ("value", task.function(*task.args, **task.kwargs))
                except Exception as exc:  # the caller gets it back as it was raised
                    reply = ("raised", exc)
            else:
                reply = ("ok", answer(store, task))
        except QuerySyntax as exc:  # the caller reports it as the engine said it
            reply = ("raised", exc)
        except RemoteError as exc:
            reply = ("upstream", str(exc))
        except MemoryError:
            reply = ("memory", f"more than {memory_mb} MiB")
        except SystemError as exc:
            # C code that fails to allocate at the cap sometimes returns an error without
            # setting one ("error return without exception set"): memory, in a capped worker
            reply = (("memory", f"more than {memory_mb} MiB") if memory_mb > 0
                     else ("error", f"{type(exc).__name__}: {exc}"))
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


T = TypeVar("T")


class Handoff(Generic[T]):
    """Idle items handed to waiting threads first come, first served.

    A `queue.Queue` wakes a waiting thread when an item is put back, but a thread that arrives
    meanwhile may take the item first: under granian, whose threads enter Python without
    queueing behind the waiting ones, a query waited up to a second for a worker that newer
    requests kept taking (benchmarks/SERVERS.md). Here a returned item goes straight to the
    oldest waiter, and a newcomer takes an idle item only when nobody waits.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: deque[T] = deque()
        self._waiters: deque[_Waiter[T]] = deque()

    def put(self, item: T) -> None:
        with self._lock:
            if self._waiters:
                waiter = self._waiters.popleft()
                waiter.item = item
                waiter.event.set()
            else:
                self._items.append(item)

    def get(self, timeout: float) -> T:
        """The oldest idle item, waiting up to `timeout` seconds for one.

        Raises:
            queue.Empty: none came in time.
        """
        with self._lock:
            if self._items and not self._waiters:
                return self._items.popleft()
            waiter: _Waiter[T] = _Waiter()
            self._waiters.append(waiter)
        waiter.event.wait(timeout)
        with self._lock:
            if waiter.item is not None:  # handed over, possibly just as the wait ended
                return waiter.item
            self._waiters.remove(waiter)
        raise queue.Empty

    def idle(self) -> int:
        with self._lock:
            return len(self._items)


class _Waiter(Generic[T]):
    __slots__ = ("event", "item")

    def __init__(self) -> None:
        self.event = threading.Event()
        self.item: T | None = None


class _Worker:
    """One worker process and the parent's end of its pipe."""

    def __init__(self, ctx: Any, dist: Path, store_kind: str, memory_mb: int,
                 options: dict[str, Any] | None = None) -> None:
        parent_end, child_end = ctx.Pipe(duplex=True)
        self.conn: Connection = parent_end
        self.process = ctx.Process(
            target=_worker_main,
            args=(child_end, str(dist), store_kind, os.getpid(), memory_mb, options or {}),
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

    def exited(self) -> bool:
        """Whether the process has ended: a poll of its sentinel (is_alive() builds a selector
        each time; this runs for every query and health check)."""
        return bool(_ended([self]))

    def kill(self) -> None:
        if self.process.is_alive():
            self.process.kill()
        self.process.join(timeout=5)
        self.conn.close()

    def aborted(self) -> bool:
        """The process ended by SIGABRT: native code (Oxigraph, RocksDB) that could not
        allocate memory aborts the process rather than raise MemoryError."""
        self.process.join(timeout=2)
        return self.process.exitcode == -signal.SIGABRT


def _ended(workers: list[_Worker]) -> list[_Worker]:
    """The workers whose process has ended, by one poll(2) of their sentinels (a sentinel
    becomes readable when its process ends)."""
    poller = select.poll()
    by_fd: dict[int, _Worker] = {}
    ended: list[_Worker] = []
    for worker in workers:
        try:
            fd = worker.process.sentinel
        except ValueError:  # the Process object was closed: long gone
            ended.append(worker)
            continue
        by_fd[fd] = worker
        poller.register(fd, select.POLLIN)
    return ended + [by_fd[fd] for fd, _ in poller.poll(0)]


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
        options: dict[str, Any] | None = None,
    ) -> None:
        if size < 1:
            raise ValueError("a worker pool needs at least one worker")
        self._ctx = multiprocessing.get_context(start_method)
        if start_method == "forkserver":
            # workers then start with these imported: only the data is left to load
            self._ctx.set_forkserver_preload(FORKSERVER_PRELOAD)
        self.dist = dist
        self.store_kind = store_kind
        self.size = size
        self.memory_mb = memory_mb
        self.options = dict(options or {})
        self._idle: Handoff[_Worker] = Handoff()
        self._all: set[_Worker] = set()
        self._lock = threading.Lock()
        self._closed = False
        self._broken: str | None = None
        self._broken_at = 0.0
        self._recover_lock = threading.Lock()
        for _ in range(size):
            self._spawn()

    def _spawn(self) -> None:
        with self._lock:
            if self._closed:
                return
            worker = _Worker(self._ctx, self.dist, self.store_kind, self.memory_mb, self.options)
            self._all.add(worker)
        self._idle.put(worker)

    def _retire(self, worker: _Worker, *, replace: bool) -> None:
        with self._lock:
            self._all.discard(worker)
        worker.kill()
        if replace:
            self._spawn()

    def _recover(self) -> None:
        """Once RETRY_BROKEN_S has passed since the workers failed to load, start the missing
        ones again (the ones that failed were not replaced)."""
        with self._recover_lock:
            if self._broken is None or time.monotonic() - self._broken_at < RETRY_BROKEN_S:
                return
            with self._lock:
                missing = self.size - len(self._all)
            self._broken = None
        for _ in range(max(0, missing)):
            self._spawn()

    def _acquire(self, timeout: float) -> _Worker:
        if self._broken is not None:
            self._recover()
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
            if worker.ready and worker.exited():
                # died while idle (killed from outside, say): replace it, take another
                self._retire(worker, replace=True)
                continue
            try:
                worker.wait_ready(LOAD_TIMEOUT_S)
            except PoolBroken as exc:
                self._broken_at = time.monotonic()
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
            aborted = self.memory_mb > 0 and worker.aborted()
            self._retire(worker, replace=True)
            if aborted:
                raise WorkerOutOfMemory(f"more than {self.memory_mb} MiB") from exc
            raise WorkerDied() from exc
        if status == "memory":
            self._retire(worker, replace=True)
            raise WorkerOutOfMemory(str(payload))
        self._idle.put(worker)
        if status == "error":
            raise EvaluationError(str(payload))
        if status == "upstream":
            raise UpstreamFailed(str(payload))
        if status == "value":
            return payload  # type: ignore[no-any-return]
        if status == "raised":
            raise payload
        return payload if isinstance(payload, Reply) else _from_wire(payload)

    def call(self, call: Call, time_limit_s: float) -> Any:
        """Run `call` in a free worker within `time_limit_s` (as `execute` does a query): its
        return value, or the exception it raised.

        Raises:
            WorkerTimeout, PoolBusy, PoolBroken, WorkerDied, WorkerOutOfMemory, and whatever
            the function raises.
        """
        return self.execute(call, time_limit_s)  # type: ignore[arg-type]

    def graph_names(self) -> list[URIRef]:
        worker = self._acquire(LOAD_TIMEOUT_S)
        try:
            return sorted(URIRef(g) for g in worker.graphs)
        finally:
            self._idle.put(worker)

    def status(self) -> dict[str, Any]:
        """The pool at a glance, without waiting for a worker (for /health): how many worker
        processes are alive and how many wait for a query (idle, loaded or loading), and
        `problem`, why no query can be answered (None: they can, now or once loaded)."""
        self._recover()  # a health check drives recovery as a query would
        with self._lock:
            workers = list(self._all)
            closed = self._closed
        ended = _ended(workers)
        alive = [w for w in workers if w not in ended]
        # a worker that died before it was ever used most likely failed to load the dataset;
        # one that died after (killed, out of memory) is replaced by the next query
        failed = [w for w in workers if not w.ready and w not in alive]
        problem = self._broken
        if problem is None and closed:
            problem = "the query workers have been shut down"
        elif problem is None and not alive and failed:
            problem = "no query worker is running: they exited while loading the dataset"
        return {"size": self.size, "alive": len(alive), "idle": self._idle.idle(),
                "problem": problem}

    def wait_ready(self, timeout: float = LOAD_TIMEOUT_S) -> None:
        """Block until every worker has loaded the dataset (a fresh pool, before it is swapped
        in by `Backend.reload`).

        Raises:
            PoolBroken: a worker could not load it.
        """
        taken = [self._acquire(timeout) for _ in range(self.size)]
        for worker in taken:
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


#: what the forkserver imports once, so that each worker only has its data to load
FORKSERVER_PRELOAD = ["rdflib", "ai45kg.kg.stores", "ai45kg.service.executor"]


def _prepare_in_child(store_kind: str, dist: Path, options: dict[str, Any]) -> None:
    """`kg.stores.prepare_store` in a child of the forkserver, never in this process.

    Oxigraph's bulk loader runs native threads. A process that forked after they ran (a
    granian HTTP process forked from the main one, which prepared the store at start) deadlocks
    in its next bulk load, as a reload of a new build needs; and a bulk load here would leave
    the same trap for anything forked from this process. The forkserver's children start
    clean, and this process never runs those threads.

    Raises:
        whatever prepare_store raises (kg.stores.StoreError: the build cannot be loaded).
    """
    if store_kind != "oxigraph":
        prepare_store(store_kind, dist, **options)  # nothing native to run
        return
    from concurrent.futures import ProcessPoolExecutor

    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(FORKSERVER_PRELOAD)
    with ProcessPoolExecutor(max_workers=1, mp_context=ctx) as pool:
        pool.submit(prepare_store, store_kind, dist, **options).result()


def make_executor(
    dist: Path,
    store_kind: str,
    workers: int,
    *,
    lock: threading.RLock | None = None,
    memory_mb: int = 0,
    options: dict[str, Any] | None = None,
) -> Executor:
    """Worker processes when `workers` > 0, else in-process evaluation (sharing `lock`).

    `options` go to `kg.stores.open_store` in each worker (store_path, endpoint, ...); a store
    that needs preparing (an Oxigraph store loaded from the build) is prepared here, once,
    before any worker opens it.
    """
    _prepare_in_child(store_kind, dist, options or {})
    if workers <= 0:
        return InProcessExecutor(dist, store_kind, lock, options)
    return WorkerPool(dist, store_kind, workers, memory_mb=memory_mb, options=options)
