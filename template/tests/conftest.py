"""Fixtures shared by the service's tests: the app in-process, and the real server as a process."""

import io
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx2
import pytest
import structlog
from fastapi import FastAPI
from fastapi.testclient import TestClient

from {{ cookiecutter.package_name }}.app import create_app
from {{ cookiecutter.package_name }}.logs import configure_logging
from {{ cookiecutter.package_name }}.settings import Settings
{% if cookiecutter.database == 'postgres' or cookiecutter.cache == 'redis' or cookiecutter.worker == 'celery' %}{% if cookiecutter.auth == 'jwt' %}
# A real identity provider that every Settings() trusts (tests/identity_provider.py),
# and fixtures for the real backing services (tests/backing_services.py).
pytest_plugins = ["identity_provider", "backing_services"]
{% else %}
# Fixtures for the real backing services: tests/backing_services.py.
pytest_plugins = ["backing_services"]
{% endif %}{% elif cookiecutter.auth == 'jwt' %}
# A real identity provider that every Settings() trusts: tests/identity_provider.py.
pytest_plugins = ["identity_provider"]
{% endif %}
PROJECT_ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "{{ cookiecutter.package_name }}"
# Settings the tests pin, whatever the developer's shell says.
PINNED_ENV = {"LOG_LEVEL": "INFO", "LOG_FORMAT": "json"}


@pytest.fixture
def settings(monkeypatch: pytest.MonkeyPatch) -> Settings:
    for name, value in PINNED_ENV.items():
        monkeypatch.setenv(name, value)
    return Settings()


@pytest.fixture
def app(settings: Settings) -> FastAPI:
    return create_app(settings)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
{%- if cookiecutter.auth == 'jwt' %}
    # Imported here, not above: pytest must load the plugin before anything imports it.
    from identity_provider import authorization

    # A token with every scope: the API's tests are about the API; test_auth.py about tokens.
    with TestClient(app, headers=authorization()) as client:
{%- else %}
    with TestClient(app) as client:
{%- endif %}
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


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def unused_port() -> int:
    return free_port()


class ServerProcess:
    """`python -m <package> web` as a real process, with its stdout and stderr collected."""

    def __init__(self, env: dict[str, str]) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [sys.executable, "-m", PACKAGE, "web"],
            env={**os.environ, **PINNED_ENV, **env, "PORT": str(self.port)},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.stdout: list[str] = []
        self.stderr: list[str] = []
        self._readers = [
            threading.Thread(target=self._collect, args=(stream, lines), daemon=True)
            for stream, lines in (
                (self.process.stdout, self.stdout),
                (self.process.stderr, self.stderr),
            )
        ]
        for reader in self._readers:
            reader.start()

    @staticmethod
    def _collect(stream, lines: list[str]) -> None:
        for line in stream:
            lines.append(line.rstrip("\n"))

    def output(self) -> str:
        return "\n".join(["stdout:", *self.stdout, "stderr:", *self.stderr])

    def wait_until_serving(self, timeout: float = 15) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process.poll() is None, f"the server exited early\n{self.output()}"
            try:
                if httpx2.get(f"{self.url}/livez", timeout=1).status_code == 200:
                    return
            except httpx2.TransportError:
                time.sleep(0.02)
        pytest.fail(f"the server did not answer /livez within {timeout} s\n{self.output()}")

    def wait_for_log(self, message: str, timeout: float = 10) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in list(self.stdout):
                record = json.loads(line)
                if record["message"] == message:
                    return record
            time.sleep(0.02)
        pytest.fail(f"no log line {message!r} within {timeout} s\n{self.output()}")

    def send_sigterm(self) -> None:
        self.sigterm_sent_at = time.monotonic()
        self.process.send_signal(signal.SIGTERM)

    def wait_for_exit(self, timeout: float) -> float:
        """Wait for the process to end; return the seconds since SIGTERM."""
        self.process.wait(timeout)
        elapsed = time.monotonic() - self.sigterm_sent_at
        for reader in self._readers:
            reader.join(timeout=5)  # the last lines may still be in the pipe
        return elapsed

    def records(self) -> list[dict]:
        return [json.loads(line) for line in self.stdout]

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        for reader in self._readers:
            reader.join(timeout=5)
        for pipe in (self.process.stdout, self.process.stderr):
            pipe.close()


# --- one whole lifetime of the real server, shared by test_logs.py and test_shutdown.py ---

IN_FLIGHT_BODY = b'{"text": "Drain me, gently"}'
# uvicorn logs this once it has closed its listening socket.
WAITING_FOR_CONNECTIONS = "Waiting for connections to close. (CTRL+C to force quit)"


def start_request_in_flight(port: int, request_id: str) -> socket.socket:
    """Send a real `POST /v1/slugs` but hold back its body: a request in flight.

    `Expect: 100-continue` makes the server answer "100 Continue" when the endpoint
    starts reading the body, so the caller knows the request is being served.
    """
{% if cookiecutter.auth == 'jwt' %}    from identity_provider import authorization  # a plugin: see the client fixture

{% endif %}    connection = socket.create_connection(("127.0.0.1", port), timeout=10)
    connection.sendall(
        b"POST /v1/slugs HTTP/1.1\r\n"
        b"Host: service\r\n"
        b"Content-Type: application/json\r\n"
        b"Content-Length: %d\r\n"
        b"Expect: 100-continue\r\n"
{%- if cookiecutter.auth == 'jwt' %}
        b"Authorization: %s\r\n"
        b"X-Request-ID: %s\r\n\r\n"
        % (len(IN_FLIGHT_BODY), authorization()["Authorization"].encode(), request_id.encode())
{%- else %}
        b"X-Request-ID: %s\r\n\r\n" % (len(IN_FLIGHT_BODY), request_id.encode())
{%- endif %}
    )
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
    server: ServerProcess
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
    server = ServerProcess({"SHUTDOWN_TIMEOUT_SECONDS": str(drain_timeout_seconds)})
    try:
        server.wait_until_serving()
        httpx2.get(f"{server.url}/livez", headers={"X-Request-ID": "from-the-client"})
        finishing = start_request_in_flight(server.port, "in-flight-1")
        outlasting = start_request_in_flight(server.port, "outlasts-the-drain")
        server.send_sigterm()
        server.wait_for_log(WAITING_FOR_CONNECTIONS)
        try:
            socket.create_connection(("127.0.0.1", server.port), timeout=2).close()
            refused = False
        except ConnectionRefusedError:
            refused = True
        finishing.sendall(IN_FLIGHT_BODY)
        status, headers, body = read_response(finishing)
        finishing.close()
        exit_seconds = server.wait_for_exit(timeout=drain_timeout_seconds + 15)
        outlasting.close()
        yield Lifetime(server, drain_timeout_seconds, refused, status, headers, body, exit_seconds)
    finally:
        server.close()
