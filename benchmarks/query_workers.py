"""Query worker processes for benchmarks/hello_app.py: a small copy of service.executor's pool.

Each HTTP process owns a `QueryPool` of processes started with the 'forkserver' method (never
forked from the multi-threaded HTTP process); a request takes an idle worker from a queue, writes
a small task over its pipe, waits with `poll(timeout)` and reads the answer's bytes, as
`WorkerPool.execute` does. A worker answers a fixed ~2 KB JSON document after `ms` milliseconds.

This module must not import the app: a forkserver child unpickles `_worker_main` by importing
this module, and the app starts a pool when it is imported.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import queue
import threading
import time
from multiprocessing.connection import Connection
from typing import Any

#: how long a request waits for an idle query worker, and then for its answer
QUERY_TIMEOUT_S = 10.0

PAYLOAD = json.dumps({
    "head": {"vars": ["technique", "label", "layer"]},
    "results": {"bindings": [
        {
            "technique": {"type": "uri", "value": f"https://w3id.org/ai45/id/technique/t{i:02d}"},
            "label": {"type": "literal", "value": f"Technique number {i}", "xml:lang": "en"},
            "layer": {"type": "uri", "value": "https://w3id.org/ai45/id/layer/perception"},
        }
        for i in range(11)
    ]},
}).encode()


def _owner_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _worker_main(conn: Connection, owner_pid: int, payload: bytes) -> None:
    """Answer until the pipe closes (the owner exited) or the owner is gone."""
    while True:
        try:
            if not conn.poll(1.0):
                if not _owner_alive(owner_pid):
                    return
                continue
            task = conn.recv_bytes()
        except (EOFError, OSError):
            return
        try:
            ms = int(task.split(b" ", 1)[1])
        except (IndexError, ValueError):
            ms = 0
        if ms > 0:
            time.sleep(ms / 1000.0)
        try:
            conn.send_bytes(payload)
        except (EOFError, OSError):
            return


class _Worker:
    def __init__(self, ctx: Any) -> None:
        parent_end, child_end = ctx.Pipe(duplex=True)
        self.conn: Connection = parent_end
        self.process = ctx.Process(target=_worker_main, args=(child_end, os.getpid(), PAYLOAD),
                                   name="bench-query-worker", daemon=True)
        self.process.start()
        child_end.close()


class QueryPool:
    """`size` processes from the forkserver; a request takes an idle one."""

    def __init__(self, size: int) -> None:
        self.owner = os.getpid()
        self._ctx = multiprocessing.get_context("forkserver")
        # the forkserver imports this module once (not the server's __main__)
        self._ctx.set_forkserver_preload([__name__])
        self._idle: queue.Queue[_Worker] = queue.Queue()
        self._all: list[_Worker] = []
        self._lock = threading.Lock()
        for _ in range(size):
            self._spawn()

    def _spawn(self) -> None:
        worker = _Worker(self._ctx)
        with self._lock:
            self._all.append(worker)
        self._idle.put(worker)

    def _retire(self, worker: _Worker) -> None:
        with self._lock:
            if worker in self._all:
                self._all.remove(worker)
        if worker.process.is_alive():
            worker.process.kill()
        worker.process.join(timeout=5)
        worker.conn.close()
        self._spawn()

    def ask(self, task: bytes) -> bytes:
        """The answer to `task` from an idle worker.

        Raises:
            queue.Empty: no worker was idle within QUERY_TIMEOUT_S.
            TimeoutError, EOFError, OSError: the worker did not answer (it is replaced).
        """
        worker = self._idle.get(timeout=QUERY_TIMEOUT_S)
        try:
            worker.conn.send_bytes(task)
            if not worker.conn.poll(QUERY_TIMEOUT_S):
                raise TimeoutError("the query worker did not answer in time")
            answer = worker.conn.recv_bytes()
        except BaseException:
            self._retire(worker)
            raise
        self._idle.put(worker)
        return answer

    def pids(self) -> list[int]:
        with self._lock:
            return [w.process.pid for w in self._all if w.process.pid is not None]

    def close(self) -> None:
        with self._lock:
            workers, self._all = self._all, []
        for worker in workers:
            if worker.process.is_alive():
                worker.process.kill()
            worker.process.join(timeout=5)
