"""docker-compose (1.29, Debian's) over a generated compose.yaml plus the test's override."""

import json
import time
from dataclasses import dataclass
from pathlib import Path

from .engine import Engine

PROJECT_LABEL = "com.docker.compose.project"
SERVICE_LABEL = "com.docker.compose.service"


@dataclass
class ComposeStack:
    engine: Engine
    project_dir: Path
    override: Path
    project: str

    @property
    def network(self) -> str:
        return f"{self.project}_default"

    def compose(self, *args: str, check: bool = True, timeout: float = 900):
        files = ["-f", str(self.project_dir / "compose.yaml"), "-f", str(self.override)]
        return self.engine.compose(
            "--project-name",
            self.project,
            "--project-directory",
            str(self.project_dir),
            *files,
            "--ansi",
            "never",
            *args,
            cwd=self.project_dir,
            check=check,
            timeout=timeout,
        )

    def up(self, *services: str) -> None:
        self.compose("up", "--detach", "--no-build", *services)

    def down(self) -> None:
        self.compose("down", "--volumes", "--remove-orphans", "--timeout", "30", check=False)

    def containers(self, service: str | None = None, *, all_states: bool = True) -> list[str]:
        filters = ["--filter", f"label={PROJECT_LABEL}={self.project}"]
        if service:
            filters += ["--filter", f"label={SERVICE_LABEL}={service}"]
        listed = self.engine.run(
            "ps", "--quiet", "--no-trunc", *(["--all"] if all_states else []), *filters
        )
        return listed.stdout.split()

    def container(self, service: str) -> str:
        found = self.containers(service)
        if len(found) != 1:
            raise AssertionError(
                f"expected one {service} container in {self.project}, found {found}"
            )
        return found[0]

    def state(self, service: str) -> dict:
        return self.engine.inspect(self.container(service))["State"]

    def wait_healthy(self, *services: str, timeout: float) -> float:
        started = time.monotonic()
        waiting = set(services)
        while waiting and time.monotonic() - started < timeout:
            for service in list(waiting):
                state = self.state(service)
                if state.get("Health", {}).get("Status") == "healthy":
                    waiting.discard(service)
                elif state["Status"] in {"exited", "dead"}:
                    raise AssertionError(f"{service} exited:\n{self.logs(service)}")
            time.sleep(0.5)
        if waiting:
            states = {service: json.dumps(self.state(service).get("Health")) for service in waiting}
            raise AssertionError(f"not healthy within {timeout} s: {states}")
        return time.monotonic() - started

    def logs(self, service: str) -> str:
        return self.compose("logs", "--no-color", "--no-log-prefix", service, check=False).stdout

    def leftovers(self) -> dict[str, list[str]]:
        """Containers, networks and volumes still labelled with this project."""
        label = ["--filter", f"label={PROJECT_LABEL}={self.project}"]
        return {
            "containers": self.containers(),
            "networks": self.engine.run("network", "ls", "--quiet", *label).stdout.split(),
            "volumes": self.engine.run("volume", "ls", "--quiet", *label).stdout.split(),
        }
