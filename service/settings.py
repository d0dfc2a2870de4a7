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
    Setting("DIST", "", "Directory of the built dataset (default: dist/ of the project)."),
    Setting("STORE", "memory", "Store that answers queries: memory."),
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
            "HTTP server (gunicorn) processes of `ai45kg serve`; each has its own QUERY_WORKERS."),
    Setting("THREADS", 8, "Request threads per HTTP server process."),
]


def defaults() -> dict[str, Any]:
    return {s.name: s.default for s in SETTINGS}
