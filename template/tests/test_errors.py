"""Errors are JSON bodies carrying the request id; an unhandled one is logged with its traceback."""

import threading

import httpx2
import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient
from support import eventually, free_port


@pytest.fixture
def failing_app(app: FastAPI) -> FastAPI:
    """The service's app plus one route that fails the way a bug would."""

    @app.get("/fail")
    async def fail() -> None:
        raise RuntimeError("the example failure")

    return app


def test_an_unknown_route_is_a_json_404_with_the_request_id(client):
    response = client.get("/no/such/route", headers={"X-Request-ID": "lost-1"})
    assert response.status_code == 404
    assert response.json() == {"detail": "Not Found", "request_id": "lost-1"}
    assert response.headers["X-Request-ID"] == "lost-1"


def test_a_wrong_method_is_a_json_405_with_the_request_id(client):
    response = client.delete("/livez")
    assert response.status_code == 405
    assert response.json()["request_id"] == response.headers["X-Request-ID"]


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (b'{"text": ', "json_invalid"),
        (b'{"text": ["not", "a", "string"]}', "string_type"),
        (b"{}", "missing"),
    ],
    ids=["not-json", "wrong-type", "missing-field"],
)
def test_a_malformed_body_is_a_json_422_with_the_request_id(client, body, problem):
    response = client.post(
        "/v1/slugs",
        content=body,
        headers={"Content-Type": "application/json", "X-Request-ID": "bad-body-1"},
    )
    assert response.status_code == 422
    payload = response.json()
    assert payload["request_id"] == "bad-body-1"
    assert [error["type"] for error in payload["detail"]] == [problem]


def test_an_unhandled_exception_is_a_json_500_with_the_request_id(failing_app):
    with TestClient(failing_app, raise_server_exceptions=False) as client:
        response = client.get("/fail", headers={"X-Request-ID": "fail-1"})
    assert response.status_code == 500
    assert response.json() == {"detail": "Internal Server Error", "request_id": "fail-1"}
    assert response.headers["X-Request-ID"] == "fail-1"
    assert "the example failure" not in response.text  # internals stay in the logs


def test_an_unhandled_exception_is_logged_once_as_json_with_its_traceback(
    failing_app, captured_logs
):
    # The real server, in a thread of this process, logging through the service's setup.
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(failing_app, host="127.0.0.1", port=port, log_config=None)
    )
    thread = threading.Thread(target=server.run)
    thread.start()
    try:
        eventually(lambda: server.started, "start of the server", timeout=10)
        response = httpx2.get(f"http://127.0.0.1:{port}/fail", headers={"X-Request-ID": "fail-2"})
    finally:
        server.should_exit = True
        thread.join(10)
    assert response.status_code == 500

    records = captured_logs.records()
    (error,) = [record for record in records if record["level"] == "error"]
    assert error["message"] == "Exception in ASGI application"
    assert error["request_id"] == "fail-2"
    assert error["exception"].startswith("Traceback (most recent call last):")
    assert "RuntimeError: the example failure" in error["exception"]
    (access,) = [record for record in records if record.get("path") == "/fail"]
    assert (access["status"], access["request_id"]) == (500, "fail-2")
