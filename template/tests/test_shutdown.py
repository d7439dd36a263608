"""Disposability (factor IX): on SIGTERM the real server drains, then exits within its bound.

The requests held in flight are real ones: `POST /v1/slugs` whose body has not been
sent yet when SIGTERM arrives (see `lifetime` in conftest.py).
"""

import signal


def test_sigterm_stops_new_connections_at_once(lifetime):
    assert lifetime.new_connection_refused


def test_a_request_in_flight_at_sigterm_finishes_with_200(lifetime):
    assert lifetime.in_flight_status == 200
    assert lifetime.in_flight_body == b'{"slug":"drain-me-gently"}'
    assert lifetime.in_flight_headers["x-request-id"] == "in-flight-1"


def test_the_process_exits_at_the_drain_timeout_cancelling_what_outlasts_it(lifetime):
    bound = lifetime.drain_timeout_seconds
    assert bound <= lifetime.exit_seconds < bound + 5
    # uvicorn ends by re-raising the signal it got, after the lifespan shutdown.
    assert lifetime.server.process.returncode in (0, -signal.SIGTERM)
    cancelled = [r for r in lifetime.server.records() if r["message"].startswith("Cancel ")]
    assert [(r["level"], r["message"]) for r in cancelled] == [
        ("error", "Cancel 1 running task(s), timeout graceful shutdown exceeded")
    ]


def test_backing_services_close_only_after_the_drain(lifetime):
    records = lifetime.server.records()
    logged = [record["message"] for record in records]
    finished = next(
        index
        for index, record in enumerate(records)
        if record["logger"].endswith(".access") and record["request_id"] == "in-flight-1"
    )
    cancelled = next(index for index, message in enumerate(logged) if message.startswith("Cancel "))
    assert logged.index("Shutting down") < finished < cancelled
    if "backing services attached" in logged:
        assert cancelled < logged.index("backing services detached")
    else:  # a service with no backing services says nothing about them
        assert "backing services detached" not in logged
    assert logged[-1].startswith("Finished server process")
