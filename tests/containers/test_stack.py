"""The default variant's whole stack from its generated compose.yaml, as a developer runs it.

The only addition is the test's override file, which swaps base images and nothing
else. The stack is built and started once; the tests below run in file order, the
last one taking it down.
"""

import hashlib
import socket
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.variants import DEFAULT

from . import measurements
from .base_images import StandIns
from .compose_spec import ComposeSpec, with_defaults
from .compose_stack import ComposeStack
from .engine import Engine
from .http_client import request
from .override import build_args, write_compose_override
from .running import non_json_lines

pytestmark = pytest.mark.containers

PROJECT = "tct-stack"
WEB_PORT = 8000
SUBJECT = "default compose stack"


def assert_ports_free(spec: ComposeSpec) -> None:
    """compose.yaml publishes ports on this host; say which one is taken instead of failing late."""
    for address, port in spec.published_host_ports():
        with socket.socket() as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind((address, port))
            except OSError as error:
                pytest.fail(
                    f"compose.yaml publishes {address}:{port}, which is taken here: {error}"
                )


@pytest.fixture(scope="module")
def project(renders) -> Path:
    return renders.copier("default", DEFAULT, lock=True)


@pytest.fixture(scope="module")
def stack(
    engine: Engine, stand_ins: StandIns, project: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ComposeStack]:
    spec = ComposeSpec.load(project / "compose.yaml")
    args = build_args((project / "Dockerfile").read_text(), stand_ins.resolve)
    override = write_compose_override(
        spec, args, stand_ins.resolve, tmp_path_factory.mktemp("stack") / "compose.override.yaml"
    )
    stack = ComposeStack(engine, project, override, PROJECT)
    stack.down()  # what an interrupted earlier run may have left
    assert_ports_free(spec)
    # Compose tags what it builds with the service's `image:`; the old build is removed after.
    built_images = {
        with_defaults(spec.service(name)["image"])
        for name in spec.built_services()
        if "image" in spec.service(name)
    }
    previous = {image: engine.image_id(image) for image in built_images}
    try:
        started = time.monotonic()
        stack.compose("build")
        measurements.record(SUBJECT, "build_seconds", time.monotonic() - started)
        engine.remove_replaced(previous)
        started = time.monotonic()
        stack.up()  # waits for migrate to complete
        measurements.record(SUBJECT, "up_seconds", time.monotonic() - started)
        healthy = stack.wait_healthy("web", timeout=180)
        measurements.record(SUBJECT, "up_to_web_healthy_seconds", time.monotonic() - started)
        measurements.record(SUBJECT, "web_healthy_after_up_seconds", healthy)
        yield stack
    finally:
        stack.down()


def web_url(stack: ComposeStack, path: str) -> str:
    networks = stack.engine.inspect(stack.container("web"))["NetworkSettings"]["Networks"]
    return f"http://{networks[stack.network]['IPAddress']}:{WEB_PORT}{path}"


def test_migrate_runs_once_and_exits_0(stack: ComposeStack) -> None:
    state = stack.state("migrate")
    assert state["Status"] == "exited"
    assert state["ExitCode"] == 0, stack.logs("migrate")


def test_web_becomes_healthy(stack: ComposeStack) -> None:
    assert stack.state("web")["Health"]["Status"] == "healthy"
    reply = request("GET", web_url(stack, "/readyz"))
    assert reply.status == 200, reply.body


def test_a_post_creates_a_row_in_postgres(stack: ComposeStack) -> None:
    title = f"compose test {uuid.uuid4()}"
    reply = request("POST", web_url(stack, "/v1/notes"), {"title": title, "body": "from the API"})
    assert reply.status == 201, reply.body
    note_id = reply.json()["id"]
    environment = stack.engine.inspect(stack.container("postgres"))["Config"]["Env"]
    user = next(item.split("=", 1)[1] for item in environment if item.startswith("POSTGRES_USER="))
    row = stack.engine.run(
        "exec", stack.container("postgres"), "psql", "--username", user, "--dbname", user,
        "--tuples-only", "--no-align", "--command", f"SELECT title FROM notes WHERE id = {note_id}",
    )  # fmt: skip
    assert row.stdout.strip() == title


def test_a_job_enqueued_through_the_api_is_completed_by_the_worker(stack: ComposeStack) -> None:
    text = f"digest me {uuid.uuid4()}"
    reply = request("POST", web_url(stack, "/v1/jobs"), {"text": text})
    assert reply.status == 202, reply.body
    job_id = reply.json()["id"]
    started = time.monotonic()
    job: dict = {}
    while time.monotonic() - started < 60:
        job = request("GET", web_url(stack, f"/v1/jobs/{job_id}")).json()
        if job["state"] in {"SUCCESS", "FAILURE"}:
            break
        time.sleep(0.2)
    measurements.record(SUBJECT, "job_enqueue_to_success_seconds", time.monotonic() - started)
    assert job["state"] == "SUCCESS", job
    assert job["result"]["sha256"] == hashlib.sha256(text.encode()).hexdigest()
    assert job_id in stack.logs("worker"), "the worker container's logs do not mention the job"


@pytest.mark.parametrize("service", ["web", "worker", "migrate"])
def test_every_log_line_is_json(stack: ComposeStack, service: str) -> None:
    lines = stack.logs(service).splitlines()
    assert lines, f"{service} wrote nothing"
    assert non_json_lines(lines) == []


def test_down_with_volumes_leaves_nothing_behind(stack: ComposeStack) -> None:
    resources = stack.resources()
    assert all(resources.values()), resources  # the stack is up: the check below can fail
    stack.compose("down", "--volumes", "--remove-orphans", "--timeout", "30")
    assert stack.still_present(resources) == {"containers": [], "networks": [], "volumes": []}
