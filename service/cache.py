"""An in-process cache of rendered query responses, bounded in bytes (CACHE_BYTES).

The dataset is read-only between builds, so a response is fully determined by the build's
content hash and the request: the query text (normalised: comments dropped, whitespace runs
outside strings and IRIs made one space), the dataset parameters and the media type. That
digest is the response's ETag, and the cache key: an entry can never be served for another
build, and `Backend.reload()` empties the cache when the build changes, to free the memory.
A request with `Cache-Control: no-cache` is evaluated afresh (and refreshes the kept answer).

Used by /sparql (service.sparql) and the named-query routes (`cached_view`, a decorator of
service.queries.show). Least recently used entries go first; a response larger than a quarter
of the budget is not kept. The cache is per HTTP process (gunicorn WORKERS each have their own).
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

from kg import queries as named

#: response headers worth keeping with a cached body (the others are set per request)
KEPT_HEADERS = ("Content-Type", "AI45-Truncated", "Content-Disposition", "Vary")
CACHE_HEADER = "AI45-Cache"
HIT_HEADERS = ((CACHE_HEADER, "hit"), ("Server-Timing", "cache;desc=hit"))


@dataclass(frozen=True)
class Entry:
    body: bytes
    headers: tuple[tuple[str, str], ...]

    @property
    def size(self) -> int:
        return len(self.body) + sum(len(k) + len(v) for k, v in self.headers) + 200

    def response(self) -> Response:
        return Response(self.body, headers=[*self.headers, *HIT_HEADERS])


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
        entry = Entry(bytes(body), tuple((k, v) for k, v in headers if k in KEPT_HEADERS))
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

    def store(self, key: str, response: Response) -> bool:
        """Keep a finished 200 response (its body and the headers in KEPT_HEADERS)."""
        if response.status_code != 200 or response.is_streamed:
            return False
        return self.put(key, response.get_data(), response.headers.items())

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


def lookup(cache: ResponseCache, key: str) -> Entry | None:
    """The kept response for `key`, unless the request says `Cache-Control: no-cache` (RFC 9111
    5.2.1.4: do not answer from a cache without validating): then the query is evaluated again
    and its fresh answer replaces the kept one."""
    if request.cache_control.no_cache:
        return None
    return cache.get(key)


def cached_view(view: Callable[..., Any]) -> Callable[..., Any]:
    """Cache a named-query route's non-HTML answers, with a weak ETag and If-None-Match.

    The key holds the build's content hash, the path, every query-string value, the Accept
    header and the state of the queries/ files. HTML pages are never kept (they may carry
    per-response details); other 200 answers are, within CACHE_BYTES.
    """

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        backend = current_app.extensions["ai45kg"]
        cache: ResponseCache | None = getattr(backend, "cache", None)
        if request.method not in ("GET", "HEAD") or cache is None:
            return view(*args, **kwargs)
        key = digest("view", backend.content_hash, request.path,
                     *sorted(f"{k}={v}" for k, vs in request.args.lists() for v in vs),
                     request.headers.get("Accept", ""), named.catalogue().stamp)
        etag = key[:32]
        if revalidated(etag):
            return not_modified(etag)
        hit = lookup(cache, key)
        if hit is not None:
            response = hit.response()
            validators(response, etag)
            return response
        response = current_app.make_response(view(*args, **kwargs))
        if response.status_code == 200 and response.mimetype != "text/html":
            response.headers[CACHE_HEADER] = "miss"
            validators(response, etag)
            cache.store(key, response)
        return response

    return wrapper


def validators(response: Response, etag: str) -> None:
    """A weak ETag, `Cache-Control: public, max-age=CACHE_MAX_AGE` and `Vary: Accept`: what lets
    clients and proxies keep an answer and revalidate it for free. (Set as plain header values:
    this runs on every cached answer, where werkzeug's parsed views cost more than the rest.)"""
    headers = response.headers
    headers["ETag"] = f'W/"{etag}"'
    max_age = int(current_app.config.get("CACHE_MAX_AGE", 300))
    headers["Cache-Control"] = f"public, max-age={max_age}"
    vary = headers.get("Vary")
    if vary is None:
        headers["Vary"] = "Accept"
    elif "accept" not in {v.strip().lower() for v in vary.split(",")}:
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
