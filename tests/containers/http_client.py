"""Talk HTTP to a service in a container, including a request held open on purpose."""

import json
import socket
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Reply:
    status: int
    body: bytes

    def json(self) -> object:
        return json.loads(self.body)


def request(method: str, url: str, payload: object = None, timeout: float = 10) -> Reply:
    data = None if payload is None else json.dumps(payload).encode()
    headers = {"Content-Type": "application/json"} if data is not None else {}
    req = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as response:
            return Reply(response.status, response.read())
    except urllib.error.HTTPError as error:
        return Reply(error.code, error.read())


def wait_for_status(
    url: str, status: int = 200, timeout: float = 60, interval: float = 0.05
) -> float:
    """Poll until `url` answers `status`; returns the seconds it took."""
    started = time.monotonic()
    last: str = "no answer"
    while time.monotonic() - started < timeout:
        try:
            reply = request("GET", url, timeout=2)
            if reply.status == status:
                return time.monotonic() - started
            last = f"{reply.status} {reply.body[:300]!r}"
        except OSError as error:
            last = repr(error)
        time.sleep(interval)
    raise AssertionError(f"{url} did not answer {status} within {timeout} s; last: {last}")


def wait_until_refused(host: str, port: int, timeout: float = 15) -> float:
    """Poll until new connections are refused (the server closed its listening socket)."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        try:
            with socket.create_connection((host, port), timeout=1):
                pass
        except OSError:
            return time.monotonic() - started
        time.sleep(0.05)
    raise AssertionError(f"{host}:{port} still accepted connections after {timeout} s")


def slow_upload(
    host: str, port: int, path: str, payload: object, while_in_flight: Callable[[], None]
) -> Reply:
    """POST whose body arrives in two parts; `while_in_flight` runs between them.

    Once the headers are in, the server has started the request: it is in flight
    until the body is complete and the response sent, however long that takes.
    """
    body = json.dumps(payload).encode()
    head = (
        f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    ).encode()
    with socket.create_connection((host, port), timeout=60) as connection:
        connection.sendall(head + body[:1])
        while_in_flight()
        connection.sendall(body[1:])
        raw = b""
        while chunk := connection.recv(65536):
            raw += chunk
    status_line, _, rest = raw.partition(b"\r\n")
    _, _, response_body = rest.partition(b"\r\n\r\n")
    return Reply(int(status_line.split()[1]), response_body)
