"""Admin processes (factor XII): one entry point, the same code and config as the web process."""

import asyncio
import io
import json
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from support import PACKAGE, PROJECT_ROOT, free_port

from {{ cookiecutter.package_name }} import cli, resources
from {{ cookiecutter.package_name }}.app import create_app, openapi_document
from {{ cookiecutter.package_name }}.resources import Resources
from {{ cookiecutter.package_name }}.settings import Settings


def logged(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines()]


def test_check_passes_when_config_and_backing_services_are_fine(settings, capsys):
    assert cli.main(["check"]) == 0
    records = logged(capsys.readouterr().out)
    assert records[0]["message"] == "configuration is valid"
    assert records[-1]["message"] == "check passed"


def test_check_fails_naming_a_backing_service_that_does_not_answer(settings, monkeypatch, capsys):
    port = free_port()  # nobody listens there: a service that is down

    async def connect() -> None:
        await asyncio.open_connection("127.0.0.1", port)

    @asynccontextmanager
    async def one_service_down(current: Settings) -> AsyncIterator[Resources]:
        yield Resources(current, readiness_checks={"example": connect})

    monkeypatch.setattr(resources, "open_resources", one_service_down)
    assert cli.main(["check"]) == 1
    records = logged(capsys.readouterr().out)
    (problem,) = [r for r in records if r["message"] == "backing service does not answer"]
    assert problem["service"] == "example"
    assert "ConnectionRefusedError" in problem["problem"]
    assert records[-1] == records[-1] | {"message": "check failed", "down": ["example"]}


def test_check_fails_with_one_line_on_invalid_config(monkeypatch, capsys):
    monkeypatch.setenv("LOG_FORMAT", "xml")
    assert cli.main(["check"]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.splitlines() == [
        f"python -m {PACKAGE} check: invalid configuration: LOG_FORMAT: Input should be "
        "'json' or 'console'"
    ]


def test_shell_has_settings_and_backing_services_loaded(settings, monkeypatch, capsys):
    monkeypatch.setenv("PORT", "8123")
    commands = [
        "print(settings.port)",
        "print(type(resources).__name__, app.title)",
        "checks = resources.readiness_checks",
        "print(run(probe(checks, 5)) == dict.fromkeys(checks))",
    ]
    monkeypatch.setattr("sys.stdin", io.StringIO("\n".join(commands) + "\n"))
    assert cli.main(["shell"]) == 0
    lines = capsys.readouterr().out.replace(">>> ", "").splitlines()
    printed = [line for line in lines if not line.startswith("{")]  # log lines are JSON
    assert printed[:3] == ["8123", f"Resources {create_app(settings).title}", "True"]


def test_openapi_writes_the_apps_document(settings, capsys, tmp_path):
    expected = openapi_document(create_app(settings))
    assert cli.main(["openapi"]) == 0
    assert capsys.readouterr().out == expected

    target = tmp_path / "openapi.json"
    assert cli.main(["openapi", "--output", str(target)]) == 0
    assert target.read_text() == expected


def test_an_unknown_command_is_refused_with_the_list(capsys):
    with pytest.raises(SystemExit) as exit_:
        cli.main(["serve"])
    assert exit_.value.code == 2
    error = capsys.readouterr().err
    assert "invalid choice: 'serve'" in error
    for name in cli.COMMANDS:
        assert name in error


def test_every_procfile_process_runs_a_command_of_this_package():
    """One codebase, many process types (factors I and VIII), each a registered command."""
    processes = dict(
        re.findall(r"^([a-z]+): (.+)$", (PROJECT_ROOT / "Procfile").read_text(), re.MULTILINE)
    )
    assert "web" in processes
    for process_type, command in processes.items():
        prefix, _, name = command.rpartition(" ")
        assert prefix == f"python -m {PACKAGE}", process_type
        assert name in cli.COMMANDS, process_type
