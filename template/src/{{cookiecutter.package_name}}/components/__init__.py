"""The options this service was generated with, one module each, found by being here.

A backing service, the worker's queue, telemetry, authentication: each is one module
in this package, present or absent as the template's answers say. Nothing lists them,
so choosing an option adds or removes a file and never rewrites a line of the code
that uses it. The web process, every admin command and the settings find them here.

A component module may define any of:

- `Settings`: a pydantic-settings class with the component's variables; settings.py
  merges every component's into one `Settings`.
- `attach(settings, resources, stack)`: an async function that opens the component's
  clients, registers them and their readiness checks on `resources`, and pushes their
  closing onto `stack` (a contextlib.AsyncExitStack).
- `install(app, settings)`: adds the component's middleware and routes to the web app.
  Middleware added later wraps middleware added earlier; components install in name order.
- `fastapi_options(settings)`: keyword arguments for `FastAPI(...)`.
- `start_web(settings)`: runs in the web process before its app is made.
- `log_processors()`: structlog processors every log line goes through.
- `COMMANDS`: process types and admin tasks, name -> function(settings, arguments) -> exit
  code; the function's docstring's first line is its help.

Component modules import only pydantic at load time: heavy client libraries load inside
the functions, so a bad setting is reported before any of them, and each process type
imports only what it uses.
"""

import importlib
import pkgutil
from functools import cache
from types import ModuleType


@cache
def installed() -> tuple[ModuleType, ...]:
    """Every component module of this service, in name order."""
    names = sorted(module.name for module in pkgutil.iter_modules(__path__))
    return tuple(importlib.import_module(f"{__name__}.{name}") for name in names)


def providing(hook: str) -> list[ModuleType]:
    """The components that define `hook`, in name order."""
    return [component for component in installed() if hasattr(component, hook)]
