"""The workshop, walked literally: the Korean guide's (docs/workshop.ko.md) commands run in
order, as written, and what each step says to observe is checked. The English guide gives
the same commands in the same order (tests/test_docs.py), so this walks both.

The compose steps (V, VIII, IX, X, XII and the finish) run against the local stand-in
images, passed the way step 0 tells a participant behind a mirror: the `*_IMAGE`
variables. The local-process steps (0, III, IV, VI, VII, XI, the telemetry step's second
part) run `python -m my_service` against the machine's PostgreSQL and RabbitMQ, and a Redis
server of the walk's own, which stands for the participant's Redis in steps IV and XI:
where the guide says `docker stop my-service-redis`, the walk stops that server.

Not run here, each proven instead by tests/docs_commands.py (and named where skipped):
starting the backing services and Jaeger in containers (this machine has its own on those
ports, and no Jaeger image), the generated suite (tier 3 runs it), the interactive shell's
session (the walk types its two lines), and the auth step's second service (the docs and
render tiers make it).
"""

import json
import re
import shutil
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.docs_commands import load_preflight
from tests.local_http import free_port
from tests.variants import DEFAULT

from . import measurements
from .base_images import StandIns
from .engine import Engine
from .workshop_walk import Background, Walk, compose_v2_config, walk_env

pytestmark = pytest.mark.containers

RUN = uuid.uuid4().hex[:8]


class OwnRedis:
    """A Redis server of the walk's own: it can be stopped without touching anyone else's."""

    def __init__(self, folder: Path) -> None:
        self.port = free_port()
        self.folder = folder
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.folder)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 10
        while (
            subprocess.run(
                ["redis-cli", "-p", str(self.port), "ping"], capture_output=True, text=True
            ).stdout.strip()
            != "PONG"
        ):
            assert time.monotonic() < deadline, "redis-server did not start"
            time.sleep(0.1)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)


def create_database(folder: Path, url: str) -> None:
    """The walk's own database (step 0's `createdb`, under a name no one else uses)."""
    name = url.rsplit("/", 1)[1]
    subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", name], check=True)


def drop_database(url: str) -> None:
    name = url.rsplit("/", 1)[1]
    subprocess.run(
        ["dropdb", "--force", "-h", "127.0.0.1", "-U", "postgres", "--if-exists", name],
        check=False,
        capture_output=True,
    )


@pytest.fixture(scope="module")
def walk(
    engine: Engine, stand_ins: StandIns, renders, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Walk]:
    if shutil.which("redis-server") is None or shutil.which("createdb") is None:
        pytest.fail("the walk needs redis-server and createdb on this machine (tier 3 does too)")
    root = tmp_path_factory.mktemp("workshop")
    folder = root / "my-service"
    shutil.copytree(renders.copier("default", DEFAULT, lock=True), folder, symlinks=True)
    redis = OwnRedis(root)
    redis.start()
    preflight = load_preflight()
    images = {
        variable: stand_ins.resolve(default)
        for variable, default in preflight.guide_images(preflight.default_python())
        if (variable, default) != preflight.JAEGER
    }
    ports = {8000: free_port(), 8001: free_port(), 8002: free_port(), 4318: free_port()}
    database = f"postgresql://postgres@127.0.0.1:5432/workshop_walk_{RUN}"
    extra = {
        **compose_v2_config(engine.env, root),
        **images,  # the mirror overrides of step 0, pointing at the stand-ins
        "WEB_PORT": str(ports[8000]),  # step 0's Ports table
        "COMPOSE_PROJECT_NAME": f"tct-walk-{RUN}",
        "DATABASE_URL": database,
        "REDIS_URL": f"{redis.url}/0",
        "CELERY_RESULT_BACKEND": f"{redis.url}/2",
        "REDIS_KEY_PREFIX": f"walk-{RUN}:",
        "UV_PYTHON_DOWNLOADS": "never",
        "UV_NO_PROGRESS": "1",
    }
    logs = root / "terminals"
    logs.mkdir()
    walk = Walk(folder, walk_env(engine.env, extra), ports, logs)
    walk.redis = redis  # type: ignore[attr-defined]
    create_database(folder, database)
    try:
        yield walk
    finally:
        walk.stop_all()
        subprocess.run(
            ["docker", "compose", "down", "--volumes", "--remove-orphans", "--timeout", "5"],
            cwd=folder, env=walk.env, capture_output=True, check=False,
        )  # fmt: skip
        redis.stop()
        drop_database(database)


def json_lines(text: str) -> list[dict]:
    records = []
    for line in text.splitlines():
        start = line.find("{")
        if start < 0:
            continue
        try:
            records.append(json.loads(line[start:]))
        except json.JSONDecodeError:
            continue
    return records


def wait_http(port: int, path: str = "/livez", timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = subprocess.run(
            ["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", f"localhost:{port}{path}"],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        if result.stdout == "200":
            return
        time.sleep(0.5)
    raise AssertionError(f"nothing answered 200 on {port}{path} within {timeout} s")


def timed(step, *args):
    """Run one step of the walk; its seconds go to the tier's measurements."""
    started = time.monotonic()
    result = step(*args)
    measurements.record(
        "workshop walk", f"{step.__name__} seconds", round(time.monotonic() - started, 1)
    )
    return result


def test_the_workshop_walked_as_written(walk: Walk):
    """One test: the steps depend on each other, in the guide's order."""
    timed(before_you_start, walk)
    timed(config, walk)
    timed(backing_services, walk)
    timed(build_release_run, walk)
    terminal_1 = timed(processes, walk)
    timed(port_binding, walk, terminal_1)
    timed(concurrency, walk)
    timed(disposability, walk)
    timed(dev_prod_parity, walk)
    timed(logs, walk, terminal_1)
    timed(admin_processes, walk)
    timed(telemetry, walk)
    timed(finish, walk)


def before_you_start(walk: Walk) -> None:
    step = "before-you-start"
    walk.skip(step, "uv run workshop/preflight.py", "tests/test_preflight.py runs it")
    for _ in range(6):
        walk.skip(step, "docker pull ${", "no registry here: the stand-ins are the mirror")
    walk.skip(step, "uvx copier copy", "the walk starts from the rendered default service")
    walk.skip(step, "cd ../my-service", "the walk is in the service's folder")
    for _ in range(3):
        walk.skip(step, "docker run -d --name my-service-", "this machine runs its own")
    walk.skip(step, "createdb -h 127.0.0.1 -U postgres my_service", "the walk made its own")
    walk.run(step, "uv sync", timeout=600)
    walk.run(step, "cp .env.example .env")
    env_file = walk.folder / ".env"
    # Step 0's Ports table: a busy 8000 moves to PORT in .env.
    env_file.write_text(
        re.sub(r"^PORT=8000$", f"PORT={walk.ports[8000]}", env_file.read_text(), flags=re.M)
    )
    migrated = walk.run(step, "uv run --env-file .env python -m my_service migrate")
    assert json_lines(migrated.output)[-1]["message"] == "database schema is up to date"
    walk.skip(step, "uv run pytest", "tier 3 runs the generated suite")
    walk.done(step)


def config(walk: Walk) -> None:
    step = "iii-config"
    bad_port = walk.run(
        step, "PORT=abc uv run --env-file .env python -m my_service web", check=False
    )
    assert bad_port.returncode == 1
    (line,) = bad_port.stderr.strip().splitlines()
    assert line == (
        "python -m my_service web: invalid configuration: PORT: Input should be a valid "
        "integer, unable to parse string as an integer"
    )
    walk.skip(step, "echo $?", "the exit status is checked above")
    no_env = walk.run(step, "uv run python -m my_service check", check=False)
    assert no_env.returncode == 1
    # The walk's own DATABASE_URL, REDIS_URL and CELERY_RESULT_BACKEND are set; the broker's
    # URL is the one the guide says is missing without .env.
    assert "CELERY_BROKER_URL" in no_env.stderr
    mysql = walk.run(step, "DATABASE_URL=mysql://app:hunter2@db:3306/app", check=False)
    assert mysql.returncode == 1
    assert "DATABASE_URL" in mysql.output
    assert "hunter2" not in mysql.output


def backing_services(walk: Walk) -> None:
    step = "iv-backing-services"
    terminal_1 = walk.start(step, "uv run --env-file .env python -m my_service web")
    wait_http(walk.ports[8000])
    assert walk.run(step, "curl -s localhost:8000/readyz").stdout.startswith('{"status":"ok"')
    walk.skip(step, "docker stop my-service-redis", "the walk stops its own Redis instead")
    walk.redis.stop()
    down = walk.run(step, "curl -s -i localhost:8000/readyz")
    assert down.stdout.startswith("HTTP/1.1 503")
    assert json.loads(down.stdout.split("\n\n", 1)[1])["down"] == ["redis", "result_backend"]
    assert walk.run(step, "curl -s -i localhost:8000/livez").stdout.startswith("HTTP/1.1 200")
    walk.skip(step, "docker start my-service-redis", "the walk starts its own Redis again")
    walk.redis.start()
    assert walk.run(step, "curl -s localhost:8000/readyz").stdout.startswith('{"status":"ok"')
    warned = [
        r for r in json_lines(terminal_1.text()) if r.get("message") == "backing service is down"
    ]
    assert {record["service"] for record in warned} == {"redis", "result_backend"}
    nowhere = walk.run(step, "REDIS_URL=redis://127.0.0.1:6390/0", check=False)
    assert nowhere.returncode != 0
    assert "redis" in nowhere.output.strip().splitlines()[-1]
    terminal_1.interrupt()  # Ctrl-C
    walk.done(step)


def build_release_run(walk: Walk) -> None:
    step = "v-build-release-run"
    walk.run(step, "docker compose build", timeout=1500)
    labels = json.loads(walk.run(step, "docker image inspect my-service:dev").stdout)
    assert labels["org.opencontainers.image.version"] == "0.0.0+unknown"
    assert labels["org.opencontainers.image.revision"] == "unknown"
    migrate = walk.run(step, "docker compose run --rm migrate", timeout=300)
    assert "database schema is up to date" in migrate.output
    walk.run(step, "docker compose up -d", timeout=300)
    walk.run(step, "docker compose ps")
    readyz = walk.next(step, "curl -s localhost:8000/readyz")
    walk.until(step, readyz, lambda shown: '"status":"ok"' in shown.stdout, timeout=120)
    walk.done(step)


def processes(walk: Walk) -> Background:
    step = "vi-processes"
    terminal_1 = walk.start(step, "RATE_LIMIT_WRITES=3 PORT=8001")
    terminal_2 = walk.start(step, "RATE_LIMIT_WRITES=3 PORT=8002")
    wait_http(walk.ports[8001])
    wait_http(walk.ports[8002])
    writes = walk.run(step, "for port in 8001 8002 8001 8002; do curl").stdout.splitlines()
    assert writes[:3] == ['{"slug":"hello-world"} 200'] * 3, writes
    assert writes[3].endswith(" 429"), writes
    last = walk.run(step, "curl -s -i -X POST localhost:8002/v1/slugs").stdout
    assert last.startswith("HTTP/1.1 429 Too Many Requests")
    assert re.search(r"^retry-after: \d+\r?$", last, re.M | re.I)
    walk.done(step)
    terminal_2.interrupt()
    return terminal_1


def port_binding(walk: Walk, terminal_1: Background) -> None:
    step = "vii-port-binding"
    terminal_1.wait_for(f"Uvicorn running on http://0.0.0.0:{walk.ports[8001]}")
    assert walk.run(step, "curl -s -i localhost:8001/livez").stdout.startswith("HTTP/1.1 200")
    taken = walk.run(step, "PORT=8001 uv run --env-file .env python -m my_service web", check=False)
    assert taken.returncode != 0
    assert any("address already in use" in json.dumps(r) for r in json_lines(taken.output))
    walk.done(step)


def concurrency(walk: Walk) -> None:
    step = "viii-concurrency"
    walk.run(step, "docker compose up -d --scale worker=3", timeout=300)
    listed = walk.run(step, "docker compose ps").stdout
    assert len(re.findall(r"-worker-\d", listed)) == 3, listed
    answers = walk.run(step, "for i in 1 2 3 4 5 6; do curl").stdout.split()
    assert len(answers) == 6
    assert all(json.loads(answer)["state"] == "PENDING" for answer in answers)
    logs = walk.next(step, "docker compose logs worker")

    def started_on_three(shown) -> bool:
        containers = {
            line.split("|", 1)[0].strip()
            for line in shown.stdout.splitlines()
            if "job started" in line
        }
        return len(containers) == 3

    walk.until(step, logs, started_on_three, timeout=60)
    refused = walk.run(step, "docker compose up -d --scale web=3", check=False, timeout=300)
    assert refused.returncode != 0
    assert f"127.0.0.1:{walk.ports[8000]} failed: port is already allocated" in refused.output
    walk.run(step, "docker compose up -d --scale web=1 --scale worker=3", timeout=300)
    walk.done(step)


def disposability(walk: Walk) -> None:
    step = "ix-disposability"
    terminal_1 = walk.start(step, "docker compose logs -f web")
    terminal_1.wait_for("Uvicorn running", timeout=30)
    terminal_2 = walk.start(step, "(sleep 10; echo")
    time.sleep(2)  # "within those ten seconds"
    walk.run(step, "docker compose stop web", timeout=120)
    assert terminal_2.process.wait(timeout=60) == 0
    answer = terminal_2.text()
    assert answer.startswith("HTTP/1.1 100 Continue"), answer
    assert "HTTP/1.1 200 OK" in answer
    assert answer.rstrip().endswith('{"slug":"drain-me-gently"}')
    assert re.search(r"^connection: close\r?$", answer, re.M | re.I)
    try:
        terminal_1.process.wait(timeout=30)  # `logs -f` ends with the container
    except subprocess.TimeoutExpired:
        terminal_1.interrupt()
    messages = [record.get("message", "") for record in json_lines(terminal_1.text())]
    order = ["Shutting down", "Waiting for connections to close", "POST /v1/slugs 200",
             "backing services detached", "Finished server process"]  # fmt: skip
    positions = [next(i for i, m in enumerate(messages) if m.startswith(o)) for o in order]
    assert positions == sorted(positions), messages
    access = next(
        r for r in json_lines(terminal_1.text()) if r.get("message") == "POST /v1/slugs 200"
    )
    assert 9000 < access["duration_ms"] < 15000
    walk.run(step, "docker compose up -d --scale worker=3", timeout=300)
    readyz_port = walk.ports[8000]
    wait_http(readyz_port, "/readyz", timeout=120)

    job = walk.keep(step, "JOB=$(curl", "JOB")
    assert re.fullmatch(r"[0-9a-f-]{36}", job)
    assert walk.run(step, "echo $JOB").stdout.strip() == job
    state = walk.next(step, "curl -s localhost:8000/v1/jobs/$JOB")
    walk.until(step, state, lambda shown: '"state":"STARTED"' in shown.stdout, timeout=30)
    walk.run(step, "docker compose kill worker", timeout=120)
    walk.run(step, "docker compose up -d --scale worker=3", timeout=300)
    asked = walk.next(step, "curl -s localhost:8000/v1/jobs/$JOB")  # "a few times"
    walk.until(step, asked, lambda shown: '"state":"SUCCESS"' in shown.stdout, timeout=90)
    logs = walk.run(step, "docker compose logs worker").stdout
    started = [line for line in logs.splitlines() if "job started" in line and job in line]
    assert len(started) >= 2, logs[-3000:]
    walk.done(step)


def dev_prod_parity(walk: Walk) -> None:
    step = "x-dev-prod-parity"
    for command in (
        "docker compose run --rm check",
        "uv run --env-file .env python -m my_service check",
    ):
        checked = walk.run(step, command, timeout=300)
        answered = {
            r.get("service")
            for r in json_lines(checked.output)
            if r.get("message") == "backing service answers"
        }
        assert answered == {"database", "redis", "broker", "result_backend"}, checked.output
    walk.skip(step, "kubectl kustomize k8s/overlays/dev", "tests/test_manifests.py renders it")
    walk.done(step)


def logs(walk: Walk, terminal_1: Background) -> None:
    step = "xi-logs"
    walk.run(step, "curl -s -H 'X-Request-ID: workshop-1' localhost:8001/v1/notes")
    walk.skip(step, "docker stop my-service-redis", "the walk stops its own Redis instead")
    walk.redis.stop()
    walk.run(step, "curl -s -H 'X-Request-ID: workshop-2' localhost:8001/readyz")
    walk.skip(step, "docker start my-service-redis", "the walk starts its own Redis again")
    walk.redis.start()
    time.sleep(0.5)
    records = json_lines(terminal_1.text())
    first = [r["message"] for r in records if r.get("request_id") == "workshop-1"]
    assert first == ["GET /v1/notes 200"], first
    second = [
        (r["message"], r.get("service")) for r in records if r.get("request_id") == "workshop-2"
    ]
    assert second == [
        ("backing service is down", "redis"),
        ("backing service is down", "result_backend"),
        ("GET /readyz 503", None),
    ], second
    terminal_1.interrupt()
    quiet = walk.start(step, "LOG_LEVEL=WARNING PORT=8001")
    wait_http(walk.ports[8001])
    walk.run(step, "curl -s localhost:8001/livez")
    walk.skip(step, "docker stop my-service-redis", "the walk stops its own Redis instead")
    walk.redis.stop()
    walk.run(step, "curl -s localhost:8001/readyz")
    walk.skip(step, "docker start my-service-redis", "the walk starts its own Redis again")
    walk.redis.start()
    time.sleep(0.5)
    levels = {(r["level"], r["message"]) for r in json_lines(quiet.text())}
    assert levels == {("warning", "backing service is down")}, levels
    walk.run(step, "LOG_LEVEL=WARNING docker compose up -d --no-deps web", timeout=300)
    wait_http(walk.ports[8000], "/readyz", timeout=120)
    wait_for_health_check(walk, "web")  # at least one call to /readyz since the restart
    shown = walk.run(step, "docker compose logs web").stdout
    assert [r for r in json_lines(shown) if r.get("level") == "info"] == [], shown[-2000:]
    quiet.interrupt()
    walk.done(step)


def wait_for_health_check(walk: Walk, service: str, timeout: float = 30) -> None:
    project = walk.env["COMPOSE_PROJECT_NAME"]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ids = subprocess.run(
            ["docker", "ps", "-q", "--filter", f"label=com.docker.compose.project={project}",
             "--filter", f"label=com.docker.compose.service={service}"],
            capture_output=True, text=True, check=True, env=walk.env,
        ).stdout.split()  # fmt: skip
        if ids:
            state = json.loads(
                subprocess.run(
                    ["docker", "inspect", "--format", "{{json .State.Health}}", ids[0]],
                    capture_output=True,
                    text=True,
                    check=True,
                    env=walk.env,
                ).stdout
            )
            if state and state.get("Log"):
                return
        time.sleep(0.5)
    raise AssertionError(f"{service}: no health check ran within {timeout} s")


def admin_processes(walk: Walk) -> None:
    step = "xii-admin-processes"
    for command in (
        "uv run --env-file .env python -m my_service migrate",
        "docker compose run --rm migrate",
    ):
        migrated = walk.run(step, command, timeout=300)
        assert "database schema is up to date" in migrated.output
    session = walk.run(
        step,
        "uv run --env-file .env python -m my_service shell",
        stdin="settings.port\nrun(probe(resources.readiness_checks, 1))\n",
    )
    assert str(walk.ports[8000]) in session.output
    assert "'database': None" in session.output
    walk.done(step)


def telemetry(walk: Walk) -> None:
    step = "telemetry"
    walk.run(step, "curl -s localhost:8000/v1/notes/12345")
    metrics = walk.run(step, "curl -s localhost:8000/metrics").stdout
    assert re.search(
        r'^http_server_requests_total\{[^}]*route="/v1/notes/\{note_id\}"[^}]*status="404"',
        metrics,
        re.M,
    ), metrics[:2000]
    walk.skip(step, "docker run -d --name my-service-jaeger", "no Jaeger image on this machine")
    # Without Jaeger, what the guide says happens then: the request answers, exports fail.
    terminal_1 = walk.start(step, "OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4318 PORT=8001")
    wait_http(walk.ports[8001])
    created = walk.run(step, "curl -s -X POST localhost:8001/v1/notes")
    assert json.loads(created.stdout)["title"] == "traced"
    # The access line is written once the response has gone: curl can return before it.
    terminal_1.wait_for("POST /v1/notes 201", timeout=10)
    traced = [r for r in json_lines(terminal_1.text()) if r.get("message") == "POST /v1/notes 201"]
    (line,) = traced
    assert line.get("trace_id"), line
    assert line.get("span_id"), line
    terminal_1.wait_for("Transient error", timeout=30)
    terminal_1.wait_for("Failed to export spans batch", timeout=60)
    terminal_1.interrupt()


def finish(walk: Walk) -> None:
    step = "finish"
    walk.run(step, "docker compose down -v", timeout=300)
    project = f"label=com.docker.compose.project={walk.env['COMPOSE_PROJECT_NAME']}"
    left = subprocess.run(
        ["docker", "ps", "-a", "-q", "--filter", project],
        capture_output=True, text=True, check=True, env=walk.env,
    ).stdout.split()  # fmt: skip
    assert left == []
    walk.skip(step, "docker rm -f my-service-postgres", "the walk started none of them")
    walk.done(step)
