"""Walking the workshop guide literally: its commands, taken from docs/workshop.ko.md (the
workshop's own language), run in order.

A `Walk` is a participant's shell in the generated service's folder. It takes the next
command of a step from the guide (the caller says what it expects, so an edited guide fails
with the command it now has), runs it with bash exactly as written, and returns what a
terminal would show. The only change it makes to a command is the port: the guide's 8000,
8001 and 8002 become free ports here, as step 0's Ports table tells a participant whose
ports are busy (`WEB_PORT` for compose, `PORT` for local processes).

What the participant sets in their own shell, the walk sets in its environment: the
`*_IMAGE` overrides (here pointing at the local stand-in images, as a mirror would), and a
database, key prefix and compose project of its own, so walks on one machine do not meet.

Compose v2 (`docker compose`): the system's plugin when there is one, else Debian sid's
docker-compose 2.40 unpacked into a docker config folder of the walk's own (see
`compose_v2_config`); the system's docker-compose 1.29 stays as it is.
"""

import os
import re
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from tests.docs_commands import COMMAND_LANGUAGE, block_commands, fenced_blocks
from tests.generate import TEMPLATE_ROOT

from . import debian_rootfs
from .engine import run_checked

GUIDE = TEMPLATE_ROOT / "docs" / "workshop.ko.md"
PLUGIN_CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "template-ci"
COMPOSE_PACKAGE = "docker-compose"  # in Debian sid: compose v2, the docker CLI plugin
PLUGIN_PATH = "usr/libexec/docker/cli-plugins/docker-compose"


def step_commands(step: str) -> list[str]:
    """The commands of one step of the guide's `sh` blocks, in order.

    Commands quoted inline in the prose are mentions (`docker compose stop` sends SIGTERM),
    not things to type; tests/docs_commands.py checks those.
    """
    text = GUIDE.read_text(encoding="utf-8")
    body = text.split(f"{{#{step}}}", 1)[1].split("\n## ", 1)[0]
    return [
        command
        for block in fenced_blocks(body)
        if block.language == COMMAND_LANGUAGE
        for command in block_commands(block)
    ]


# --- compose v2 ------------------------------------------------------------------------


def compose_v2_config(env: dict[str, str], workdir: Path) -> dict[str, str]:
    """Environment changes that give this docker CLI `docker compose` (v2); {} if it has it.

    Installs nothing system-wide: the sid package is downloaded with a private apt state
    (its own sources list and lists folder), unpacked, and its plugin binary is cached under
    ~/.cache/template-ci. A docker config folder pointing at it is the walk's own.
    """
    if run_checked(["docker", "compose", "version"], env=env, check=False).returncode == 0:
        return {}
    plugin = PLUGIN_CACHE / "compose-v2" / "docker-compose"
    if not plugin.is_file():
        download_compose_plugin(plugin, workdir / "apt")
    config = workdir / "docker-config"
    (config / "cli-plugins").mkdir(parents=True, exist_ok=True)
    link = config / "cli-plugins" / "docker-compose"
    if not link.exists():
        link.symlink_to(plugin)
    return {"DOCKER_CONFIG": str(config)}


def download_compose_plugin(destination: Path, apt_dir: Path) -> None:
    mirror = debian_rootfs.apt_mirror("sid")
    keyring = "/usr/share/keyrings/debian-archive-keyring.gpg"
    for folder in ("lists/partial", "cache/archives/partial", "etc"):
        (apt_dir / folder).mkdir(parents=True, exist_ok=True)
    sources = apt_dir / "etc" / "sources.list"
    sources.write_text(f"deb [signed-by={keyring}] {mirror} sid main\n")
    (apt_dir / "status").touch()
    options = [
        "-o", f"Dir::Etc::sourcelist={sources}",
        "-o", "Dir::Etc::sourceparts=-",
        "-o", f"Dir::State::Lists={apt_dir / 'lists'}",
        "-o", f"Dir::State::status={apt_dir / 'status'}",
        "-o", f"Dir::Cache={apt_dir / 'cache'}",
        "-o", "APT::Sandbox::User=root",
    ]  # fmt: skip
    run_checked(["apt-get", "-q", *options, "update"], timeout=600)
    run_checked(["apt-get", "-q", *options, "download", COMPOSE_PACKAGE], cwd=apt_dir, timeout=600)
    (package,) = apt_dir.glob(f"{COMPOSE_PACKAGE}_*.deb")
    unpacked = apt_dir / "unpacked"
    run_checked(["dpkg-deb", "-x", str(package), str(unpacked)], timeout=300)
    destination.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(unpacked / PLUGIN_PATH, destination)
    shutil.rmtree(apt_dir, ignore_errors=True)


# --- the walk --------------------------------------------------------------------------


@dataclass
class Shown:
    """What a terminal showed for one command."""

    command: str
    returncode: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


@dataclass
class Background:
    """A command left running in a terminal of its own (`# terminal 1`)."""

    command: str
    process: subprocess.Popen
    log: Path

    def text(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_for(self, needle: str, timeout: float = 30) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if needle in self.text():
                return self.text()
            if self.process.poll() is not None:
                break
            time.sleep(0.2)
        raise AssertionError(f"`{self.command}` never showed {needle!r}:\n{self.text()[-3000:]}")

    def interrupt(self, timeout: float = 30) -> int:
        """Ctrl-C: SIGINT to the command's process group, as a terminal sends it."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGINT)
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            return self.process.wait(timeout=timeout)


@dataclass
class Walk:
    folder: Path
    env: dict[str, str]
    ports: dict[int, int]  # the guide's port -> the port used here
    logs: Path
    commands: dict[str, list[str]] = field(default_factory=dict)
    variables: dict[str, str] = field(default_factory=dict)  # `NAME=$(...)` lines
    background: list[Background] = field(default_factory=list)

    def next(self, step: str, starts_with: str) -> str:
        """The step's next command; it must start as the walk expects."""
        remaining = self.commands.setdefault(step, list(step_commands(step)))
        assert remaining, f"step {step} has no more commands; expected `{starts_with}...`"
        command = remaining.pop(0)
        assert command.startswith(starts_with), (
            f"step {step}: the guide now says `{command}`, the walk expected `{starts_with}...`"
        )
        return command

    def skip(self, step: str, starts_with: str, why: str) -> str:
        """A command the walk cannot run here (why says so); tests/docs_commands.py proves it."""
        assert why
        return self.next(step, starts_with)

    def done(self, step: str) -> None:
        assert self.commands.get(step) == [], f"step {step}: not walked: {self.commands[step]}"

    def local(self, command: str) -> str:
        """The command with this machine's ports in place of the guide's."""
        for guide_port, port in self.ports.items():
            command = re.sub(rf"\b{guide_port}\b", str(port), command)
        return command

    def run(
        self, step: str, starts_with: str, *, check: bool = True, timeout: float = 900,
        stdin: str | None = None,
    ) -> Shown:  # fmt: skip
        command = self.next(step, starts_with)
        result = subprocess.run(
            ["bash", "-c", self.local(command)],
            cwd=self.folder,
            env=self.env | self.variables,
            capture_output=True,
            text=True,
            check=False,
            timeout=timeout,
            input=stdin,
        )
        shown = Shown(command, result.returncode, result.stdout, result.stderr)
        if check:
            assert result.returncode == 0, (
                f"`{command}` failed ({result.returncode}):\n{shown.output[-4000:]}"
            )
        return shown

    def keep(self, step: str, starts_with: str, name: str) -> str:
        """A `NAME=$(...)` line: run it as written, and keep NAME for the next commands."""
        command = self.next(step, starts_with)
        assert command.startswith(f"{name}=$("), command
        result = subprocess.run(
            ["bash", "-c", f'{self.local(command)}\nprintf %s "${name}"'],
            cwd=self.folder,
            env=self.env | self.variables,
            capture_output=True,
            text=True,
            check=False,
            timeout=120,
        )
        assert result.returncode == 0, f"`{command}`: {result.stderr}"
        assert result.stdout, f"`{command}` left {name} empty"
        self.variables[name] = result.stdout
        return result.stdout

    def start(self, step: str, starts_with: str) -> Background:
        """A command for a terminal of its own, left running."""
        command = self.next(step, starts_with)
        log = self.logs / f"terminal-{len(self.background) + 1}.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                ["bash", "-c", self.local(command)],
                cwd=self.folder,
                env=self.env | self.variables,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        started = Background(command, process, log)
        self.background.append(started)
        return started

    def again(self, step: str, command: str, *, check: bool = True) -> Shown:
        """A command of this step run once more, as the guide asks ("ask again")."""
        assert command in step_commands(step), f"`{command}` is not in step {step}"
        result = subprocess.run(
            ["bash", "-c", self.local(command)],
            cwd=self.folder,
            env=self.env | self.variables,
            capture_output=True,
            text=True,
            check=False,
            timeout=120,
        )
        shown = Shown(command, result.returncode, result.stdout, result.stderr)
        if check:
            assert result.returncode == 0, f"`{command}` failed:\n{shown.output[-3000:]}"
        return shown

    def until(
        self, step: str, command: str, predicate, timeout: float = 60, interval: float = 1
    ) -> Shown:
        """Run a command of the step again until what it shows satisfies `predicate`."""
        deadline = time.monotonic() + timeout
        while True:
            shown = self.again(step, command, check=False)
            if predicate(shown):
                return shown
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"`{command}` never showed what the guide says:\n{shown.output[-3000:]}"
                )
            time.sleep(interval)

    def stop_all(self) -> None:
        for started in self.background:
            started.interrupt()


def walk_env(base: dict[str, str], extra: dict[str, str]) -> dict[str, str]:
    env = dict(base)
    env.pop("VIRTUAL_ENV", None)  # the template's own venv is not the service's
    env.update(extra)
    return env
