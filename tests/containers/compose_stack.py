"""docker-compose (1.29, Debian's) over a generated compose.yaml plus the test's override."""

import json
import time
from dataclasses import dataclass
from pathlib import Path

from .engine import Engine, EngineError

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
        """`up --detach`; on failure, the error carries every service's last log lines."""
        try:
            self.compose("up", "--detach", "--no-build", *services)
        except EngineError as error:
            raise EngineError(f"{error}\n{self.tail_of_logs()}") from None

    def tail_of_logs(self, lines: int = 20) -> str:
        return self.compose("logs", "--no-color", "--tail", str(lines), check=False).stdout

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
        """What the service's container wrote (compose's own `logs` adds lines of its own)."""
        result = self.engine.run("logs", self.container(service), check=False)
        return result.stdout + result.stderr

    def resources(self) -> dict[str, set[str]]:
        """Containers, networks and volumes of this project, anonymous volumes included."""
        label = ["--filter", f"label={PROJECT_LABEL}={self.project}"]
        containers = set(self.containers())
        networks = set(self.engine.run("network", "ls", "--quiet", *label).stdout.split())
        volumes = set(self.engine.run("volume", "ls", "--quiet", *label).stdout.split())
        for container in containers:
            details = self.engine.inspect(container)
            volumes |= {mount["Name"] for mount in details["Mounts"] if mount["Type"] == "volume"}
            networks |= {
                network["NetworkID"] for network in details["NetworkSettings"]["Networks"].values()
            }
        return {"containers": containers, "networks": networks, "volumes": volumes}

    def still_present(self, resources: dict[str, set[str]]) -> dict[str, list[str]]:
        """Which of `resources` the engine still has."""
        kinds = {"containers": "container", "networks": "network", "volumes": "volume"}
        return {
            kind: sorted(
                name
                for name in names
                if self.engine.run(kinds[kind], "inspect", name, check=False).returncode == 0
            )
            for kind, names in resources.items()
        }
