"""Fixtures shared by the service's tests: the run's environment, the app in-process, and
one whole lifetime of the real server as a process.

What the tests share besides fixtures (processes, free ports, waiting) is in support/;
each option of the service may bring a module there, loaded here as a plugin.
"""

import io
import json
import logging
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass

import httpx2
import pytest
import structlog
import support
from fastapi import FastAPI
from fastapi.testclient import TestClient
from support import PACKAGE as PACKAGE
from support import PROJECT_ROOT as PROJECT_ROOT
from support import ServiceProcess, credentials

from {{ cookiecutter.package_name }}.app import create_app
from {{ cookiecutter.package_name }}.logs import configure_logging
from {{ cookiecutter.package_name }}.settings import Settings

# Each option's support module (tests/support/*.py), found rather than listed.
pytest_plugins = support.options()
# Settings the tests pin, whatever the developer's shell says.
PINNED_ENV = {"LOG_LEVEL": "INFO", "LOG_FORMAT": "json"}


def needs_backing_services(session: pytest.Session) -> bool:
    """False when every test collected reads code only (marked `code_only`)."""
    return any(item.get_closest_marker("code_only") is None for item in session.items)


@pytest.fixture(scope="session", autouse=True)
def environment(request: pytest.FixtureRequest) -> Iterator[dict[str, str]]:
    """The variables of the whole session: the pinned ones and every option's (`attach()`).

    Every Settings() of the tests and every process they start reads them. A run of
    `code_only` tests alone attaches nothing, so it passes with every service down.
    """
    with pytest.MonkeyPatch.context() as patch:
        for name, value in PINNED_ENV.items():
            patch.setenv(name, value)
        if not needs_backing_services(request.session):
            yield PINNED_ENV
            return
        with support.attached_environment() as attached:
            yield PINNED_ENV | attached


@pytest.fixture
def settings() -> Settings:
    return Settings()


@pytest.fixture
def app(settings: Settings) -> FastAPI:
    return create_app(settings)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    """A client of the app that gets in: with a token of every scope if it checks tokens."""
    with TestClient(app, headers=credentials()) as client:
        yield client


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    """Tests that configure logging in this process must not leak it into the next test."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers, root.level = handlers, level
    logging.captureWarnings(False)
    structlog.reset_defaults()


class CapturedLogs:
    def __init__(self) -> None:
        self.stream = io.StringIO()

    def lines(self) -> list[str]:
        return self.stream.getvalue().splitlines()

    def records(self) -> list[dict]:
        return [json.loads(line) for line in self.lines()]


@pytest.fixture
def captured_logs() -> CapturedLogs:
    """Logging configured as the service does it, writing JSON lines to a buffer."""
    logs = CapturedLogs()
    configure_logging("INFO", "json", stream=logs.stream)
    return logs


# --- one whole lifetime of the real server, shared by test_logs.py and test_shutdown.py ---

IN_FLIGHT_BODY = b'{"text": "Drain me, gently"}'
# uvicorn logs this once it has closed its listening socket.
WAITING_FOR_CONNECTIONS = "Waiting for connections to close. (CTRL+C to force quit)"


def start_request_in_flight(port: int, request_id: str) -> socket.socket:
    """Send a real `POST /v1/slugs` but hold back its body: a request in flight.

    `Expect: 100-continue` makes the server answer "100 Continue" when the endpoint
    starts reading the body, so the caller knows the request is being served.
    """
    headers = {
        "Host": "service",
        "Content-Type": "application/json",
        "Content-Length": str(len(IN_FLIGHT_BODY)),
        "Expect": "100-continue",
        "X-Request-ID": request_id,
        **credentials(),
    }
    head = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
    connection = socket.create_connection(("127.0.0.1", port), timeout=10)
    connection.sendall(f"POST /v1/slugs HTTP/1.1\r\n{head}\r\n".encode("latin-1"))
    interim = connection.recv(1024)
    assert interim.startswith(b"HTTP/1.1 100 Continue"), interim
    return connection


def read_response(connection: socket.socket) -> tuple[int, dict[str, str], bytes]:
    data = b""
    while chunk := connection.recv(65536):  # a draining server closes the connection
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.lower().split(": ", 1) for line in header_lines)
    return int(status_line.split()[1]), headers, body


@dataclass
class Lifetime:
    server: ServiceProcess
    drain_timeout_seconds: int
    new_connection_refused: bool
    in_flight_status: int
    in_flight_headers: dict[str, str]
    in_flight_body: bytes
    exit_seconds: float


@pytest.fixture(scope="session")
def lifetime() -> Iterator[Lifetime]:
    """One whole life of `python -m <package> web`, watched from outside.

    It serves a request, then holds two requests in flight and gets SIGTERM. One
    request's body follows after the signal; the other's never comes, so it outlasts
    the drain timeout. Run once per session: starting the real process is the slow part.
    """
    drain_timeout_seconds = 2
    with ServiceProcess("web", {"SHUTDOWN_TIMEOUT_SECONDS": str(drain_timeout_seconds)}) as server:
        server.wait_until_serving()
        httpx2.get(f"{server.url}/livez", headers={"X-Request-ID": "from-the-client"})
        finishing = start_request_in_flight(server.port, "in-flight-1")
        outlasting = start_request_in_flight(server.port, "outlasts-the-drain")
        sigterm_at = time.monotonic()
        server.terminate()
        server.wait_for_log(lambda r: r["message"] == WAITING_FOR_CONNECTIONS, "drain log line")
        try:
            socket.create_connection(("127.0.0.1", server.port), timeout=2).close()
            refused = False
        except ConnectionRefusedError:
            refused = True
        finishing.sendall(IN_FLIGHT_BODY)
        status, headers, body = read_response(finishing)
        finishing.close()
        server.wait(timeout=drain_timeout_seconds + 15)
        exit_seconds = time.monotonic() - sigterm_at
        outlasting.close()
        yield Lifetime(server, drain_timeout_seconds, refused, status, headers, body, exit_seconds)
