"""The response cache: rendered answers kept in process, bounded in bytes (CACHE_BYTES).

The dataset is read-only between builds, so an answer is fully determined by the build's content
hash and the request. Two things follow from that:

- validators: /sparql and the named-query routes give each answer a weak ETag from the content
  hash and what the answer depends on (for /sparql the query text normalised: comments dropped,
  whitespace runs outside strings and IRIs made one space; the dataset parameters; the media
  type), `Cache-Control: public, max-age=CACHE_MAX_AGE` and `Vary: Accept`; `If-None-Match` gets a
  304 without evaluating anything (`validators`, `revalidated`, `not_modified`, `cached_view`).
- `CacheMiddleware`, in front of the whole app (as Django's per-site cache): a plain GET whose
  answer is kept is answered from here, without Flask's request handling, which costs more than
  sending the bytes. The key is the build's content hash and the request as it arrived: URL,
  Accept, Origin (CORS headers depend on it) and the state of the queries/ files. Routes mark what
  may be kept with `AI45-Cache: miss` (results of /sparql and the named queries, never HTML); a
  request with `Cache-Control: no-cache` (RFC 9111 5.2.1.4) is evaluated again and its answer
  replaces the kept one. An entry can never be served for another build, and `Backend.reload()`
  empties the cache when the build changes, to free the memory.

Least recently used entries go first; a response larger than a quarter of the budget is not kept.
The cache is per HTTP process (each of the WORKERS has its own).
"""

from __future__ import annotations

import functools
import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from flask import Response, current_app, request
from werkzeug.datastructures import RequestCacheControl
from werkzeug.http import parse_cache_control_header

from ai45kg.kg import queries as named

CACHE_HEADER = "AI45-Cache"
#: response headers that belong to one response, not to the answer: never kept
PER_RESPONSE = frozenset({"ai45-cache", "server-timing", "date", "server", "set-cookie",
                          "connection", "transfer-encoding", "keep-alive"})
HIT_HEADERS = ((CACHE_HEADER, "hit"), ("Server-Timing", "cache;desc=hit"))


@dataclass(frozen=True)
class Entry:
    body: bytes
    headers: tuple[tuple[str, str], ...]

    @property
    def size(self) -> int:
        return len(self.body) + sum(len(k) + len(v) for k, v in self.headers) + 200


class ResponseCache:
    """A thread-safe LRU of `Entry`s bounded by their total size in bytes (0: off)."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max(0, int(max_bytes))
        self._entries: OrderedDict[str, Entry] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    @property
    def enabled(self) -> bool:
        return self.max_bytes > 0

    def get(self, key: str) -> Entry | None:
        if not self.enabled:
            return None
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                self.misses += 1
                return None
            self._entries.move_to_end(key)
            self.hits += 1
            return entry

    def put(self, key: str, body: bytes, headers: Iterable[tuple[str, str]]) -> bool:
        """Keep a response; False when it is too large for the budget (or caching is off)."""
        entry = Entry(bytes(body),
                      tuple((k, v) for k, v in headers if k.lower() not in PER_RESPONSE))
        if not self.enabled or entry.size > self.max_bytes // 4:
            return False
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self._bytes -= old.size
            self._entries[key] = entry
            self._bytes += entry.size
            while self._bytes > self.max_bytes and self._entries:
                _, dropped = self._entries.popitem(last=False)
                self._bytes -= dropped.size
        return True

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._bytes = 0

    def stats(self) -> dict[str, int]:
        with self._lock:
            return {"entries": len(self._entries), "bytes": self._bytes,
                    "max_bytes": self.max_bytes, "hits": self.hits, "misses": self.misses}


def digest(*parts: str) -> str:
    """A key from parts (NUL-separated, so that parts cannot run into each other)."""
    h = hashlib.sha256()
    for part in parts:
        h.update(part.encode("utf-8"))
        h.update(b"\0")
    return h.hexdigest()


class CacheMiddleware:
    """WSGI middleware that answers a plain GET from the response cache (see the module
    docstring), and keeps the answers the app marks with `AI45-Cache: miss`."""

    def __init__(self, wsgi_app: Any, cache: Callable[[], tuple[ResponseCache, str]]) -> None:
        #: the app below; `cache()` gives the cache and the content hash being served now
        self.wsgi_app = wsgi_app
        self.cache = cache

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        cache, content_hash = self.cache()
        if (not cache.enabled or environ.get("REQUEST_METHOD") != "GET"
                or "HTTP_IF_NONE_MATCH" in environ):  # the route revalidates without evaluating
            return self.wsgi_app(environ, start_response)
        key = request_key(environ, content_hash)
        if not _no_cache(environ.get("HTTP_CACHE_CONTROL", "")):
            hit = cache.get(key)
            if hit is not None:
                start_response("200 OK", [*hit.headers, *HIT_HEADERS])
                return [hit.body]
        answer: dict[str, Any] = {}

        def keep_status(status: str, headers: list[tuple[str, str]], exc_info: Any = None
                        ) -> Any:
            answer["status"], answer["headers"] = status, headers
            return start_response(status, headers, exc_info)

        body = self.wsgi_app(environ, keep_status)
        headers = answer.get("headers") or []
        if not (str(answer.get("status", "")).startswith("200 ")
                and (CACHE_HEADER, "miss") in headers):
            return body
        try:
            data = b"".join(body)
        finally:
            close = getattr(body, "close", None)
            if close is not None:
                close()
        cache.put(key, data, headers)
        return [data]


def request_key(environ: dict[str, Any], content_hash: str) -> str:
    """What a kept GET answer depends on: the build, the URL as sent, and the request headers
    that the answer varies on (Accept; Origin, for CORS)."""
    return digest("get", content_hash, environ.get("wsgi.url_scheme", ""),
                  environ.get("HTTP_HOST", ""), environ.get("SCRIPT_NAME", ""),
                  environ.get("PATH_INFO", ""), environ.get("QUERY_STRING", ""),
                  environ.get("HTTP_ACCEPT", ""), environ.get("HTTP_ORIGIN", ""),
                  named.catalogue().stamp)


def _no_cache(cache_control: str) -> bool:
    """Whether the request's Cache-Control asks for a fresh answer: werkzeug's parser, on the raw
    header (the hit path builds no Request), its directive names compared case-insensitively as
    RFC 9111 (5.2) says."""
    return bool(cache_control) and bool(
        parse_cache_control_header(cache_control.lower(), cls=RequestCacheControl).no_cache)


def cached_view(view: Callable[..., Any]) -> Callable[..., Any]:
    """Make a named-query route's non-HTML answers cacheable: a weak ETag (from the build's
    content hash, the path, every query-string value, the Accept header and the state of the
    queries/ files), If-None-Match, and the mark that lets CacheMiddleware keep them. HTML pages
    are never kept (they may carry per-response details).
    """

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        backend = current_app.extensions["ai45kg"]
        if request.method not in ("GET", "HEAD"):
            return view(*args, **kwargs)
        key = digest("view", backend.content_hash, request.path,
                     *sorted(f"{k}={v}" for k, vs in request.args.lists() for v in vs),
                     request.headers.get("Accept", ""), named.catalogue().stamp)
        etag = key[:32]
        if revalidated(etag):
            return not_modified(etag)
        response = current_app.make_response(view(*args, **kwargs))
        if response.status_code == 200 and response.mimetype != "text/html":
            response.headers[CACHE_HEADER] = "miss"
            validators(response, etag)
        return response

    return wrapper


def validators(response: Response, etag: str) -> None:
    """A weak ETag, `Cache-Control: public, max-age=CACHE_MAX_AGE` and `Vary: Accept`: what lets
    clients and proxies keep an answer and revalidate it for free."""
    response.set_etag(etag, weak=True)
    max_age = int(current_app.config.get("CACHE_MAX_AGE", 300))
    response.headers["Cache-Control"] = f"public, max-age={max_age}"
    response.vary.add("Accept")


def revalidated(etag: str) -> bool:
    """A GET or HEAD whose If-None-Match names this ETag (on other methods the header asks for
    something else, RFC 9110 13.1.2, so it is ignored)."""
    return request.method in ("GET", "HEAD") and request.if_none_match.contains_weak(etag)


def not_modified(etag: str) -> Response:
    """304 with the validators, for a client that holds the answer."""
    response = Response(status=304)
    validators(response, etag)
    return response
