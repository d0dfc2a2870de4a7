"""`KeptAlive`: the remote store's queries over one kept-alive HTTP connection per thread.

SPARQLWrapper opens a new connection for every request and reads every answer through
urllib's opener and header machinery: about 1 ms of CPU per query, measured in a query worker,
which is a third of what Virtuoso spends answering a light one. A remote store's worker sends
its queries one after another to one endpoint, so one `http.client` connection, opened again
when the endpoint has closed it, serves them all. SPARQLWrapper keeps what it does well:
updates (`ai45kg push`) and endpoints that want HTTP Digest, whose challenge it answers.
"""

from __future__ import annotations

import base64
import functools
import http.client
import threading
import urllib.parse
from dataclasses import dataclass

#: a request whose URL-encoded parameters are longer than this goes by form POST, not GET
GET_LIMIT = 2000
#: failures of a reused connection that the endpoint closed while it was idle: the request
#: is sent once more on a new connection (a query changes nothing, so sending it again is safe)
_STALE = (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError)


@functools.lru_cache(maxsize=64)
def _encoded(params: tuple[tuple[str, str], ...]) -> str:
    """URL-encoded parameters, remembered: a store sends the same dataset with every query."""
    return urllib.parse.urlencode(params)


@dataclass(frozen=True)
class Reply:
    """An endpoint's whole answer: its status, headers and at most `max_bytes` + 1 bytes."""

    status: int
    headers: http.client.HTTPMessage
    body: bytes

    @property
    def media(self) -> str:
        """The Content-Type without its parameters, in lower case ('' when there is none)."""
        return (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()


class KeptAlive:
    """GET (or form POST) requests to one SPARQL endpoint, each thread on its own connection.

    Raises OSError and http.client.HTTPException as http.client does; the caller words them.
    """

    def __init__(self, endpoint: str, *, timeout_s: float, agent: str,
                 basic: tuple[str, str] | None = None) -> None:
        parts = urllib.parse.urlsplit(endpoint)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"not an http(s) URL: {endpoint}")
        self._https = parts.scheme == "https"
        self._host = parts.hostname
        self._port = parts.port
        self._path = parts.path or "/"
        self._fixed = parts.query  # parameters the endpoint URL itself carries
        self._timeout = timeout_s
        self._headers = {"User-Agent": agent}
        if basic:
            token = base64.b64encode(f"{basic[0]}:{basic[1]}".encode()).decode("ascii")
            self._headers["Authorization"] = f"Basic {token}"
        self._local = threading.local()

    def _connection(self) -> http.client.HTTPConnection:
        conn: http.client.HTTPConnection | None = getattr(self._local, "conn", None)
        if conn is None:
            kind = http.client.HTTPSConnection if self._https else http.client.HTTPConnection
            conn = self._local.conn = kind(self._host, self._port, timeout=self._timeout)
        return conn

    def close(self) -> None:
        """Close the calling thread's connection (the next request opens another)."""
        conn = getattr(self._local, "conn", None)
        self._local.conn = None
        if conn is not None:
            conn.close()

    def request(self, query: str, dataset: tuple[tuple[str, str], ...], accept: str,
                max_bytes: int) -> Reply:
        """Send `query` with the protocol's `dataset` parameters (default-graph-uri and
        named-graph-uri pairs) and read the answer, up to `max_bytes` + 1 bytes: the caller
        tells an answer that is too long by its length."""
        encoded = "&".join(p for p in (self._fixed, "query=" + urllib.parse.quote_plus(query),
                                       _encoded(dataset)) if p)
        headers = {**self._headers, "Accept": accept}
        if len(encoded) > GET_LIMIT:
            method, target, body = "POST", self._path, encoded.encode("ascii")
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        else:
            method, target, body = "GET", f"{self._path}?{encoded}", None
        for attempt in (1, 2):
            conn = self._connection()
            reused = conn.sock is not None
            try:
                conn.request(method, target, body=body, headers=headers)
                response = conn.getresponse()
                data = response.read(max_bytes + 1)
            except _STALE:
                self.close()
                if reused and attempt == 1:
                    continue
                raise
            except BaseException:
                self.close()
                raise
            if not response.isclosed():  # an answer cut at max_bytes: the rest is never read
                self.close()
            return Reply(response.status, response.headers, data)
        raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises
