"""`python -m {{ cookiecutter.package_name }} <command>`: every process type and admin task (factor XII).

Each command runs with the same code and the same configuration as the web process.
"""

import argparse
import sys
from collections.abc import Callable

import uvicorn

from {{ cookiecutter.package_name }}.logs import configure_logging
from {{ cookiecutter.package_name }}.settings import ConfigError, Settings, load_settings


def web(settings: Settings) -> int:
    """Serve HTTP on 0.0.0.0:$PORT until SIGTERM, then drain in-flight requests."""
    from {{ cookiecutter.package_name }}.app import create_app

    uvicorn.run(
        create_app(settings),
        host="0.0.0.0",  # noqa: S104 - a container must listen on every interface
        port=settings.port,
        log_config=None,  # logs.configure_logging already routes uvicorn's loggers
        timeout_graceful_shutdown=settings.shutdown_timeout_seconds,
        proxy_headers=True,
    )
    return 0


COMMANDS: dict[str, Callable[[Settings], int]] = {"web": web}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m {{ cookiecutter.package_name }}")
    parser.add_argument("command", choices=sorted(COMMANDS))
    args = parser.parse_args(argv)
    try:
        settings = load_settings()
    except ConfigError as error:
        print(f"{{ cookiecutter.package_name }}: {error}", file=sys.stderr)
        sys.exit(2)
    configure_logging(settings.log_level, settings.log_format)
    sys.exit(COMMANDS[args.command](settings))
