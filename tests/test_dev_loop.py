"""Tier 3: the local dev loop of a generated service works as its docs say.

- `python -m <package>.dev` serves with auto-reload: a route edited under src/ answers
  anew at once, without a restart by hand.
- `honcho start -f Procfile.dev` (a Procfile runner, as foreman and overmind are) runs the
  migration first, then web and worker; web answers; stopping honcho ends every process.

Both talk to the real PostgreSQL, Redis and RabbitMQ on 127.0.0.1, like the suites.
"""

import json
import os
import re
import signal
import subprocess
import time
import uuid
from pathlib import Path

import pytest

from tests.generate import run
from tests.local_http import free_port, get
from tests.variants import DEFAULT, MINIMAL

pytestmark = pytest.mark.behaviour

UV = {"UV_PYTHON_DOWNLOADS": "never", "UV_NO_PROGRESS": "1"}
PROBE_ROUTE = '''"""A route added while the dev server runs."""

from fastapi import APIRouter

router = APIRouter(prefix="/v1/probe")


@router.get("")
async def probe() -> dict[str, str]:
    return {"answer": "ANSWER"}
'''


def env(**extra: str) -> dict[str, str]:
    environment = {k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"} | UV
    return environment | extra


def wait_for(url: str, expected: int, process: subprocess.Popen, timeout: float = 90) -> bytes:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status, body = get(url)
        if status == expected:
            return body
        assert process.poll() is None, f"exited with {process.returncode}"
        time.sleep(0.3)
    raise AssertionError(f"{url} never answered {expected} (last: {status})")


def stop(process: subprocess.Popen, sig: int = signal.SIGTERM, timeout: float = 60) -> str:
    """Signal the process (honcho, or the dev server) alone, as Ctrl-C or `kill` would."""
    if process.poll() is None:
        process.send_signal(sig)
    try:
        output, _ = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        output, _ = process.communicate()
        raise AssertionError(f"still running {timeout} s after the signal:\n{output}") from None
    return output


def group_is_gone(pgid: int, timeout: float = 10) -> bool:
    """No process left in the group (an exited child may take a moment to be reaped)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.2)
    return False


@pytest.fixture(scope="module")
def minimal_service(renders) -> Path:
    project = renders.copier("minimal", MINIMAL, lock=True)
    run(["uv", "sync", "--locked"], project, env=env())
    return project


def test_dev_server_reloads_an_edited_route(minimal_service):
    project = minimal_service
    package = project / "src" / "my_service"
    route = package / "api" / "probe.py"
    route.write_text(PROBE_ROUTE.replace("ANSWER", "first"))
    port = free_port()
    server = subprocess.Popen(
        ["uv", "run", "--frozen", "python", "-m", f"{package.name}.dev"],
        cwd=project,
        env=env(PORT=str(port), LOG_FORMAT="console"),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}/v1/probe"
    try:
        assert json.loads(wait_for(url, 200, server)) == {"answer": "first"}
        route.write_text(PROBE_ROUTE.replace("ANSWER", "edited"))
        deadline = time.monotonic() + 60
        while json.loads(get(url)[1] or b"{}") != {"answer": "edited"}:
            assert time.monotonic() < deadline, "the edited route never showed"
            time.sleep(0.3)
    finally:
        route.unlink(missing_ok=True)
        output = stop(server, signal.SIGINT)  # Ctrl-C
    assert group_is_gone(server.pid), "the reloader left a server process behind"
    assert "Traceback" not in output, output


def create_database(project: Path, server_url: str) -> str:
    """A database of this test's own on the local server; its URL."""
    name = f"test_procfile_dev_{uuid.uuid4().hex[:8]}"
    script = (
        "import psycopg, sys; "
        "psycopg.connect(sys.argv[1], autocommit=True)"
        ".execute(f'CREATE DATABASE \"{sys.argv[2]}\"')"
    )
    admin = re.sub(r"/[^/]*$", "/postgres", server_url.replace("+psycopg", ""))
    run(["uv", "run", "--frozen", "python", "-c", script, admin, name], project, env=env())
    return re.sub(r"/[^/]*$", f"/{name}", server_url)


def drop_database(project: Path, url: str) -> None:
    name = url.rsplit("/", 1)[1]
    script = (
        "import psycopg, sys; psycopg.connect(sys.argv[1], autocommit=True)"
        ".execute(f'DROP DATABASE IF EXISTS \"{sys.argv[2]}\" WITH (FORCE)')"
    )
    admin = re.sub(r"/[^/]*$", "/postgres", url.replace("+psycopg", ""))
    run(["uv", "run", "--frozen", "python", "-c", script, admin, name], project, env=env())


def read_env_file(path: Path) -> dict[str, str]:
    pairs = re.findall(r"^([A-Z][A-Z0-9_]*)=(.*)$", path.read_text(), flags=re.MULTILINE)
    return dict(pairs)


def test_honcho_runs_procfile_dev_and_stops_every_process(renders):
    project = renders.copier("default", DEFAULT, lock=True)
    run(["uv", "sync", "--locked"], project, env=env())
    settings = read_env_file(project / ".env.example")
    database = create_database(project, settings["DATABASE_URL"])
    port = free_port()
    # honcho reads .env, as the Procfile.dev comment tells a developer to make it.
    (project / ".env").write_text(
        (project / ".env.example").read_text()
        + f"\nDATABASE_URL={database}\nPORT={port}\nWORKER_METRICS_PORT={free_port()}\n"
        + "LOG_FORMAT=console\n"
    )
    honcho = subprocess.Popen(
        ["uvx", "honcho", "start", "-f", "Procfile.dev"],
        cwd=project,
        env=env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        body = wait_for(f"http://127.0.0.1:{port}/readyz", 200, honcho, timeout=180)
        assert json.loads(body)
    finally:
        output = stop(honcho)  # honcho passes the stop on to every process it started
        (project / ".env").unlink()
        drop_database(project, database)
    assert group_is_gone(honcho.pid), "a process outlived honcho"
    assert re.search(r"web\.1 +\| .*(upgrade|migrat)", output, flags=re.IGNORECASE), output
    assert re.search(r"worker\.1 +\| ", output), output
    assert "Traceback" not in output, output
