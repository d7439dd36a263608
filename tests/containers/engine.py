"""A Docker engine for the containers tier: reuse a running one, or start our own.

CI machines are fresh Debian 12 hosts without systemd, so when no daemon answers we
install Debian's docker.io (through .ci/install-container-engine), start `dockerd` in
the background with its own log file, and stop exactly that process afterwards.
Images stay in the daemon's default data root, so cached base images survive runs.
Builds use BuildKit through the buildx plugin (the script installs it from Debian sid),
as Docker does by default since 23.0: the generated Dockerfile's cache mounts need it.
"""

import json
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
INSTALL_SCRIPT = REPO_ROOT / ".ci" / "install-container-engine"
# The client side; dockerd too when no daemon answers. debootstrap builds local base images.
CLIENT_COMMANDS = ("docker", "docker-compose", "debootstrap")
# Docker CLI plugins (not on PATH): buildx for BuildKit builds.
CLIENT_PLUGINS = ("buildx",)
# overlay2 is the fast default; vfs copies every layer in full (slow, disk hungry)
# and is only the fallback for hosts whose filesystem cannot carry overlayfs.
STORAGE_DRIVERS = ("overlay2", "vfs")
START_TIMEOUT_SECONDS = 60
STOP_TIMEOUT_SECONDS = 30


class EngineError(RuntimeError):
    """No usable container engine; the message says what failed and where to look."""


@dataclass
class Engine:
    """The docker CLI bound to one daemon; `started_pid` is set when we own the daemon."""

    env: dict[str, str]
    storage_driver: str
    daemon: subprocess.Popen | None = None  # the dockerd we started, if we did
    log_file: Path | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def started_pid(self) -> int | None:
        return self.daemon.pid if self.daemon else None

    def run(
        self, *args: str, check: bool = True, timeout: float | None = 600, **kwargs
    ) -> subprocess.CompletedProcess:
        """Run `docker <args>`; with check, fail with the command's output."""
        return run_checked(["docker", *args], env=self.env, check=check, timeout=timeout, **kwargs)

    def compose(
        self, *args: str, cwd: Path, check: bool = True, timeout: float | None = 900
    ) -> subprocess.CompletedProcess:
        return run_checked(
            ["docker-compose", *args], env=self.env, cwd=cwd, check=check, timeout=timeout
        )

    def image_exists(self, ref: str) -> bool:
        return self.run("image", "inspect", ref, check=False).returncode == 0

    def image_id(self, ref: str) -> str | None:
        result = self.run("image", "inspect", "--format", "{{.Id}}", ref, check=False)
        return result.stdout.strip() if result.returncode == 0 else None

    def remove_replaced(self, previous_ids: dict[str, str | None]) -> None:
        """Remove the images these tags named before a rebuild moved them (no dangling pile-up).

        An image still used (a parent, a container) stays: rmi refuses, which is fine.
        """
        for ref, previous in previous_ids.items():
            if previous is not None and previous != self.image_id(ref):
                self.run("rmi", previous, check=False)

    def image_size_bytes(self, ref: str) -> int:
        return int(self.run("image", "inspect", "--format", "{{.Size}}", ref).stdout.strip())

    def inspect(self, ref: str) -> dict:
        return json.loads(self.run("inspect", ref).stdout)[0]


def run_checked(
    cmd: list[str], *, check: bool = True, timeout: float | None = 600, **kwargs
) -> subprocess.CompletedProcess:
    result = subprocess.run(
        cmd, capture_output=True, text=True, check=False, timeout=timeout, **kwargs
    )
    if check and result.returncode != 0:
        raise EngineError(
            f"{' '.join(cmd)} failed ({result.returncode}):\n{result.stdout[-4000:]}\n"
            f"{result.stderr[-4000:]}"
        )
    return result


def client_env() -> dict[str, str]:
    # BuildKit for `docker build` and for docker-compose 1.29 (which otherwise builds with
    # its own legacy client). No `# syntax=` line anywhere: BuildKit would pull its frontend.
    return os.environ | {"DOCKER_BUILDKIT": "1", "COMPOSE_DOCKER_CLI_BUILD": "1"}


def daemon_answers(env: dict[str, str]) -> bool:
    if shutil.which("docker") is None:
        return False
    result = subprocess.run(
        ["docker", "info", "--format", "{{.ServerVersion}}"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=30,
    )
    return result.returncode == 0


def plugin_missing(name: str) -> bool:
    if shutil.which("docker") is None:
        return True
    found = subprocess.run(["docker", name, "version"], capture_output=True, check=False)
    return found.returncode != 0


def install_missing_tools(commands: tuple[str, ...]) -> None:
    missing = [name for name in commands if shutil.which(name) is None]
    missing += [f"docker {name}" for name in CLIENT_PLUGINS if plugin_missing(name)]
    if not missing:
        return
    if os.geteuid() != 0:
        raise EngineError(f"missing {', '.join(missing)} and not root: run {INSTALL_SCRIPT}")
    run_checked([str(INSTALL_SCRIPT)], timeout=900)


def start_dockerd(env: dict[str, str], workdir: Path) -> Engine:
    """Start dockerd with the first storage driver that works; return the engine owning it."""
    failures = []
    for driver in STORAGE_DRIVERS:
        log_file = workdir / f"dockerd-{driver}.log"
        with log_file.open("wb") as log:
            process = subprocess.Popen(
                ["dockerd", f"--storage-driver={driver}"],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,  # Ctrl-C in pytest must not kill the daemon mid-write
            )
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while time.monotonic() < deadline and process.poll() is None:
            if daemon_answers(env):
                engine = Engine(env, driver, daemon=process, log_file=log_file)
                if driver != STORAGE_DRIVERS[0]:
                    engine.notes.append(
                        f"overlay2 failed, using {driver}: builds copy every layer (slow)"
                    )
                return engine
            time.sleep(0.5)
        stop_process(process)
        failures.append(f"{driver}: see {log_file}\n{log_file.read_text()[-1500:]}")
    raise EngineError("dockerd did not start:\n" + "\n".join(failures))


def stop_process(process: subprocess.Popen) -> None:
    """SIGTERM exactly this process (dockerd stops its containers), SIGKILL if it hangs."""
    process.terminate()
    try:
        process.wait(timeout=STOP_TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=STOP_TIMEOUT_SECONDS)


@contextmanager
def container_engine() -> Iterator[Engine]:
    """Yield a working engine; stop the daemon afterwards only if we started it."""
    env = client_env()
    if daemon_answers(env):
        install_missing_tools(CLIENT_COMMANDS)
        driver = run_checked(["docker", "info", "--format", "{{.Driver}}"], env=env).stdout.strip()
        yield Engine(env, driver)
        return
    install_missing_tools(("dockerd", *CLIENT_COMMANDS))
    workdir = Path(tempfile.mkdtemp(prefix="containers-engine-"))
    engine = start_dockerd(env, workdir)
    try:
        yield engine
    finally:
        stop_process(engine.daemon)
