"""Health: /livez never depends on backing services; /readyz checks each one, briefly.

The checks here talk to a real TCP listener the test stops and starts, standing in for
a backing service; the variants' own tests do the same with their real servers.
"""

import asyncio
import socket
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from {{ cookiecutter.package_name }}.app import create_app
from {{ cookiecutter.package_name }}.settings import Settings


class Listener:
    """A TCP service that can go down and come back on the same port."""

    def __init__(self) -> None:
        self.socket = socket.create_server(("127.0.0.1", 0))
        self.port = self.socket.getsockname()[1]

    def stop(self) -> None:
        self.socket.close()

    def start(self) -> None:
        self.socket = socket.create_server(("127.0.0.1", self.port))


@pytest.fixture
def listener() -> Iterator[Listener]:
    listener = Listener()
    yield listener
    listener.stop()


def tcp_check(port: int):
    async def check() -> None:
        _, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.close()
        await writer.wait_closed()

    return check


def test_livez_answers(client):
    response = client.get("/livez")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_is_ok_when_every_backing_service_answers(client, listener):
    client.app.state.resources.readiness_checks["example"] = tcp_check(listener.port)
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"example": "ok"}, "down": []}


def test_readyz_names_what_is_down_while_livez_stays_up_and_recovers(
    client, listener, captured_logs
):
    checks = client.app.state.resources.readiness_checks
    checks["example"] = tcp_check(listener.port)
    checks["other"] = tcp_check(listener.port)

    listener.stop()
    down = client.get("/readyz")
    assert down.status_code == 503
    assert down.json() == {
        "status": "down",
        "checks": {"example": "down", "other": "down"},
        "down": ["example", "other"],
    }
    assert client.get("/livez").status_code == 200
    warnings = [record for record in captured_logs.records() if record["level"] == "warning"]
    assert {record["service"] for record in warnings} == {"example", "other"}
    assert all("ConnectionRefusedError" in record["problem"] for record in warnings)

    listener.start()
    assert client.get("/readyz").status_code == 200


def test_a_check_that_hangs_is_down_after_the_readiness_timeout(monkeypatch, captured_logs):
    monkeypatch.setenv("READINESS_TIMEOUT_SECONDS", "0.1")

    async def hangs() -> None:
        await asyncio.Event().wait()

    with TestClient(create_app(Settings())) as client:
        client.app.state.resources.readiness_checks["stuck"] = hangs
        response = client.get("/readyz")

    assert response.status_code == 503
    assert response.json()["down"] == ["stuck"]
    (warning,) = [record for record in captured_logs.records() if record["level"] == "warning"]
    assert warning["problem"] == "no answer within 0.1 s"
