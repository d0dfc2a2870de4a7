"""Every setting of the service, declared once as data: it drives the defaults of `create_app`,
the `ai45kg serve` flags, `/settings.json` and the README's table (a test keeps them in step).

Each setting can be given in the environment as AI45_<NAME> (Flask's `from_prefixed_env`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Setting:
    name: str
    default: Any
    help: str


SETTINGS: list[Setting] = [
    Setting("DIST", "", "Directory of the built dataset (default: dist/ of the checkout, or of "
            "the user's data directory for an installed package)."),
    Setting("STORE", "oxigraph",
            "Store that answers queries: oxigraph (embedded, persistent, loaded once per build), "
            "memory (rdflib, for small graphs and tests) or remote (the SPARQL endpoint ENDPOINT, "
            "loaded with `ai45kg push`)."),
    Setting("STORE_PATH", "",
            "Directory under which Oxigraph stores live, one per build (named by its content "
            "hash); empty: .oxigraph/ beside DIST."),
    Setting("STORE_IN_MEMORY_QUADS", 500_000,
            "The Oxigraph store's query workers copy a build of at most this many quads from "
            "the store on disk into memory and query the copy (three to four times faster; each "
            "worker holds its own: about 0.3 s and 10 MB for the paper's build); 0: always "
            "query the store on disk."),
    Setting("ENDPOINT", "",
            "SPARQL 1.1 query endpoint of the remote store (STORE=remote), e.g. "
            "http://127.0.0.1:8890/sparql; credentials come from AI45_REMOTE_USER and "
            "AI45_REMOTE_PASSWORD, never from a flag."),
    Setting("UPDATE_ENDPOINT", "",
            "SPARQL 1.1 update endpoint that `ai45kg push` writes to (default: ENDPOINT), e.g. "
            "Virtuoso's /sparql-auth."),
    Setting("GRAPH_STORE", "",
            "SPARQL 1.1 Graph Store Protocol endpoint; when set, `ai45kg push` PUTs each graph "
            "there instead of sending INSERT DATA (faster for large graphs)."),
    Setting("REMOTE_AUTH", "basic",
            "HTTP authentication scheme for the remote store's credentials: basic or digest "
            "(Virtuoso's /sparql-auth)."),
    Setting("CACHE_BYTES", 64 * 2**20,
            "Size of the in-process cache of rendered query answers, in bytes, per HTTP "
            "process; 0: off. Keyed by the build's content hash, so a new build never gets an old "
            "answer."),
    Setting("BASE_IRI", "https://w3id.org/ai45/",
            "IRI prefix of the resources; /id/..., /ontology and /graph/... are served under it."),
    Setting("QUERY_TIMEOUT_MS", 10_000, "Wall-clock limit of one query; the work is killed after."),
    Setting("MAX_ROWS", 10_000, "Most result rows (or triples) returned; more are truncated."),
    Setting("MAX_QUERY_LENGTH", 100_000, "Longest query text accepted, in characters."),
    Setting("QUERY_WORKERS", 2, "Query worker processes per server process."),
    Setting("CORS_ORIGINS", "*",
            "Origins allowed to query from a browser: * (any, without credentials) or a "
            "space-separated list."),
    Setting("STRICT_UTF8", True,
            "Refuse (415) a direct POST whose Content-Type declares a charset other than UTF-8, "
            "as SPARQL 1.1 Protocol 2.1.3 says (the W3C test bad_query_non_utf8); off: decode "
            "the declared charset instead."),
    Setting("CACHE_MAX_AGE", 300,
            "Seconds that clients and proxies may reuse a query result (Cache-Control max-age); "
            "results also carry an ETag, so If-None-Match revalidates for free."),
    Setting("CONTENT_SECURITY_POLICY",
            "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
            "script-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'",
            "Content-Security-Policy of HTML pages that do not set their own; empty: none."),
    Setting("WORKER_MEMORY_MB", 2048,
            "Address space of each query worker, in MiB; a query that needs more is stopped "
            "(503) and the worker replaced. 0: no limit."),
    Setting("HOST", "127.0.0.1", "Address `ai45kg serve` listens on."),
    Setting("PORT", 8045, "Port `ai45kg serve` listens on."),
    Setting("WORKERS", 1,
            "HTTP server (granian) processes of `ai45kg serve`; each has its own QUERY_WORKERS."),
    Setting("THREADS", 8, "Request threads per HTTP server process."),
    Setting("ACCESS_LOG", True,
            "`ai45kg serve` logs each request on stderr (granian's access log); off behind a "
            "proxy that logs them already: about a tenth of the HTTP process's Python time."),
    Setting("ADMIN_TOKEN", "",
            "Bearer token for the admin routes that change what is served (POST /admin/reload); "
            "empty: they are off (404). Give it in the environment (AI45_ADMIN_TOKEN), at least "
            "16 characters; /settings.json never shows it."),
]

#: settings whose value is a secret: never shown (/settings.json says only whether it is set)
SECRET_SETTINGS = frozenset({"ADMIN_TOKEN"})


def defaults() -> dict[str, Any]:
    return {s.name: s.default for s in SETTINGS}
#: the pid of `ai45kg serve`'s main (granian) process, set for its HTTP processes: POST
#: /admin/reload asks it to replace them all (SIGHUP) when there are several (service.admin)
MAIN_PID_ENV = "AI45_SERVE_MAIN_PID"
