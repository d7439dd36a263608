"""Logs (factor XI): one JSON object per stdout line, ours and the server's alike."""

import json
import logging
from datetime import UTC, datetime

import structlog

from {{ cookiecutter.package_name }}.logs import configure_logging

STANDARD_FIELDS = {"timestamp", "level", "logger", "message", "request_id"}


def test_our_events_are_json_lines_with_the_standard_fields(captured_logs):
    structlog.get_logger("orders").info("order placed", order_id=42)

    (record,) = captured_logs.records()
    assert record.keys() >= STANDARD_FIELDS
    assert record["message"] == "order placed"
    assert record["level"] == "info"
    assert record["logger"] == "orders"
    assert record["order_id"] == 42
    assert record["request_id"] is None  # outside a request, present all the same
    timestamp = datetime.fromisoformat(record["timestamp"])
    assert timestamp.utcoffset().total_seconds() == 0
    assert abs((datetime.now(UTC) - timestamp).total_seconds()) < 60


def test_standard_library_records_share_the_shape(captured_logs):
    logging.getLogger("some.library").warning("disk %s is %d%% full", "/data", 91)

    (record,) = captured_logs.records()
    assert record.keys() >= STANDARD_FIELDS
    assert record["message"] == "disk /data is 91% full"
    assert record["level"] == "warning"
    assert record["logger"] == "some.library"


def test_an_exception_is_one_line_with_the_traceback_as_a_field(captured_logs):
    try:
        1 / 0  # noqa: B018 - the point is the exception
    except ZeroDivisionError:
        logging.getLogger("jobs").exception("job failed")
        structlog.get_logger("jobs").exception("job failed again")

    assert len(captured_logs.lines()) == 2
    for record in captured_logs.records():
        assert record["level"] == "error"
        assert record["exception"].startswith("Traceback (most recent call last):")
        assert "ZeroDivisionError: division by zero" in record["exception"]


def test_log_level_drops_lower_levels(captured_logs):
    configure_logging("WARNING", "json", stream=captured_logs.stream)
    structlog.get_logger("noisy").info("not written")
    logging.getLogger("noisy").info("not written either")
    structlog.get_logger("noisy").warning("written")

    assert [record["message"] for record in captured_logs.records()] == ["written"]


def test_console_format_is_for_people(captured_logs):
    configure_logging("INFO", "console", stream=captured_logs.stream)
    structlog.get_logger("orders").info("order placed", order_id=42)

    (line,) = captured_logs.lines()
    assert not line.startswith("{")
    assert "order placed" in line
    assert "order_id=42" in line


def test_every_line_of_the_real_server_is_json_with_the_request_id(lifetime):
    """From startup to exit: uvicorn's lines and ours, access lines included (see conftest)."""
    server = lifetime.server
    assert server.stderr == []
    records = [json.loads(line) for line in server.stdout]
    assert all(record.keys() >= STANDARD_FIELDS for record in records)
    messages = [record["message"] for record in records]
    assert any(message.startswith("Started server process") for message in messages)
    assert any(message.startswith("Uvicorn running on") for message in messages)
    assert "Shutting down" in messages
    assert messages[-1].startswith("Finished server process")
    (access,) = [record for record in records if record["request_id"] == "from-the-client"]
    assert access["logger"] == "{{ cookiecutter.package_name }}.access"
    assert access["message"] == "GET /livez 200"
    assert (access["method"], access["path"], access["status"]) == ("GET", "/livez", 200)
    assert access["duration_ms"] >= 0
