"""The web process for local work, reloaded on every code change: `python -m <package>.dev`.

Not a process type: the Procfile, compose and Kubernetes run `python -m <package> web`,
which never watches files. This serves the same app on 127.0.0.1:$PORT under uvicorn's
reloader: it watches the package's folder and starts a fresh server process after each
change, reading the settings again, so an edited route answers at once. Without watchfiles
installed it polls the modules it has seen: a new module shows once an old one changes.
Procfile.dev runs it.
"""

import logging
import sys
from pathlib import Path

import uvicorn
from fastapi import FastAPI

from {{ cookiecutter.package_name }}.cli import web_app
from {{ cookiecutter.package_name }}.logs import configure_logging
from {{ cookiecutter.package_name }}.settings import ConfigError, load_settings


def create() -> FastAPI:
    """The app, made anew in each server process the reloader starts."""
    settings = load_settings()
    configure_logging(settings.log_level, settings.log_format)
    # Each server process is a fresh interpreter: its access lines come from
    # request_id.RequestIdMiddleware, as under `web`, not from uvicorn too.
    logging.getLogger("uvicorn.access").propagate = False
    return web_app(settings)


def main() -> int:
    try:
        settings = load_settings()
    except ConfigError as error:
        # As every process type does: one line naming the variable, no traceback.
        print(f"python -m {__spec__.name}: {error}", file=sys.stderr)
        return 1
    configure_logging(settings.log_level, settings.log_format)
    uvicorn.run(
        f"{__package__}.dev:create",
        factory=True,
        reload=True,
        reload_dirs=[str(Path(__file__).parent)],
        host="127.0.0.1",
        port=settings.port,
        log_config=None,  # logs.configure_logging routes uvicorn's loggers
        access_log=False,  # request_id.RequestIdMiddleware writes the access lines
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
