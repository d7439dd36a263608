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
from {{ cookiecutter.package_name }}.resources import attached
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
    attached(client.app).readiness_checks["example"] = tcp_check(listener.port)
    response = client.get("/readyz")
    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["checks"]["example"], body["down"]) == ("ok", "ok", [])


def test_readyz_names_what_is_down_while_livez_stays_up_and_recovers(
    client, listener, captured_logs
):
    checks = attached(client.app).readiness_checks
    checks["example"] = tcp_check(listener.port)
    checks["other"] = tcp_check(listener.port)

    listener.stop()
    down = client.get("/readyz")
    assert down.status_code == 503
    body = down.json()
    assert body["status"] == "down"
    assert body["down"] == ["example", "other"]
    assert body["checks"]["example"] == body["checks"]["other"] == "down"
    assert client.get("/livez").status_code == 200
    warnings = [record for record in captured_logs.records() if record["level"] == "warning"]
    problems = {record["service"]: record["problem"] for record in warnings}
    assert problems.keys() == {"example", "other"}
    assert all(problem.startswith("ConnectionRefusedError") for problem in problems.values())

    listener.start()
    assert client.get("/readyz").status_code == 200


def test_a_check_that_hangs_is_down_after_the_readiness_timeout(monkeypatch, captured_logs):
    monkeypatch.setenv("READINESS_TIMEOUT_SECONDS", "0.1")

    async def hangs() -> None:
        await asyncio.Event().wait()

    with TestClient(create_app(Settings())) as client:
        attached(client.app).readiness_checks["stuck"] = hangs
        response = client.get("/readyz")

    assert response.status_code == 503
    assert "stuck" in response.json()["down"]
    warnings = [record for record in captured_logs.records() if record["level"] == "warning"]
    problems = {record["service"]: record["problem"] for record in warnings}
    assert problems["stuck"] == "no answer within 0.1 s"
