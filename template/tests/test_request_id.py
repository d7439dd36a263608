"""Request ids: a safe incoming X-Request-ID is kept, others replaced; every log line has it."""

import logging
import re

import pytest
import structlog
from fastapi.testclient import TestClient

GENERATED = re.compile(r"[0-9a-f]{32}")


def test_a_request_without_an_id_gets_a_new_one(client):
    first = client.get("/livez").headers["X-Request-ID"]
    second = client.get("/livez").headers["X-Request-ID"]
    assert GENERATED.fullmatch(first)
    assert GENERATED.fullmatch(second)
    assert first != second


@pytest.mark.parametrize(
    "request_id", ["abc-123", "0f8fad5b-d9cb-469f-a165-70867728950e", "a.b:c_d"]
)
def test_a_safe_incoming_id_is_kept_and_echoed(client, request_id):
    response = client.get("/livez", headers={"X-Request-ID": request_id})
    assert response.headers["X-Request-ID"] == request_id


@pytest.mark.parametrize(
    "request_id",
    ["", "has space", 'quote"d', "semi;colon", '{"json": 1}', "x" * 129],
    ids=["empty", "space", "quote", "semicolon", "json", "too-long"],
)
def test_an_unsafe_incoming_id_is_replaced(client, request_id):
    response = client.get("/livez", headers={"X-Request-ID": request_id})
    assert GENERATED.fullmatch(response.headers["X-Request-ID"])


def test_every_line_logged_during_a_request_carries_its_id(app, captured_logs):
    @app.get("/log-twice")
    async def log_twice() -> dict[str, str]:
        structlog.get_logger("handler").info("from structlog")
        logging.getLogger("library").warning("from the standard library")
        return {}

    with TestClient(app) as client:
        client.get("/log-twice", headers={"X-Request-ID": "trace-me"})
        client.get("/log-twice")

    lines = [r for r in captured_logs.records() if r["logger"] in {"handler", "library"}]
    assert [line["request_id"] for line in lines[:2]] == ["trace-me", "trace-me"]
    assert lines[2]["request_id"] == lines[3]["request_id"] != "trace-me"
    assert GENERATED.fullmatch(lines[2]["request_id"])
