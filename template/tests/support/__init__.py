"""What the tests share: the run's environment, real processes, free ports, waiting.

Import what you need, `from support import ServiceProcess, eventually, free_port`:

- `free_port()`: a local TCP port nothing listens on. Connecting to it is refused at
  once (a backing service that is down); a test may also listen on it.
- `eventually(find, what)`: call `find` until it returns something true (a record, a
  span, True) and return that; fail naming `what` if it never does within the time
  limit. The one way the tests wait: never a `time.sleep` loop of their own.
- `ServiceProcess("web")`, `ServiceProcess("worker")`, or any other command: `python -m
  <package> <command>` as a real process, run as the platform runs it, with its output
  kept (`records()` reads its JSON log lines) and ways to wait for it, signal it, stop it.
- `credentials()`: the headers a request needs to get in. Empty while the service
  checks no tokens; a token with every scope when it does (`identity_provider.py`).
- `env_example(name)`: the value .env.example gives a variable: the local servers the
  tests use unless the environment names others.

Each option the service was made with may bring a module of its own to this package
(`database.py`, `cache.py`, `job_queue.py`, ...): its file exists only when the option is
on, and nothing lists it, so an option adds or removes a file, never a line here.
conftest.py loads every one as a pytest plugin, so its fixtures are everyone's. A module
may define:

- `attach()`: a context manager that prepares the run's own share of a backing service
  (a database, a key prefix, a queue), yields the environment variables that point the
  service at it, and removes it at the end. The variables are set for the whole session
  (see `environment` in conftest.py), so every `Settings()` and every process sees them.
- `credentials()`: headers every test client should send (see above).
- fixtures and helpers for the tests of its option, for instance `database_url` and
  `databases` (database.py), `start_worker` (job_queue.py), `identity_provider`
  (identity_provider.py), `spans` and `traced_app` (telemetry.py), `collector`
  (worker_telemetry.py); a test imports helpers as `from support.job_queue import QUEUE`.

conftest.py has the fixtures every test may use: `settings`, `app`, `client` (sends
`credentials()`), `captured_logs`, and `lifetime` (one whole life of the web process).
"""

import importlib
import json
import os
import pkgutil
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import IO, Self

import httpx2
import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[2]
PACKAGE = "{{ cookiecutter.package_name }}"
# Names the run's own database, key prefix and queue, so runs can repeat side by side.
RUN_ID = os.urandom(6).hex()


def options() -> list[str]:
    """The support modules of the options this service was made with, as plugin names."""
    return sorted(f"{__name__}.{module.name}" for module in pkgutil.iter_modules(__path__))


def _providing(name: str) -> list[ModuleType]:
    # Imported by pytest first (conftest.py lists them as plugins), so these are its modules.
    modules = [importlib.import_module(module) for module in options()]
    return [module for module in modules if hasattr(module, name)]


@contextmanager
def attached_environment() -> Iterator[dict[str, str]]:
    """Every option's `attach()`, in name order; yields all their variables together.

    Each module's variables are set before the next one attaches; all are unset, and
    each module cleans up, when the block ends (cleanups run while the variables are set).
    """
    environment: dict[str, str] = {}
    with pytest.MonkeyPatch.context() as patch, ExitStack() as cleanups:
        for module in _providing("attach"):
            variables = cleanups.enter_context(module.attach())
            for name, value in variables.items():
                patch.setenv(name, value)
            environment |= variables
        yield environment


def credentials() -> dict[str, str]:
    """The headers a request needs to get past the service's authentication, if it has any."""
    headers: dict[str, str] = {}
    for module in _providing("credentials"):
        headers |= module.credentials()
    return headers


@cache
def env_example(name: str) -> str:
    """The value .env.example gives `name` (the local server, for a backing service's URL)."""
    text = (PROJECT_ROOT / ".env.example").read_text()
    found = re.search(rf"^{re.escape(name)}=(.*)$", text, flags=re.MULTILINE)
    if found is None:
        raise LookupError(f".env.example sets no {name}")
    return found[1]


def free_port() -> int:
    """A local TCP port that nothing listens on, as the system hands them out."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def eventually[T](find: Callable[[], T], what: str, timeout: float = 30) -> T:
    """What `find` returns once it is true; fail if that takes longer than `timeout` seconds.

    `find` may raise to stop waiting at once (an assertion that the process still runs).
    """
    deadline = time.monotonic() + timeout
    while True:
        found = find()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"no {what} within {timeout} s")
        time.sleep(0.02)


class ServiceProcess:
    """`python -m <package> <command>` as the platform runs it, with its output collected.

    The environment is the test run's (every option's `attach()`) plus `env`. A web
    process listens on a free port of its own (`port`, `url`), unless `env` sets PORT.
    The process leads a process group, as PID 1 of a container does: `kill()` ends it
    and its children at once, as when a node dies or the OOM killer strikes;
    `terminate()` sends SIGTERM to it alone, as a container runtime does. Use it as a
    context manager, or `close()` it.
    """

    def __init__(self, command: str, env: Mapping[str, str] | None = None) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [sys.executable, "-m", PACKAGE, command],
            env={**os.environ, "PORT": str(self.port), **(env or {})},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        self.stdout: list[str] = []
        self.stderr: list[str] = []
        self._readers = [
            threading.Thread(target=self._collect, args=(pipe, lines), daemon=True)
            for pipe, lines in (
                (self.process.stdout, self.stdout),
                (self.process.stderr, self.stderr),
            )
        ]
        for reader in self._readers:
            reader.start()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    @staticmethod
    def _collect(pipe: IO[str], lines: list[str]) -> None:
        for line in pipe:
            lines.append(line.rstrip("\n"))

    def output(self) -> str:
        return "\n".join(["stdout:", *self.stdout, "stderr:", *self.stderr])

    def records(self) -> list[dict]:
        """Every stdout line as JSON; fails on a line that is not."""
        return [json.loads(line) for line in list(self.stdout)]

    def _running(self) -> None:
        assert self.process.poll() is None, f"the process exited early\n{self.output()}"

    def _eventually[T](self, find: Callable[[], T], what: str, timeout: float) -> T:
        try:
            return eventually(find, what, timeout)
        except AssertionError as error:
            raise AssertionError(f"{error}\n{self.output()}") from None

    def wait_for_log(self, matches: Callable[[dict], bool], what: str, timeout: float = 30) -> dict:
        """The first log line that `matches`, once the process has written it."""
        return self._eventually(
            lambda: next((record for record in self.records() if matches(record)), None),
            what,
            timeout,
        )

    def wait_until_serving(self, timeout: float = 30) -> None:
        """Until `GET /livez` answers 200 (a web process)."""

        def answers() -> bool:
            self._running()
            try:
                return httpx2.get(f"{self.url}/livez", timeout=1).status_code == 200
            except httpx2.TransportError:
                return False

        self._eventually(answers, "answer from /livez", timeout)

    def wait_until_ready(self, timeout: float = 30) -> None:
        """Until the worker says it is ready for jobs (a worker process)."""

        def ready() -> dict | None:
            self._running()
            return next((r for r in self.records() if r["message"].endswith(" ready.")), None)

        self._eventually(ready, "'ready.' log line", timeout)

    def terminate(self) -> None:
        """SIGTERM to the process alone, as a container runtime sends it to PID 1."""
        self.process.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        """SIGKILL to the process and its children: no chance to clean up."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def wait(self, timeout: float) -> int:
        """Its exit code, once it has exited and its last lines are read."""
        code = self.process.wait(timeout)
        for reader in self._readers:
            reader.join(timeout=5)
        return code

    def close(self) -> None:
        if self.process.poll() is None:
            self.kill()
        for reader in self._readers:
            reader.join(timeout=5)
        for pipe in (self.process.stdout, self.process.stderr):
            if pipe is not None:
                pipe.close()
