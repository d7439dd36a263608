"""workshop/preflight.py finds each problem a participant can have, for real, and says how to fix
it in English and Korean.

Each failure is made to happen: a port held open by the test, a PATH without the tool, a port
where nothing listens, a port where something that is not the service answers, a database
that does not exist, a Python that is not installed, a package index that does not answer.
The backing services are the real ones on 127.0.0.1 (as for the generated suites). The
checks that need a Docker daemon are in tests/containers/test_preflight_docker.py.
"""

import socket
import threading
import uuid

import pytest

from tests.local_http import free_port
from tests.preflight_support import HANGUL, PREFLIGHT, path_without, preflight

pytestmark = pytest.mark.behaviour

SERVICES = ("--postgres", "127.0.0.1:5432", "--redis", "127.0.0.1:6379")


def test_the_script_runs_with_the_standard_library_alone_and_says_how_to_use_it():
    """No dependencies: `uv run` or `python3` runs it before anything is installed."""
    header = PREFLIGHT.read_text().split("# ///", 2)[1]
    assert "dependencies = []" in header
    report = preflight("--help")
    assert report.returncode == 0
    assert "--pull" in report.stdout
    assert "--only" in report.stdout


def test_a_port_in_use_is_named_with_what_the_guide_needs_it_for(tmp_path):
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        held.listen()
        busy = held.getsockname()[1]
        free = free_port()
        report = preflight("--only", "ports", "--ports", f"{busy},{free}")
    assert report.returncode == 1
    english, korean = report.problem(f"port {busy} is in use")
    assert "lsof" in english
    assert f"{busy}" in korean
    assert f"port {free}: free" in report.ok


def test_free_ports_pass_and_the_exit_status_is_zero():
    report = preflight("--only", "ports", "--ports", str(free_port()))
    assert report.returncode == 0, report.stdout
    assert report.problems == []
    assert "ready for the workshop" in report.stdout


def test_missing_git_and_curl_are_named(tmp_path):
    report = preflight("--only", "tools", path=path_without(tmp_path / "bin", "git", "curl"))
    assert report.returncode == 1
    assert "install git" in report.problem("git not found")[0]
    assert "install curl" in report.problem("curl not found")[0]


def test_missing_uv_is_named(tmp_path):
    report = preflight("--only", "python", path=path_without(tmp_path / "bin", "uv"))
    assert report.returncode == 1
    english, _ = report.problem("uv not found")
    assert "docs.astral.sh/uv" in english


def test_a_python_uv_cannot_find_is_named_with_the_install_command(tmp_path):
    report = preflight(
        "--only", "python", "--python", "3.99", path=path_without(tmp_path / "bin", keep=("uv",))
    )
    assert report.returncode == 1
    english, korean = report.problem("no Python 3.99")
    assert "`uv python install 3.99`" in english
    assert "`uv python install 3.99`" in korean


def test_the_services_python_is_the_default_answer_and_uv_finds_it():
    """On this machine uv finds the service's Python (the generated suites need it too)."""
    report = preflight("--only", "python")
    assert report.returncode == 0, report.stdout
    assert any(line.startswith("Python 3.") for line in report.ok)


def test_an_index_that_does_not_answer_is_named():
    dead = f"http://127.0.0.1:{free_port()}/simple"
    report = preflight("--only", "index", env={"UV_DEFAULT_INDEX": dead})
    assert report.returncode == 1
    english, _ = report.problem("package index", "does not answer")
    assert "UV_DEFAULT_INDEX" in english


def test_a_service_port_where_nothing_listens_is_named():
    nowhere = f"127.0.0.1:{free_port()}"
    report = preflight("--only", "services", "--redis", nowhere, "--rabbitmq", nowhere)
    assert report.returncode == 1
    assert "start Redis there" in report.problem(f"nothing answers at {nowhere}", "Redis")[0]
    assert "start RabbitMQ there" in report.problem(f"nothing answers at {nowhere}", "RabbitMQ")[0]


class Impostor:
    """A port that accepts connections and answers something no backing service would."""

    def __init__(self) -> None:
        self.server = socket.socket()
        self.server.bind(("127.0.0.1", 0))
        self.server.listen()
        self.address = f"127.0.0.1:{self.server.getsockname()[1]}"
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                connection, _ = self.server.accept()
            except OSError:
                return
            with connection:
                connection.recv(64)
                connection.sendall(b"HTTP/1.1 400 Bad Request\r\n\r\n")

    def close(self) -> None:
        self.server.close()


@pytest.fixture
def impostor():
    server = Impostor()
    yield server
    server.close()


@pytest.mark.parametrize("service", ["postgres", "redis", "rabbitmq"])
def test_a_service_port_held_by_something_else_is_named(impostor, service):
    report = preflight("--only", "services", f"--{service}", impostor.address)
    assert report.returncode == 1
    name = {"postgres": "PostgreSQL", "redis": "Redis", "rabbitmq": "RabbitMQ"}[service]
    english, _ = report.problem(f"{impostor.address} answers, but not as {name}")
    assert ".env" in english


def test_a_missing_database_is_named_with_createdb():
    database = f"preflight_absent_{uuid.uuid4().hex[:8]}"
    report = preflight("--only", "services", "--database", database)
    assert report.returncode == 1
    english, korean = report.problem(f"no database {database}")
    command = f"`createdb -h 127.0.0.1 -p 5432 -U postgres {database}`"
    assert command in english
    assert command in korean


def test_the_machines_backing_services_pass():
    report = preflight("--only", "services", "--database", "postgres")
    assert report.returncode == 0, report.stdout
    assert [line.split(":")[0] for line in report.ok] == ["PostgreSQL", "Redis", "RabbitMQ"]


def test_every_problem_line_has_its_korean_line():
    """A run with several problems at once: every FIX line is followed by a Korean one."""
    nowhere = f"127.0.0.1:{free_port()}"
    report = preflight("--only", "services", "--postgres", nowhere, "--redis", nowhere)
    assert len(report.problems) == 2
    assert all(HANGUL.search(korean) for _, korean in report.problems)
    assert "고칠 것 2개" in report.stdout
