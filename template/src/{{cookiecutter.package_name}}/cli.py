"""One entry point for every process type and admin task (factor XII).

Each command runs the same code with the same configuration as the web process:
settings are loaded and logging is configured before any command starts, and a
bad setting stops every command with one line naming the variable.
"""

import argparse
import asyncio
import code
import sys
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import structlog

from {{ cookiecutter.package_name }}.logs import configure_logging
from {{ cookiecutter.package_name }}.settings import ConfigError, Settings, load_settings

# Each command imports what it needs when it runs: a bad setting is reported before
# any client library loads, and admin commands start without the web stack.
PROG = "python -m {{ cookiecutter.package_name }}"

log = structlog.get_logger(__name__)


def web(settings: Settings, _: argparse.Namespace) -> int:
    """Serve HTTP on 0.0.0.0:$PORT until SIGTERM, then drain in-flight requests."""
    from {{ cookiecutter.package_name }}.app import create_app
{%- if cookiecutter.telemetry == 'yes' %}
    from {{ cookiecutter.package_name }}.telemetry import start_tracing

    start_tracing(settings)  # before the app exists: it is traced with what this sets up
{%- endif %}

    return serve(create_app(settings), settings)


def serve(app: Any, settings: Settings) -> int:
    """Run `app` in this process with uvicorn: no external web server (factor VII)."""
    import uvicorn

    # On SIGTERM uvicorn closes the listening socket at once, lets in-flight requests
    # finish within the drain timeout, runs the lifespan shutdown (closing pools),
    # and exits with the signal.
    uvicorn.run(
        app,
        host="0.0.0.0",  # noqa: S104 - a container must listen on every interface
        port=settings.port,
        lifespan="on",  # a failing startup stops the process instead of serving without it
        log_config=None,  # logs.configure_logging already routes uvicorn's loggers
        access_log=False,  # request_id.RequestIdMiddleware writes richer access lines
        timeout_graceful_shutdown=settings.shutdown_timeout_seconds,
        proxy_headers=True,
        forwarded_allow_ips=settings.forwarded_allow_ips,
        server_header=False,
    )
    return 0


def check(settings: Settings, _: argparse.Namespace) -> int:
    """Report whether the configuration is valid and every backing service answers."""
    log.info("configuration is valid")
    outcomes = asyncio.run(_probe_backing_services(settings))
    for name, problem in outcomes.items():
        if problem is None:
            log.info("backing service answers", service=name)
        else:
            log.error("backing service does not answer", service=name, problem=problem)
    down = sorted(name for name, problem in outcomes.items() if problem is not None)
    if down:
        log.error("check failed", down=down)
        return 1
    log.info("check passed", backing_services=sorted(outcomes))
    return 0


async def _probe_backing_services(settings: Settings) -> dict[str, str | None]:
    from {{ cookiecutter.package_name }} import resources

    async with resources.open_resources(settings) as attached:
        return await resources.probe(attached.readiness_checks, settings.readiness_timeout_seconds)


SHELL_BANNER = """\
{{ cookiecutter.package_name }} shell. Loaded: settings, app, resources (attached backing
services), probe, and run(coroutine), which awaits a coroutine on the clients' event loop:
    run(probe(resources.readiness_checks, 1))"""


def shell(settings: Settings, _: argparse.Namespace) -> int:
    """An interactive Python with the settings, the app and the backing services attached."""
    from {{ cookiecutter.package_name }}.app import create_app
    from {{ cookiecutter.package_name }}.resources import open_resources, probe

    # Async clients belong to one event loop; it runs in a thread while the prompt waits.
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="backing-services", daemon=True)
    thread.start()

    def run[T](awaitable: Awaitable[T]) -> T:
        async def wrapped() -> T:
            return await awaitable

        return asyncio.run_coroutine_threadsafe(wrapped(), loop).result()

    attachment = open_resources(settings)
    resources = run(attachment.__aenter__())
    namespace = {
        "settings": settings,
        "app": create_app(settings),
        "resources": resources,
        "probe": probe,
        "run": run,
    }
    try:
        code.interact(banner=SHELL_BANNER, local=namespace, exitmsg="")
    finally:
        run(attachment.__aexit__(None, None, None))
        loop.call_soon_threadsafe(loop.stop)
        thread.join()
        loop.close()
    return 0


def openapi(settings: Settings, arguments: argparse.Namespace) -> int:
    """Write the OpenAPI document that the committed openapi.json must match (factor XIII)."""
    from {{ cookiecutter.package_name }}.app import create_app, openapi_document

    document = openapi_document(create_app(settings))
    if arguments.output == "-":
        sys.stdout.write(document)
    else:
        Path(arguments.output).write_text(document, encoding="utf-8")
    return 0


def _openapi_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--output", "-o", default="-", help="file to write (default: standard output)"
    )


{% if cookiecutter.database == 'postgres' %}def migrate(settings: Settings, _: argparse.Namespace) -> int:
    """Upgrade the schema to the newest migration: the release process, once per deploy."""
    from {{ cookiecutter.package_name }}.db import DatabaseUnavailable
    from {{ cookiecutter.package_name }}.migrate import upgrade

    try:
        upgrade(settings)
    except DatabaseUnavailable as error:
        log.error("migration failed", problem=str(error))
        return 1
    log.info("database schema is up to date")
    return 0


{% endif %}{% if cookiecutter.worker == 'celery' %}def worker(settings: Settings, _: argparse.Namespace) -> int:
    """Run background jobs until SIGTERM, then finish the running ones first."""
    from {{ cookiecutter.package_name }}.worker import run

    return run(settings)


{% endif %}@dataclass(frozen=True)
class Command:
    run: Callable[[Settings, argparse.Namespace], int]
    help: str
    add_arguments: Callable[[argparse.ArgumentParser], None] | None = None


# Every process type and admin task. The Procfile, compose and Kubernetes run these names.
COMMANDS: dict[str, Command] = {
    "web": Command(web, "serve HTTP on $PORT (the web process type)"),
{% if cookiecutter.worker == 'celery' %}    "worker": Command(worker, "run background jobs (the worker process type)"),
{% endif %}{% if cookiecutter.database == 'postgres' %}    "migrate": Command(migrate, "upgrade the database schema (the release process)"),
{% endif %}    "check": Command(check, "validate the configuration and ping every backing service"),
    "shell": Command(shell, "interactive Python with settings and backing services loaded"),
    "openapi": Command(openapi, "write the OpenAPI document", _openapi_arguments),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG, description="Run one of the service's process types or admin tasks."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="command")
    for name, command in COMMANDS.items():
        subparser = commands.add_parser(name, help=command.help, description=command.help)
        if command.add_arguments is not None:
            command.add_arguments(subparser)
    return parser


def main(argv: list[str] | None = None) -> int:
    arguments = build_parser().parse_args(argv)
    try:
        settings = load_settings()
    except ConfigError as error:
        # One line, no traceback, no value: the variable's name says what to fix.
        print(f"{PROG} {arguments.command}: {error}", file=sys.stderr)
        return 1
    configure_logging(settings.log_level, settings.log_format)
    return COMMANDS[arguments.command].run(settings, arguments)
