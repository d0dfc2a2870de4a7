"""`ai45kg serve` (granian) as a subprocess for the reliability tests and the load test: start it
on a free loopback port with the given settings, wait until it answers, stop it (and its whole
process group) afterwards."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

AI45KG = Path(sys.executable).with_name("ai45kg")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    port: int
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log_text(self) -> str:
        try:
            return self.log.read_text(errors="replace")
        except OSError:
            return ""


def http(url: str, data: bytes | None = None, headers: Mapping[str, str] | None = None,
         timeout: float = 30.0, method: str | None = None) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, data=data, headers=dict(headers or {}), method=method)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


def wait_until_up(server: Server, timeout: float = 120.0, path: str = "/sparql?query=ASK%7B%7D",
                  ) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if server.process.poll() is not None:
            raise RuntimeError(f"ai45kg serve exited with {server.process.returncode}:\n"
                               + server.log_text()[-5000:])
        with contextlib.suppress(OSError):
            if http(server.base + path, timeout=5)[0] == 200:
                return
        if time.monotonic() > deadline:
            raise RuntimeError(f"ai45kg serve did not answer in {timeout} s:\n"
                               + server.log_text()[-5000:])
        time.sleep(0.25)


@contextlib.contextmanager
def serving(dist: Path, log: Path, *, settings: Mapping[str, str | int] | None = None,
            port: int | None = None) -> Iterator[Server]:
    """Run `ai45kg serve` on 127.0.0.1 with AI45_<NAME> settings until the block ends."""
    port = port or free_port()
    env = {**os.environ, "AI45_DIST": str(dist), "PYTHONUNBUFFERED": "1"}
    env.update({f"AI45_{k}": str(v) for k, v in (settings or {}).items()})
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(AI45KG), "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )
    server = Server(port, process, log)
    try:
        wait_until_up(server)
        yield server
    finally:
        stop(server)


def stop(server: Server) -> None:
    process = server.process
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            pass
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)  # the group this server started, nothing else
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=10)


def children(pid: int) -> list[int]:
    """The direct children of `pid` (Linux /proc)."""
    out = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[1]) == pid and fields[0] != "Z":
            out.append(int(entry.name))
    return sorted(out)


def command_line(pid: int) -> str:
    try:
        return (Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
                .decode(errors="replace"))
    except OSError:
        return ""
