"""One container of a built image, reached by its IP on a docker network (no host ports)."""

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property

from .engine import Engine

# As in the generated Kubernetes manifests and compose file.
HARDENED_FLAGS = (
    "--read-only",
    "--tmpfs",
    "/tmp",
    "--cap-drop",
    "ALL",
    "--security-opt",
    "no-new-privileges:true",
)


@dataclass
class Container:
    engine: Engine
    id: str
    network: str
    port: int
    run_at: float  # time.monotonic() just before `docker run`

    @cached_property
    def ip(self) -> str:
        networks = self.engine.inspect(self.id)["NetworkSettings"]["Networks"]
        return networks[self.network]["IPAddress"]

    def url(self, path: str) -> str:
        return f"http://{self.ip}:{self.port}{path}"

    def logs(self) -> list[str]:
        result = self.engine.run("logs", self.id)
        return (result.stdout + result.stderr).splitlines()

    def state(self) -> dict:
        return self.engine.inspect(self.id)["State"]

    def started_at(self) -> datetime:
        """When the container's process started, by the daemon's clock (this machine's)."""
        text = self.state()["StartedAt"]  # 2026-01-01T10:00:00.123456789Z
        seconds, _, fraction = text.rstrip("Z").partition(".")
        return datetime.fromisoformat(f"{seconds}.{fraction[:6].ljust(6, '0')}+00:00")

    def exec(self, *command: str, check: bool = True):
        return self.engine.run("exec", self.id, *command, check=check)

    def stop(self, grace_seconds: float) -> float:
        """`docker stop` with this grace period; returns how long the container took."""
        started = time.monotonic()
        self.engine.run(
            "stop", "--time", str(round(grace_seconds)), self.id, timeout=grace_seconds + 60
        )
        return time.monotonic() - started


@contextmanager
def run_container(
    engine: Engine,
    image: str,
    *,
    network: str,
    env: dict[str, str],
    command: tuple[str, ...] = (),
    flags: tuple[str, ...] = (),
    port: int = 8000,
) -> Iterator[Container]:
    env_flags = [item for key, value in env.items() for item in ("--env", f"{key}={value}")]
    started = time.monotonic()
    container_id = engine.run(
        "run", "--detach", "--network", network, *env_flags, *flags, image, *command
    ).stdout.strip()
    try:
        yield Container(engine, container_id, network, port, started)
    finally:
        engine.run("rm", "--force", "--volumes", container_id, check=False)


def non_json_lines(lines: list[str]) -> list[str]:
    """Lines that are not one JSON object each."""
    bad = []
    for line in lines:
        try:
            if not isinstance(json.loads(line), dict):
                bad.append(line)
        except ValueError:
            bad.append(line)
    return bad
