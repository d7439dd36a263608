"""The contract: the running service answers as its OpenAPI document says, whatever it is sent.

schemathesis reads the document from the real server (on a port of its own, with the
real backing services) and sends each operation examples, edge cases and random
requests, alone and chained; every check must pass: documented statuses, bodies and
headers, rejected malformed requests, Allow headers, authentication. With
authentication on it runs with a valid token, and then without one through the
examples and edge cases only (each must be 401: nothing more to fuzz).
CONTRACT_MAX_EXAMPLES bounds the random examples per operation (default 15): more finds
more, slower.
"""

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from support import RUN_ID, ServiceProcess, credentials

SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")
MAX_EXAMPLES = os.environ.get("CONTRACT_MAX_EXAMPLES", "15")
# The write rate limit (if the service has one) would answer 429 to most of the run; the
# jobs it enqueues (if it has a queue) go to a queue of their own, deleted afterwards,
# so no worker of a later test finds them.
CONTRACT_QUEUE = f"test-{RUN_ID}-contract"
SERVER_ENV = {"RATE_LIMIT_WRITES": "1000000", "CELERY_QUEUE": CONTRACT_QUEUE}


if not SCHEMATHESIS.exists():
    pytest.skip("schemathesis is not installed: it is in the dev group", allow_module_level=True)


@pytest.fixture(scope="module")
def server(environment: dict[str, str]) -> Iterator[ServiceProcess]:
    try:
        with ServiceProcess("web", SERVER_ENV) as web:
            web.wait_until_serving()
            yield web
    finally:
        if "CELERY_BROKER_URL" in os.environ:
            from kombu import Connection

            with Connection(os.environ["CELERY_BROKER_URL"]) as connection:
                connection.default_channel.queue_delete(CONTRACT_QUEUE)
                connection.default_channel.exchange_delete(CONTRACT_QUEUE)


def schemathesis(server: ServiceProcess, headers: dict[str, str], *options: str) -> str:
    """Run every check on every operation; the summary when all pass."""
    header_options = [f"--header={name}: {value}" for name, value in headers.items()]
    run = subprocess.run(
        [
            SCHEMATHESIS,
            "run",
            f"{server.url}/openapi.json",
            "--checks=all",
            f"--max-examples={MAX_EXAMPLES}",
            "--seed=1",  # the same cases every run: a failure reproduces
            "--no-color",
            *header_options,
            *options,
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    assert run.returncode == 0, f"{run.stdout}\n{run.stderr}\n{server.output()[-5000:]}"
    return run.stdout


@pytest.mark.parametrize("authenticated", [True, False], ids=["with-credentials", "anonymous"])
def test_every_operation_keeps_the_contract(server, authenticated):
    headers = credentials() if authenticated else {}
    if not authenticated and not credentials():
        pytest.skip("the service does not authenticate: the run with-credentials is this one")
    options = [] if authenticated else ["--phases=examples,coverage"]
    summary = schemathesis(server, headers, *options)

    tested = re.search(r"Tested: (\d+)", summary)
    assert tested is not None, summary
    assert int(tested[1]) > 0, summary
    print(summary[summary.rfind("SUMMARY") :])  # operations and cases, shown with -s
