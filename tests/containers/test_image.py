"""The generated image, built from the untouched Dockerfile, run as a platform would run it.

Each variant (default: PostgreSQL, Redis, Celery on RabbitMQ; minimal: no backing
service) is built once; its web process runs with the environment the generated
compose file gives it, on a network where the backing services answer.
"""

import subprocess
import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime

import pytest

from . import measurements
from .engine import Engine
from .http_client import request, slow_upload, wait_for_status, wait_until_refused
from .project import BuiltProject
from .running import HARDENED_FLAGS, Container, non_json_lines, run_container

pytestmark = pytest.mark.containers

# Exit codes of a process that ended by itself (0) or by the SIGTERM it re-raised after
# draining (128 + 15); 137 would mean docker had to SIGKILL it at the end of the grace.
CLEAN_EXIT_CODES = {0, 143}
# How long the request stays unfinished after SIGTERM: well past any instant shutdown.
IN_FLIGHT_AFTER_SIGTERM_SECONDS = 1.5
SLUG_REQUEST = ("/v1/slugs", {"text": "Hello, Wörld!"}, {"slug": "hello-world"})


@contextmanager
def start_web(
    engine: Engine, built: BuiltProject, network: str, flags: tuple[str, ...] = ()
) -> Iterator[Container]:
    """Run the web process and wait for /readyz 200, recording how long that took."""
    environment = built.compose.environment("web")
    with run_container(
        engine, built.image, network=network, env=environment, command=("web",), flags=flags
    ) as container:
        try:
            wait_for_status(container.url("/readyz"), 200, timeout=60)
        except AssertionError as error:
            state = container.state()
            logs = "\n".join(container.logs()[-30:])
            raise AssertionError(f"{error}\ncontainer {state['Status']}:\n{logs}") from None
        ready_at = time.monotonic()
        from_process = datetime.now(UTC) - container.started_at()
        subject = f"{built.variant} image"
        measurements.add_to_list(subject, "run_to_ready_seconds", ready_at - container.run_at)
        measurements.add_to_list(
            subject, "process_start_to_ready_seconds", from_process.total_seconds()
        )
        yield container


@pytest.fixture(scope="session")
def web(engine: Engine, built: BuiltProject, backing_network: str) -> Iterator[Container]:
    with start_web(engine, built, backing_network) as container:
        yield container


def test_image_builds_from_the_untouched_dockerfile(built: BuiltProject, engine: Engine) -> None:
    status = subprocess.run(
        ["git", "status", "--porcelain"], cwd=built.path, capture_output=True, text=True, check=True
    )
    assert status.stdout == "", f"the tests changed generated files:\n{status.stdout}"
    image = engine.inspect(built.image)
    labels = image["Config"]["Labels"]
    assert labels["org.opencontainers.image.version"] == "0.1.0+containers-test"
    assert labels["org.opencontainers.image.revision"] not in {"", "unknown"}
    over_base = built.size_bytes - built.base_size_bytes
    print(
        f"\n{built.variant}: image {built.size_bytes / 1e6:.1f} MB = base "
        f"{built.base_size_bytes / 1e6:.1f} MB + {over_base / 1e6:.1f} MB, "
        f"built in {built.build_seconds:.1f} s"
    )


def test_runtime_image_has_no_uv(built: BuiltProject, engine: Engine) -> None:
    found = engine.run(
        "run", "--rm", "--entrypoint", "python", built.image, "-c",
        "import shutil; print(shutil.which('uv') or '')",
    )  # fmt: skip
    assert found.stdout.strip() == ""


def test_runs_as_a_non_root_uid(web: Container, built: BuiltProject, engine: Engine) -> None:
    configured = engine.inspect(built.image)["Config"]["User"]
    uid, gid = web.exec(
        "python", "-c", "import os; s = os.stat('/proc/1'); print(s.st_uid, s.st_gid)"
    ).stdout.split()
    assert configured.split(":")[0].isdigit(), (
        f"USER {configured!r}: Kubernetes needs a numeric uid"
    )
    assert int(uid) >= 10000, f"PID 1 runs as uid {uid}"
    assert int(gid) != 0


def test_readyz_is_200_with_its_backing_services(web: Container, built: BuiltProject) -> None:
    reply = request("GET", web.url("/readyz"))
    body = reply.json()
    assert reply.status == 200, body
    assert body["status"] == "ok"
    backing = built.compose.images()
    if backing:
        assert body["checks"], f"/readyz checks nothing, yet compose runs {sorted(backing)}"
        assert set(body["checks"].values()) == {"ok"}
    else:
        assert body["checks"] == {}
    print(f"\n{built.variant}: /readyz {body}")


def test_every_log_line_is_json(web: Container) -> None:
    path, payload, expected = SLUG_REQUEST
    assert request("POST", web.url(path), payload).json() == expected
    assert request("POST", web.url(path), {"text": ""}).status == 422
    assert request("GET", web.url("/no-such-page")).status == 404
    lines = web.logs()
    assert len(lines) >= 4, lines  # startup lines and one access line per request at least
    assert non_json_lines(lines) == []


def test_docker_stop_drains_an_in_flight_request(
    engine: Engine, built: BuiltProject, backing_network: str
) -> None:
    grace = built.compose.stop_grace_seconds("web")
    path, payload, expected = SLUG_REQUEST
    stopping: list[Future[float]] = []
    with start_web(engine, built, backing_network) as container, ThreadPoolExecutor(1) as pool:

        def stop_during_request() -> None:
            # SIGTERM arrives while the request is half-received; once the listening
            # socket is closed, the process is certainly draining.
            stopping.append(pool.submit(container.stop, grace))
            wait_until_refused(container.ip, container.port)
            time.sleep(IN_FLIGHT_AFTER_SIGTERM_SECONDS)

        reply = slow_upload(container.ip, container.port, path, payload, stop_during_request)
        stop_seconds = stopping[0].result(timeout=grace + 60)
        state = container.state()
        assert reply.status == 200, reply.body
        assert reply.json() == expected
        assert state["Status"] == "exited"
        assert state["ExitCode"] in CLEAN_EXIT_CODES, f"exit code {state['ExitCode']} (137: killed)"
        assert not state["OOMKilled"]
        assert stop_seconds < grace
        measurements.add_to_list(f"{built.variant} image", "drain_stop_seconds", stop_seconds)
        assert non_json_lines(container.logs()) == []


def test_works_with_a_read_only_root_and_tmpfs_tmp(
    engine: Engine, built: BuiltProject, backing_network: str
) -> None:
    path, payload, expected = SLUG_REQUEST
    with start_web(engine, built, backing_network, flags=HARDENED_FLAGS) as container:
        assert request("POST", container.url(path), payload).json() == expected
        assert request("GET", container.url("/readyz")).status == 200
        root_write = container.exec("sh", "-c", "touch /app/probe", check=False)
        assert root_write.returncode != 0, "the root file system is writable"
        container.exec("python", "-c", "open('/tmp/probe', 'w').write('scratch space')")
        assert non_json_lines(container.logs()) == []
        container.stop(built.compose.stop_grace_seconds("web"))
        assert container.state()["ExitCode"] in CLEAN_EXIT_CODES
