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

from {{ cookiecutter.package_name }} import components
from {{ cookiecutter.package_name }}.logs import configure_logging
from {{ cookiecutter.package_name }}.settings import ConfigError, Settings, load_settings

# Each command imports what it needs when it runs: a bad setting is reported before
# any client library loads, and admin commands start without the web stack.
PROG = "python -m {{ cookiecutter.package_name }}"

log = structlog.get_logger(__name__)


def web(settings: Settings, _: argparse.Namespace) -> int:
    """Serve HTTP on 0.0.0.0:$PORT until SIGTERM, then drain in-flight requests."""
    return serve(web_app(settings), settings)


def web_app(settings: Settings) -> Any:
    """The web process's app, made after the components start (tracing, for instance)."""
    from {{ cookiecutter.package_name }}.app import create_app

    for component in components.providing("start_web"):
        component.start_web(settings)
    return create_app(settings)


def serve(app: Any, settings: Settings) -> int:
    """Run `app` in this process with uvicorn: no external web server (factor VII)."""
    import uvicorn

    from {{ cookiecutter.package_name }}.server_limits import UVICORN_OPTIONS

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
        # Bounds uvicorn lacks: request line, headers, slow clients (server_limits.py).
        **UVICORN_OPTIONS,
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


def derive(_: Settings | None, arguments: argparse.Namespace) -> int:
    """Rewrite the files derived from the code: openapi.json, .env.example, docs/settings.md."""
    from {{ cookiecutter.package_name }}.derived import stale_files, write_derived_files

    root = Path(arguments.root)
    if arguments.check:
        stale = stale_files(root)
        for path in stale:
            print(f"{path} differs from the code: run `{PROG} derive`", file=sys.stderr)
        return 1 if stale else 0
    for path in write_derived_files(root):
        print(f"wrote {path}")
    return 0


def _derive_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--root", default=".", help="the project's folder (default: here)")
    parser.add_argument(
        "--check", action="store_true", help="only report files that differ; exit 1 if any"
    )


@dataclass(frozen=True)
class Command:
    run: Callable[[Any, argparse.Namespace], int]
    help: str
    add_arguments: Callable[[argparse.ArgumentParser], None] | None = None
    # False for commands that must work without a valid environment (derive).
    needs_settings: bool = True


def _component_commands() -> dict[str, Command]:
    """Process types and admin tasks of the components (components/): worker, migrate, ..."""
    found = {}
    for component in components.providing("COMMANDS"):
        for name, run in component.COMMANDS.items():
            found[name] = Command(run, (run.__doc__ or name).strip().splitlines()[0])
    return found


# Every process type and admin task. The Procfile, compose and Kubernetes run these names.
COMMANDS: dict[str, Command] = {
    "web": Command(web, "Serve HTTP on $PORT (the web process type)."),
    **_component_commands(),
    "check": Command(check, "Validate the configuration and ping every backing service."),
    "shell": Command(shell, "Interactive Python with settings and backing services loaded."),
    "openapi": Command(openapi, "Write the OpenAPI document.", _openapi_arguments),
    "derive": Command(
        derive,
        "Rewrite openapi.json, .env.example and docs/settings.md from the code.",
        _derive_arguments,
        needs_settings=False,
    ),
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
    command = COMMANDS[arguments.command]
    if not command.needs_settings:
        configure_logging()
        return command.run(None, arguments)
    try:
        settings = load_settings()
    except ConfigError as error:
        # One line, no traceback, no value: the variable's name says what to fix.
        print(f"{PROG} {arguments.command}: {error}", file=sys.stderr)
        return 1
    configure_logging(settings.log_level, settings.log_format)
    return command.run(settings, arguments)
