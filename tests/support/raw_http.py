"""HTTP/1.1 over raw sockets, for clients that misbehave on purpose: stop reading a response, send a
body slowly or never, send nothing at all."""

from __future__ import annotations

import select
import socket
import time
from dataclasses import dataclass
from urllib.parse import urlsplit


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes


def address(base_url: str) -> tuple[str, int]:
    parts = urlsplit(base_url)
    return parts.hostname or "127.0.0.1", parts.port or 80


def head(method: str, path: str, headers: dict[str, str] | None = None, host: str = "127.0.0.1") -> bytes:
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}"]
    lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def connect(base_url: str, rcvbuf: int | None = None) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if rcvbuf is not None:  # before connect, so the advertised window stays small
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    sock.connect(address(base_url))
    return sock


def stalled(base_url: str, request: bytes) -> socket.socket:
    """Send a request and never read the answer (a tiny receive window, so the server's writes block)."""
    sock = connect(base_url, rcvbuf=4096)
    sock.sendall(request)
    return sock


def read_answer(sock: socket.socket, timeout: float = 10.0) -> Answer:
    """Status, headers and whatever body arrives until the peer closes or goes quiet for `timeout`."""
    sock.settimeout(timeout)
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError(f"closed before a full answer: {data[:200]!r}")
        data += chunk
    raw_head, _, body = data.partition(b"\r\n\r\n")
    status_line, *header_lines = raw_head.decode("latin-1").split("\r\n")
    headers = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", -1))
    try:
        while length < 0 or len(body) < length:
            chunk = sock.recv(65536)
            if not chunk:
                break
            body += chunk
    except (TimeoutError, OSError):
        pass
    return Answer(int(status_line.split()[1]), headers, body)


def closed_within(sock: socket.socket, seconds: float) -> tuple[bool, bytes]:
    """Whether the server closes the connection within `seconds` (and what it sent first)."""
    deadline = time.monotonic() + seconds
    received = b""
    while time.monotonic() < deadline:
        ready, _, _ = select.select([sock], [], [], max(0.0, deadline - time.monotonic()))
        if not ready:
            break
        try:
            chunk = sock.recv(65536)
        except ConnectionResetError:
            return True, received
        if not chunk:
            return True, received
        received += chunk
    return False, received


def upload_until_answered(
    base_url: str, request_head: bytes, give_up_after: int, chunk_size: int = 64 * 1024
) -> tuple[int, Answer | None]:
    """Send a chunked body until the server answers (or `give_up_after` bytes went out); returns the
    body bytes sent and the answer."""
    sock = connect(base_url)
    sock.sendall(request_head)
    payload = b"x" * chunk_size
    frame = f"{chunk_size:x}\r\n".encode() + payload + b"\r\n"
    sent = 0
    try:
        while sent < give_up_after:
            readable, _, _ = select.select([sock], [], [], 0)
            if readable:
                return sent, read_answer(sock, timeout=5)
            try:
                sock.sendall(frame)
            except (BrokenPipeError, ConnectionResetError):
                return sent, _late_answer(sock)
            sent += chunk_size
        readable, _, _ = select.select([sock], [], [], 2)
        return sent, read_answer(sock, timeout=5) if readable else None
    finally:
        sock.close()


def _late_answer(sock: socket.socket) -> Answer | None:
    try:
        return read_answer(sock, timeout=2)
    except (OSError, ConnectionError):
        return None
