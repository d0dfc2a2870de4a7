"""Small network tools for the reliability tests: a TCP listener that records every connection
made to it (the target of SERVICE / FROM / LOAD / XXE payloads, so that an outbound connection
would be seen), a raw HTTP/1.1 client that sends exactly the bytes it is given (invalid UTF-8,
NUL bytes, duplicate parameters, oversized bodies), and a /health poller."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from dataclasses import dataclass, field
from typing import Any


class ConnectionRecorder:
    """Listens on 127.0.0.1 (an ephemeral port) and records each connection: when, and the first
    bytes the peer sent. Answers nothing useful (a bare 404), then closes."""

    def __init__(self) -> None:
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(64)
        self._sock.settimeout(0.2)
        self.port: int = self._sock.getsockname()[1]
        self.connections: list[tuple[float, bytes]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="connection-recorder",
                                        daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except (TimeoutError, OSError):
                continue
            with conn:
                conn.settimeout(0.5)
                data = b""
                with contextlib.suppress(OSError):
                    data = conn.recv(4096)
                self.connections.append((time.time(), data))
                with contextlib.suppress(OSError):
                    conn.sendall(b"HTTP/1.0 404 Not Found\r\nContent-Length: 0\r\n\r\n")

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self._sock.close()

    def __enter__(self) -> ConnectionRecorder:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@dataclass
class RawResponse:
    status: int
    headers: dict[str, str]
    body: bytes
    seconds: float

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def media_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip().lower()


def raw_request(port: int, data: bytes, timeout: float = 30.0) -> RawResponse:
    """Send `data` (a whole HTTP request, bytes as they are) to 127.0.0.1:port and read the
    response until the server closes the connection (send `Connection: close`)."""
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        with contextlib.suppress(OSError):  # the server may answer (413, 400) before reading all
            sock.sendall(data)
        chunks = []
        while True:
            try:
                chunk = sock.recv(65536)
            except ConnectionResetError:
                break
            if not chunk:
                break
            chunks.append(chunk)
    seconds = time.monotonic() - started
    raw = b"".join(chunks)
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode("iso-8859-1").split("\r\n")
    if not lines or not lines[0].startswith("HTTP/"):
        raise ConnectionError(f"no HTTP response: {raw[:200]!r}")
    status = int(lines[0].split()[1])
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    if headers.get("transfer-encoding", "").lower() == "chunked":
        body = _dechunk(body)
    return RawResponse(status, headers, body, seconds)


def _dechunk(body: bytes) -> bytes:
    out = bytearray()
    while body:
        size_line, _, rest = body.partition(b"\r\n")
        size = int(size_line.split(b";")[0] or b"0", 16)
        if size == 0:
            break
        out += rest[:size]
        body = rest[size + 2:]
    return bytes(out)


def build_request(method: str, target: str, *, headers: dict[str, str] | None = None,
                  body: bytes | None = None, host: str = "127.0.0.1") -> bytes:
    """The bytes of an HTTP/1.1 request (`target` is sent as given: it may be malformed)."""
    lines = [f"{method} {target} HTTP/1.1", f"Host: {host}", "Connection: close"]
    for name, value in (headers or {}).items():
        lines.append(f"{name}: {value}")
    if body is not None:
        lines.append(f"Content-Length: {len(body)}")
    return "\r\n".join(lines).encode("latin-1", "surrogateescape") + b"\r\n\r\n" + (body or b"")


@dataclass
class HealthPoller:
    """Polls /health from a background thread and records (status, seconds) of each answer."""

    port: int
    interval: float = 0.05
    results: list[tuple[int | str, float]] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> HealthPoller:
        self._thread = threading.Thread(target=self._run, name="health-poller", daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        request = build_request("GET", "/health", headers={"Accept": "application/json"})
        while not self._stop.is_set():
            started = time.monotonic()
            try:
                status: int | str = raw_request(self.port, request, timeout=5.0).status
            except OSError as exc:
                status = f"{type(exc).__name__}: {exc}"
            self.results.append((status, time.monotonic() - started))
            self._stop.wait(self.interval)

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def slow(self, limit_s: float) -> list[tuple[int | str, float]]:
        return [r for r in self.results if r[0] != 200 or r[1] > limit_s]
