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
- 503 `ServiceUnavailable`: the workers cannot load the dataset, or one died mid-query.
- 400 `QueryError` itself: the store failed on a query that passed the checks.

Relative IRIs in a query are resolved against BASE_IRI (not the request URL), so that
`<id/layer/reflectable>` means the same resource on every host that serves the dataset.
"""

from __future__ import annotations

import re
import threading
import time
from collections import OrderedDict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pyparsing import ParseBaseException
from rdflib import URIRef
from rdflib.plugins.sparql.algebra import translateQuery
from rdflib.plugins.sparql.parser import parseQuery, parseUpdate
from rdflib.plugins.sparql.parserutils import CompValue
from rdflib.term import Identifier

from kg import paths
from kg.stores import QueryResult, read_manifest

from . import executor

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


class QueryOutOfMemory(QueryError):
    """The query needed more memory than WORKER_MEMORY_MB; its worker was replaced."""

    status = 503


@dataclass
class Outcome:
    """What `Backend.run` returns: the result, whether the row cap cut it, and the time taken."""

    result: QueryResult
    truncated: bool
    elapsed_ms: float


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
    ) -> None:
        self.dist = Path(dist).resolve()
        self.store_kind = store
        self.query_timeout_ms = int(query_timeout_ms)
        self.max_rows = int(max_rows)
        self.max_query_length = int(max_query_length)
        self.query_workers = int(query_workers)
        self.base_iri = base_iri
        self.manifest: dict[str, Any] = read_manifest(self.dist)
        self.content_hash: str = str(self.manifest.get("content_hash", ""))
        # rdflib's SPARQL parser (pyparsing) is not thread-safe: concurrent parses can corrupt
        # its grammar for good (pyparsing decides each parse action's arity by trial calls), so
        # every parse in this process happens under this lock; results are cached by query text
        self._parse_lock = threading.RLock()
        self._checked: OrderedDict[str, CheckedQuery] = OrderedDict()
        self._executor: executor.Executor = executor.make_executor(
            self.dist, store, self.query_workers, lock=self._parse_lock,
            memory_mb=int(worker_memory_mb),
        )
        self._graph_names: list[URIRef] | None = None

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
        )

    def graph_names(self) -> list[URIRef]:
        """The IRIs of the dataset's named graphs (from the build, without loading it)."""
        if self._graph_names is None:
            names = self.manifest.get("graphs") or self.manifest.get("triples") or {}
            if names:
                self._graph_names = sorted(URIRef(n) for n in names)
            else:
                self._graph_names = self._executor.graph_names()
        return list(self._graph_names)

    def check(self, sparql: str, *, max_length: int | None = None) -> CheckedQuery:
        """Parse and vet a query without evaluating it (length, syntax, refusals).

        Raises:
            QueryTooLong, QuerySyntaxError, QueryRefused.
        """
        limit = self.max_query_length if max_length is None else max_length
        if len(sparql) > limit:
            raise QueryTooLong(
                f"the query is {len(sparql)} characters long; this endpoint accepts at most "
                f"{limit} (setting MAX_QUERY_LENGTH)"
            )
        with self._parse_lock:
            checked = self._checked.get(sparql)
            if checked is not None:
                self._checked.move_to_end(sparql)
                return checked
            checked = check_query(sparql, base=self.base_iri)
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
    ) -> Outcome:
        """Check and evaluate one read-only query within the limits.

        `default_graph_uris` / `named_graph_uris` (the protocol's parameters) override the
        query's FROM / FROM NAMED, as SPARQL 1.1 Protocol section 2.1.4 says; either may only
        name graphs of the dataset. Without any of them the default graph is the union of all
        named graphs and every named graph is available to GRAPH.

        `time_limit_ms` can only tighten QUERY_TIMEOUT_MS. `max_rows` replaces MAX_ROWS for
        this call (the service's own pages may need more rows than a public query gets; the
        /sparql endpoint never passes it).

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
        )
        try:
            reply = self._executor.execute(task, limit_ms / 1000.0)
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
                f"the query workers cannot serve: {exc}; the server needs a restart "
                f"(it serves the build in {self.dist})"
            ) from exc
        except executor.EvaluationError as exc:
            raise QueryError(f"the query could not be evaluated: {exc}") from exc
        elapsed = (time.perf_counter() - started) * 1000.0
        return Outcome(result=reply.result, truncated=reply.truncated, elapsed_ms=elapsed)

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

    def close(self) -> None:
        """Stop the query workers."""
        self._executor.close()

    def __enter__(self) -> Backend:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@dataclass
class CheckedQuery:
    """A query that passed `check_query`: its form and the graphs its FROM clauses name."""

    text: str
    form: str
    from_graphs: list[str] = field(default_factory=list)
    from_named_graphs: list[str] = field(default_factory=list)


_UPDATE_KEYWORD = re.compile(
    r"(?i)(INSERT|DELETE|LOAD|CLEAR|DROP|CREATE|ADD|MOVE|COPY|WITH)\b"
)


def check_query(sparql: str, *, base: str | None = None) -> CheckedQuery:
    """Parse a query with rdflib's parser and refuse what a public read-only endpoint must not
    do, before anything is evaluated.

    Raises:
        QuerySyntaxError: the text is not a SPARQL 1.1 query (message, line, column).
        QueryRefused: it is an update, or it uses SERVICE (federation is off).
    """
    try:
        parsed = parseQuery(sparql)
    except ParseBaseException as exc:
        if _is_update(sparql, exc.loc):
            raise QueryRefused(READ_ONLY) from exc
        line_text = exc.line or ""
        raise QuerySyntaxError(exc.msg, exc.lineno, exc.col, line_text[exc.col - 1:]) from exc
    except Exception as exc:  # rdflib raises plain exceptions for some lexical errors
        raise QuerySyntaxError(str(exc) or type(exc).__name__) from exc
    for node in _walk(parsed):
        if node.name == "ServiceGraphPattern":
            raise QueryRefused(
                f"SERVICE {_n3(node.get('term'))} is refused: this endpoint does not send "
                "queries to other endpoints (federated query is off); query each endpoint "
                "directly and combine the results in your client"
            )
    try:
        query = translateQuery(parsed, base=base)
    except Exception as exc:  # rdflib reports semantic errors (scoping, grouping) this way
        raise QuerySyntaxError(str(exc) or type(exc).__name__) from exc
    algebra = query.algebra
    clause = (algebra["datasetClause"] if "datasetClause" in algebra else None) or []
    return CheckedQuery(
        text=sparql,
        form=algebra.name.removesuffix("Query").upper(),
        from_graphs=[str(d["default"]) for d in clause if "default" in d],
        from_named_graphs=[str(d["named"]) for d in clause if "named" in d],
    )


def _is_update(sparql: str, error_at: int) -> bool:
    """An update, as opposed to a broken query: it parses as one, or the query parser stopped
    right where an update keyword begins."""
    try:
        parseUpdate(sparql)
    except Exception:
        return bool(_UPDATE_KEYWORD.match(sparql, error_at))
    return True


def _walk(node: Any) -> Iterator[CompValue]:
    """Every CompValue in a parse tree (ParseResults, lists and CompValues nest freely)."""
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, CompValue):
            yield item
            stack.extend(item.values())
        elif isinstance(item, list | tuple) or hasattr(item, "asList"):
            stack.extend(list(item))


def _n3(term: Any) -> str:
    if isinstance(term, URIRef):
        return f"<{term}>"
    if isinstance(term, CompValue) and term.name == "pname":
        return f"{term['prefix'] or ''}:{term['localname'] or ''}"
    return str(term)


def _tighter(configured: int, requested: int | None) -> int:
    if requested is None or requested <= 0:
        return configured
    return min(configured, int(requested))
