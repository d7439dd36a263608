"""Tier 4: `docker compose -f compose.yaml -f compose.dev.yaml watch` carries a code change.

compose v2 (Debian sid's, as the workshop walk gets it) watches the generated service: a
route added under src/ is served by the rebuilt container, without a command by hand.
The minimal service (no backing services), under a name of its own so that its image tag
is no other test's.
"""

import subprocess
import time
import uuid

import pytest

from tests.local_http import free_port, get
from tests.variants import MINIMAL

from .base_images import StandIns
from .engine import Engine
from .override import build_args
from .workshop_walk import compose_v2_config

pytestmark = pytest.mark.containers

PROBE_ROUTE = '''"""A route added while compose watches."""

from fastapi import APIRouter

router = APIRouter(prefix="/v1/probe")


@router.get("")
async def probe() -> dict[str, str]:
    return {"answer": "watched"}
'''


def wait_until(url: str, status: int, watch: subprocess.Popen, timeout: float) -> bytes:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got, body = get(url)
        if got == status:
            return body
        assert watch.poll() is None, f"`compose watch` exited ({watch.returncode})"
        time.sleep(1)
    raise AssertionError(f"{url} never answered {status} within {timeout} s")


def test_compose_watch_serves_a_route_added_under_src(
    engine: Engine, stand_ins: StandIns, renders, tmp_path
):
    answers = MINIMAL | {"project_name": "Watch Probe", "python_version": "3.13"}
    project = renders.copier("minimal-watch", answers, lock=True)
    port = free_port()
    args = build_args((project / "Dockerfile").read_text(), stand_ins.resolve)
    env = engine.env | compose_v2_config(engine.env, tmp_path) | args | {"WEB_PORT": str(port)}
    compose = [
        "docker", "compose", "-f", "compose.yaml", "-f", "compose.dev.yaml",
        "-p", f"tct-watch-{uuid.uuid4().hex[:8]}",
    ]  # fmt: skip
    log = (tmp_path / "watch.log").open("w")
    watch = subprocess.Popen(
        [*compose, "watch"], cwd=project, env=env, stdout=log, stderr=subprocess.STDOUT
    )
    route = project / "src" / "watch_probe" / "api" / "probe.py"
    try:
        wait_until(f"http://127.0.0.1:{port}/livez", 200, watch, timeout=600)
        assert get(f"http://127.0.0.1:{port}/v1/probe")[0] == 404
        route.write_text(PROBE_ROUTE)
        body = wait_until(f"http://127.0.0.1:{port}/v1/probe", 200, watch, timeout=300)
        assert body == b'{"answer":"watched"}'
    finally:
        route.unlink(missing_ok=True)
        watch.terminate()
        try:
            watch.wait(timeout=60)
        except subprocess.TimeoutExpired:
            watch.kill()
            watch.wait()
        log.close()
        subprocess.run(
            [*compose, "down", "--volumes", "--rmi", "all"],
            cwd=project, env=env, capture_output=True, check=False, timeout=300,
        )  # fmt: skip
