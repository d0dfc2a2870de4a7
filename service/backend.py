"""The one place where a query meets the dataset: `Backend.run`.

Every limit of the service is enforced here and nowhere else (Datasette's single `run()`):
the query length, the refusals (updates, SERVICE, LOAD, FROM an IRI that is not one of the
dataset's graphs), the dataset selection of the SPARQL Protocol, the time limit and the row cap.
Routes call `current_app.extensions["ai45kg"].run(...)` and turn a `QueryError` into a response
with `QueryError.status`.

Status codes (documented in the README and tested):

- 400 `QuerySyntaxError`: the parser's message with line and column.
- 400 `QueryRefused`: updates (the endpoint is read-only), SERVICE, LOAD, an unknown graph IRI.
- 413 `QueryTooLong`: more than MAX_QUERY_LENGTH characters.
- 503 `QueryTimeout`: the query ran longer than QUERY_TIMEOUT_MS and its worker was killed
  (as Fuseki does); also when no query worker became free within the time limit.
- 503 `QueryOutOfMemory`: the query needed more than WORKER_MEMORY_MB; its worker was replaced.
- 503 `ServiceUnavailable`: the workers cannot load the dataset (tried again every
  executor.RETRY_BROKEN_S), or one died mid-query.
- 502 `UpstreamUnavailable`: the remote store's endpoint cannot be reached or failed.
- 400 `QueryError` itself: the store failed on a query that passed the checks.

Relative IRIs in a query are resolved against BASE_IRI (not the request URL), so that
`<id/layer/reflectable>` means the same resource on every host that serves the dataset.

The store (STORE: memory, oxigraph or remote; see kg.stores) is chosen here and opened in the
query workers; every limit and refusal above holds on each, since all of them are applied
before a store sees the query (and a worker's time limit, row cap and memory cap do not depend
on the store).

`Backend.reload()` serves a new build without a restart: it reads where the dist link points
now and, when the content hash changed, opens the new build with a new executor, swaps it in
for new requests, lets requests that already started finish on the old one (a request keeps
the build it started with for all its queries, so no response mixes two builds), then closes
the old one, and empties the response cache.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rdflib import URIRef
from rdflib.term import Identifier

from ai45kg.kg import paths
from ai45kg.kg.namespaces import PREFIXES
from ai45kg.kg.queries import with_default_prefixes
from ai45kg.kg.sparqltext import CACHED_TEXT, screen
from ai45kg.kg.stores import QueryResult, QuerySyntax, default_store_root, read_manifest

from . import executor, results
from .cache import ResponseCache

#: how many checked queries each Backend remembers (parsing costs milliseconds)
CHECK_CACHE = 512
READ_ONLY = (
    "this endpoint is read-only: SPARQL Update (INSERT, DELETE, LOAD, CLEAR, DROP, CREATE, "
    "ADD, MOVE, COPY) is not accepted; send a SELECT, ASK, CONSTRUCT or DESCRIBE query"
)


class QueryError(Exception):
    """A query that the service will not or cannot answer; `str()` says what to change."""

    status = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __reduce__(self) -> tuple[Any, ...]:
        # queries are checked in worker processes: the error must cross back as it was raised
        # (the default pickling would call the constructor with the formatted message)
        return (_rebuild_error, (type(self), self.message, dict(self.__dict__)))


def _rebuild_error(cls: type[QueryError], message: str, state: dict[str, Any]) -> QueryError:
    error = Exception.__new__(cls)
    Exception.__init__(error, message)
    error.__dict__.update(state)
    return error


class QuerySyntaxError(QueryError):
    """The query does not parse; `line` and `column` are 1-based, as the parser reports them."""

    def __init__(
        self, message: str, line: int | None = None, column: int | None = None, near: str = ""
    ) -> None:
        where = f" at line {line}, column {column}" if line is not None else ""
        if near.strip():
            where += f" (near {near.strip()[:40]!r})"
        super().__init__(f"syntax error{where}: {message}")
        self.parser_message = message
        self.line = line
        self.column = column


class QueryRefused(QueryError):
    """A well-formed request that a read-only public endpoint does not evaluate."""


class QueryTimeout(QueryError):
    """The query hit the time limit; its work was stopped."""

    status = 503


class QueryTooLong(QueryError):
    """The query text is longer than MAX_QUERY_LENGTH."""

    status = 413


class ServiceUnavailable(QueryError):
    """The query workers cannot serve (the dataset failed to load in them, or one died)."""

    status = 503


class UpstreamUnavailable(QueryError):
    """The store's remote SPARQL endpoint could not be reached or failed (STORE=remote)."""

    status = 502


class QueryOutOfMemory(QueryError):
    """The query needed more memory than WORKER_MEMORY_MB; its worker was replaced."""

    status = 503


@dataclass
class Outcome:
    """What `Backend.run` returns: the result, whether the row cap cut it, and the time taken;
    with `media`, the response body in it (and a result without rows or graph)."""

    result: QueryResult
    truncated: bool
    elapsed_ms: float
    body: bytes | None = None

    def rendered(self) -> bytes:
        """The response body of a `run(..., media=...)`."""
        if self.body is None:
            raise RuntimeError("Backend.run was not given a media type to render")
        return self.body


class Backend:
    """The built dataset as the service sees it, with every query limit in `run`."""

    def __init__(
        self,
        dist: Path,
        *,
        store: str = "memory",
        query_timeout_ms: int = 10_000,
        max_rows: int = 10_000,
        max_query_length: int = 100_000,
        query_workers: int = 2,
        base_iri: str = "https://w3id.org/ai45/",
        worker_memory_mb: int = 0,
        store_options: Mapping[str, Any] | None = None,
        cache_bytes: int = 0,
    ) -> None:
        #: the dist path as given (usually the `dist` symlink that builds swap): reload() reads
        #: where it points now
        self.dist_link = Path(dist).absolute()
        self.store_kind = store
        self.store_options: dict[str, Any] = dict(store_options or {})
        if store == "oxigraph" and not self.store_options.get("store_path"):
            self.store_options["store_path"] = str(default_store_root(self.dist_link))
        self.query_timeout_ms = int(query_timeout_ms)
        self.max_rows = int(max_rows)
        self.max_query_length = int(max_query_length)
        self.query_workers = int(query_workers)
        self.worker_memory_mb = int(worker_memory_mb)
        self.base_iri = base_iri
        #: rendered responses, keyed by their ETag (service.cache); emptied by reload()
        self.cache = ResponseCache(int(cache_bytes))
        # rdflib's SPARQL parser (pyparsing) is not thread-safe: concurrent parses can corrupt
        # its grammar for good (pyparsing decides each parse action's arity by trial calls), so
        # an in-process executor (QUERY_WORKERS=0) evaluates under this lock
        self._parse_lock = threading.RLock()
        #: checked queries by text (check)
        self._checked: OrderedDict[str, CheckedQuery] = OrderedDict()
        self._checks_lock = threading.Lock()
        self._reload_lock = threading.Lock()
        self._generation = self._open(self.dist_link.resolve())
        _connect_teardown()

    def _open(self, directory: Path) -> _Generation:
        """The build in `directory` with a new executor whose workers have the store ready."""
        manifest: dict[str, Any] = read_manifest(directory)
        pool = executor.make_executor(
            directory, self.store_kind, self.query_workers, lock=self._parse_lock,
            memory_mb=self.worker_memory_mb, options=self.store_options,
        )
        return _Generation(directory, manifest, pool)

    # -- what is served now (the build the current request started with)

    @property
    def dist(self) -> Path:
        """The build directory being served (the dist link resolved)."""
        return self._current().dist

    @property
    def manifest(self) -> dict[str, Any]:
        return self._current().manifest

    @property
    def content_hash(self) -> str:
        return self._current().content_hash

    @property
    def _executor(self) -> executor.Executor:
        return self._current().executor

    def _current(self) -> _Generation:
        """The generation this request uses: the one it first touched (pinned until the request
        ends), or outside a request the one being served."""
        pins = _request_pins()
        if pins is None:
            return self._generation
        generation = pins.get(id(self))
        if generation is None:
            generation = self._generation.acquire()
            pins[id(self)] = generation
        return generation

    def reload(self) -> bool:
        """Serve the build that the dist link points to now.

        When its content hash differs from the one served, the new build gets its own executor
        (for oxigraph, a store loaded from it) whose workers are loaded before it is swapped
        in; requests that started before keep the old build until they end, after which (or
        after a grace period) the old executor is closed. The response cache is emptied. When
        the hash is the same, new workers just load from the new directory.

        Returns:
            True when a different build is now served.

        Raises:
            ServiceUnavailable: the new build cannot be opened; the old one is still served.
        """
        with self._reload_lock:
            target = self.dist_link.resolve()
            try:
                manifest = read_manifest(target)
            except (OSError, ValueError) as exc:
                raise ServiceUnavailable(f"cannot read the build in {target}: {exc}") from exc
            current = self._generation
            if str(manifest.get("content_hash", "")) == current.content_hash:
                if target != current.dist:
                    current.move(target, manifest)
                return False
            try:
                fresh = self._open(target)
                fresh.executor.wait_ready(executor.LOAD_TIMEOUT_S)
            except Exception as exc:
                with contextlib.suppress(Exception):
                    fresh.executor.close()  # type: ignore[possibly-undefined]
                raise ServiceUnavailable(
                    f"cannot open the build in {target}: {type(exc).__name__}: {exc}") from exc
            self._generation = fresh  # one reference assignment: new requests get the new build
            self.cache.clear()
            pins = _request_pins()
            if pins is not None and pins.get(id(self)) is current:
                # the request that asked for the reload sees its outcome
                pins[id(self)] = fresh.acquire()
                current.release()
            grace = max(60.0, 3 * self.query_timeout_ms / 1000.0)
            current.retire(grace)
            return True

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Backend:
        """A Backend from the app's settings (see service.settings.SETTINGS)."""
        dist = config.get("DIST") or paths.dist_dir()
        return cls(
            Path(dist),
            store=config.get("STORE", "memory") or "memory",
            query_timeout_ms=int(config.get("QUERY_TIMEOUT_MS", 10_000)),
            max_rows=int(config.get("MAX_ROWS", 10_000)),
            max_query_length=int(config.get("MAX_QUERY_LENGTH", 100_000)),
            query_workers=int(config.get("QUERY_WORKERS", 2)),
            base_iri=str(config.get("BASE_IRI") or "https://w3id.org/ai45/"),
            worker_memory_mb=int(config.get("WORKER_MEMORY_MB", 0) or 0),
            store_options=store_options(config),
            cache_bytes=int(config.get("CACHE_BYTES", 0) or 0),
        )

    def graph_names(self) -> list[URIRef]:
        """The IRIs of the dataset's named graphs (from the build, without loading it)."""
        return self._current().graph_names()

    def check(self, sparql: str, *, max_length: int | None = None) -> CheckedQuery:
        """Vet a query without evaluating it: its length, and what the screen of its tokens
        refuses (`check_query`, microseconds; remembered per text). Its syntax is the engine's
        to check, in a query worker under the time limit (`run`).

        Raises:
            QueryTooLong, QuerySyntaxError (no query form at all), QueryRefused.
        """
        limit = self.max_query_length if max_length is None else max_length
        if len(sparql) > limit:
            raise QueryTooLong(
                f"the query is {len(sparql)} characters long; this endpoint accepts at most "
                f"{limit} (setting MAX_QUERY_LENGTH)"
            )
        with self._checks_lock:
            checked = self._checked.get(sparql)
            if checked is not None:
                self._checked.move_to_end(sparql)
                return checked
        checked = check_query(sparql, base=self.base_iri)
        if len(sparql) <= CACHED_TEXT:
            with self._checks_lock:
                self._checked[sparql] = checked
                if len(self._checked) > CHECK_CACHE:
                    self._checked.popitem(last=False)
        return checked

    def run(
        self,
        sparql: str,
        bindings: Mapping[str, Identifier] | None = None,
        *,
        default_graph_uris: Sequence[str] | None = None,
        named_graph_uris: Sequence[str] | None = None,
        time_limit_ms: int | None = None,
        max_rows: int | None = None,
        media: str | None = None,
    ) -> Outcome:
        """Check and evaluate one read-only query within the limits.

        `default_graph_uris` / `named_graph_uris` (the protocol's parameters) override the
        query's FROM / FROM NAMED, as SPARQL 1.1 Protocol section 2.1.4 says; either may only
        name graphs of the dataset. Without any of them the default graph is the union of all
        named graphs and every named graph is available to GRAPH.

        `time_limit_ms` can only tighten QUERY_TIMEOUT_MS. `max_rows` replaces MAX_ROWS for
        this call (the service's own pages may need more rows than a public query gets; the
        /sparql endpoint never passes it). With `media` (a type that service.results renders
        for the query's form) the outcome carries the response body, written in the worker.

        Raises:
            QueryError: one of its subclasses, with a message a person can act on.
        """
        started = time.perf_counter()
        checked = self.check(sparql)
        default, named = self._dataset(checked, default_graph_uris, named_graph_uris)
        limit_ms = _tighter(self.query_timeout_ms, time_limit_ms)
        rows = self.max_rows if max_rows is None or max_rows <= 0 else int(max_rows)
        task = executor.Task(
            sparql=checked.text,
            bindings=dict(bindings or {}),
            default_graph_uris=default,
            named_graph_uris=named,
            base=self.base_iri,
            max_rows=rows,
            media=media,
        )
        if media is not None and not results.renders(checked.form, media):
            raise ValueError(f"{media} is not a format for a {checked.form} query")
        generation = self._current().acquire()
        try:
            reply = generation.executor.execute(task, limit_ms / 1000.0)
        except QuerySyntax as exc:
            line = exc.line - checked.added if exc.line and exc.line > checked.added else exc.line
            raise QuerySyntaxError(exc.message, line, exc.column, exc.near) from exc
        except executor.WorkerTimeout as exc:
            raise QueryTimeout(
                f"the query was stopped after {limit_ms} ms (setting QUERY_TIMEOUT_MS); "
                "add LIMIT, narrow the patterns, or avoid cartesian products"
            ) from exc
        except executor.PoolBusy as exc:
            raise QueryTimeout(
                f"all {self.query_workers} query workers stayed busy for {limit_ms} ms; "
                "try again in a moment"
            ) from exc
        except executor.WorkerOutOfMemory as exc:
            raise QueryOutOfMemory(
                f"the query was stopped: it needed {exc} of memory (setting WORKER_MEMORY_MB); "
                "add LIMIT, avoid ORDER BY or GROUP BY over huge intermediate results"
            ) from exc
        except executor.WorkerDied as exc:
            raise ServiceUnavailable(
                "the query worker ended while evaluating this query and has been replaced; "
                "if this happens again for the same query, narrow it"
            ) from exc
        except executor.PoolBroken as exc:
            raise ServiceUnavailable(
                f"the query workers cannot serve: {exc}; they try again every "
                f"{executor.RETRY_BROKEN_S:.0f} s (the server serves the build in {self.dist})"
            ) from exc
        except executor.UpstreamFailed as exc:
            raise UpstreamUnavailable(
                f"the SPARQL endpoint behind this service failed: {exc}; this is not your "
                "query's fault: try again in a moment"
            ) from exc
        except executor.EvaluationError as exc:
            raise QueryError(f"the query could not be evaluated: {exc}") from exc
        finally:
            generation.release()
        elapsed = (time.perf_counter() - started) * 1000.0
        return Outcome(result=reply.result, truncated=reply.truncated, elapsed_ms=elapsed,
                       body=reply.body)

    def _dataset(
        self,
        checked: CheckedQuery,
        default_graph_uris: Sequence[str] | None,
        named_graph_uris: Sequence[str] | None,
    ) -> tuple[list[str] | None, list[str] | None]:
        """The RDF dataset of the request: protocol parameters win over FROM / FROM NAMED."""
        if default_graph_uris or named_graph_uris:
            default, named = list(default_graph_uris or []), list(named_graph_uris or [])
        elif checked.from_graphs or checked.from_named_graphs:
            default, named = list(checked.from_graphs), list(checked.from_named_graphs)
        else:
            return None, None
        known = {str(g) for g in self.graph_names()}
        unknown = [iri for iri in [*default, *named] if iri not in known]
        if unknown:
            raise QueryRefused(
                f"graph {', '.join('<' + u + '>' for u in unknown)} is not in this dataset, and "
                "this endpoint never fetches graphs from the web; available graphs: "
                + ", ".join(f"<{g}>" for g in sorted(known))
            )
        return default, named

    def status(self) -> dict[str, Any]:
        """The query workers at a glance, without evaluating anything or waiting for a worker
        (so /health answers at once however busy the workers are): `size`, `alive`, `idle`, and
        `problem`, why queries cannot be answered (None: they can)."""
        return self._executor.status()

    def close(self) -> None:
        """Stop the query workers."""
        self._generation.close()

    def __enter__(self) -> Backend:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def store_options(config: Mapping[str, Any]) -> dict[str, Any]:
    """The options of `kg.stores.open_store` for the store the settings choose."""
    kind = config.get("STORE") or "memory"
    if kind == "oxigraph":
        return {"store_path": str(config.get("STORE_PATH") or ""),
                "memory_quads": int(config.get("STORE_IN_MEMORY_QUADS", 0) or 0)}
    if kind == "remote":
        timeout_s = int(config.get("QUERY_TIMEOUT_MS", 10_000)) / 1000.0 + 5.0
        return {"endpoint": str(config.get("ENDPOINT") or ""), "timeout_s": timeout_s,
                "auth": str(config.get("REMOTE_AUTH") or "basic")}
    return {}


class _Generation:
    """One build being served: its directory, manifest and executor, and how many requests
    (or calls) use it right now. Retired by `Backend.reload`, it is closed when the last of
    them ends, or after a grace period."""

    def __init__(self, dist: Path, manifest: dict[str, Any], pool: executor.Executor) -> None:
        self.dist = dist
        self.manifest = manifest
        self.content_hash = str(manifest.get("content_hash", ""))
        self.executor = pool
        self._users = 0
        self._retired = False
        self._closed = False
        self._lock = threading.Lock()
        self._names: list[URIRef] | None = None

    def graph_names(self) -> list[URIRef]:
        if self._names is None:
            names = self.manifest.get("graphs") or self.manifest.get("triples") or {}
            self._names = (sorted(URIRef(n) for n in names) if names
                           else self.executor.graph_names())
        return list(self._names)

    def move(self, dist: Path, manifest: dict[str, Any]) -> None:
        """The same content now lives in `dist` (a rebuild of the same sources): workers that
        start from now on load it from there."""
        self.dist = dist
        self.manifest = manifest
        if hasattr(self.executor, "dist"):
            self.executor.dist = dist  # type: ignore[attr-defined]

    def acquire(self) -> _Generation:
        with self._lock:
            self._users += 1
        return self

    def release(self) -> None:
        with self._lock:
            self._users -= 1
            close = self._retired and self._users <= 0
        if close:
            self.close()

    def retire(self, grace_s: float) -> None:
        with self._lock:
            self._retired = True
            close = self._users <= 0
        if close:
            self.close()
            return
        timer = threading.Timer(grace_s, self.close)
        timer.daemon = True
        timer.start()

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
        self.executor.close()


_PINS = "_ai45kg_generations"


def _request_pins() -> dict[int, _Generation] | None:
    """The generations pinned by the current request (None outside a request)."""
    from flask import g, has_app_context, has_request_context

    if not (has_request_context() and has_app_context()):
        return None
    pins = g.get(_PINS)
    if pins is None:
        pins = {}
        setattr(g, _PINS, pins)
    return pins


def _release_pins(sender: object, **extra: object) -> None:
    """At the end of a request's app context: release the builds it used."""
    from flask import g

    pins = g.pop(_PINS, None)
    for generation in (pins or {}).values():
        generation.release()


_connected = False


def _connect_teardown() -> None:
    """Release pinned builds when each app context ends (once per process)."""
    global _connected
    if not _connected:
        from flask import appcontext_tearing_down

        appcontext_tearing_down.connect(_release_pins, weak=False)
        _connected = True


@dataclass
class CheckedQuery:
    """A query that passed `check_query`: the text to evaluate (the project's prefixes it uses
    declared), its form, the graphs its FROM clauses name, and how many PREFIX lines were
    added in front of the text as written (error positions refer to the text as written)."""

    text: str
    form: str
    from_graphs: list[str] = field(default_factory=list)
    from_named_graphs: list[str] = field(default_factory=list)
    added: int = 0


#: the project's prefixes, as the screen takes them
_DEFAULT_PREFIXES = tuple(PREFIXES.items())


#: the deepest bracket nesting a query may have: far beyond any query a person writes, and
#: below the depth at which a recursive-descent parser (rdflib's, Oxigraph's) runs out of stack
MAX_NESTING = 128


def _near(sparql: str, line: int, column: int) -> str:
    lines = sparql.splitlines() or [""]
    return lines[min(line, len(lines)) - 1][column - 1:][:60]


def check_query(sparql: str, *, base: str | None = None) -> CheckedQuery:
    """Refuse what a public read-only endpoint must not do, before anything is evaluated, from
    the query's tokens (kg.sparqltext.screen: microseconds, no parser): updates, SERVICE, and a
    text with no query form at all, and brackets nested deeper than MAX_NESTING. Everything
    else about its syntax is the engine's to say, in a query worker.

    Raises:
        QuerySyntaxError: the text is no SELECT, ASK, CONSTRUCT or DESCRIBE query, or it nests
            deeper than MAX_NESTING.
        QueryRefused: it is an update, or it uses SERVICE (federation is off).
    """
    # the project's prefixes (ai45:, level:, rdfs: ...) need no PREFIX line, as on Wikidata's
    # query service; error positions still refer to the text as written
    text, added = with_default_prefixes(sparql)
    found = screen(sparql, base, _DEFAULT_PREFIXES)
    if found.update is not None:
        raise QueryRefused(READ_ONLY)
    if found.service is not None:
        raise QueryRefused(
            f"SERVICE {found.service} is refused: this endpoint does not send queries to other "
            "endpoints (federated query is off); query each endpoint directly and combine the "
            "results in your client"
        )
    if found.form is None:
        raise QuerySyntaxError("expected a query: SELECT, ASK, CONSTRUCT or DESCRIBE",
                               found.line, found.column, _near(sparql, found.line, found.column))
    if found.depth > MAX_NESTING:
        raise QuerySyntaxError(
            f"brackets nested {found.depth} deep; this endpoint reads queries nested up to "
            f"{MAX_NESTING} deep (groups, subqueries, parentheses and blank-node brackets "
            "together): write the deepest part flatter, e.g. one group with several patterns",
            found.depth_line, found.depth_column,
            _near(sparql, found.depth_line, found.depth_column))
    return CheckedQuery(text=text, form=found.form, from_graphs=list(found.from_graphs),
                        from_named_graphs=list(found.from_named_graphs), added=added)


def _tighter(configured: int, requested: int | None) -> int:
    if requested is None or requested <= 0:
        return configured
    return min(configured, int(requested))
