"""Disposability (factor IX): on SIGTERM the real server drains, then exits within its bound.

The request held in flight is a real one: `POST /v1/slugs` whose body the client has
not sent yet when SIGTERM arrives (see `lifetime` in conftest.py).
"""

import signal

from conftest import start_request_in_flight


def test_sigterm_drains_the_request_in_flight_then_exits(lifetime):
    assert lifetime.new_connection_refused
    assert lifetime.in_flight_status == 200
    assert lifetime.in_flight_body == b'{"slug":"drain-me-gently"}'
    assert lifetime.in_flight_headers["x-request-id"] == "in-flight-1"
    assert lifetime.exit_seconds < 10  # SHUTDOWN_TIMEOUT_SECONDS
    # uvicorn ends by re-raising the signal it got, after the lifespan shutdown.
    assert lifetime.server.process.returncode in (0, -signal.SIGTERM)


def test_backing_services_close_only_after_the_drain(lifetime):
    records = lifetime.server.records()
    logged = [record["message"] for record in records]
    drained = next(
        index
        for index, record in enumerate(records)
        if record["logger"] == "uvicorn.access" and record["request_id"] == "in-flight-1"
    )
    assert logged.index("Shutting down") < drained < logged.index("backing services detached")
    assert logged[-1].startswith("Finished server process")


def test_a_request_outlasting_the_drain_timeout_is_cancelled_at_the_bound(start_server):
    server = start_server(SHUTDOWN_TIMEOUT_SECONDS="1")
    connection = start_request_in_flight(server.port, "never-finishes")

    elapsed = server.terminate(timeout=10)  # its body never comes
    connection.close()

    assert 1 <= elapsed < 5
    cancelled = [record for record in server.records() if record["message"].startswith("Cancel ")]
    assert len(cancelled) == 1, server.output()
    assert cancelled[0]["level"] == "error"
    assert "timeout graceful shutdown exceeded" in cancelled[0]["message"]
    assert server.records()[-1]["message"].startswith("Finished server process")
